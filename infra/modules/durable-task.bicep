// Optional Durable Task Scheduler backend (durableBackend = 'dts'): a scheduler and the task hub host.json names
// (%TASKHUB_NAME%), reached by the app's identity with Durable Task Data Contributor. Resource, API version, SKU,
// allow-list and role as Azure-Samples/durable-functions-quickstart-typescript-azd (infra/app/dts.bicep,
// dts-Access.bicep) has them.
param name string
param location string
param tags object
param taskHubName string
param appPrincipalId string
@description('The deploying user, for the scheduler\'s dashboard; empty for none.')
param userPrincipalId string = ''
@description('Consumption bills per action; Dedicated bills capacity units (one here).')
@allowed(['Consumption', 'Dedicated'])
param skuName string = 'Consumption'

// Durable Task Data Contributor: start, query and run orchestrations, activities and entities of the task hubs.
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // An empty list denies every caller; access is by Entra ID and the role below, as in the quickstart.
    ipAllowlist: ['0.0.0.0/0']
    sku: skuName == 'Dedicated' ? { name: skuName, capacity: 1 } : { name: skuName }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' = {
  parent: scheduler
  name: taskHubName
}

var principals = empty(userPrincipalId) ? [{ id: appPrincipalId, type: 'ServicePrincipal' }] : [{ id: appPrincipalId, type: 'ServicePrincipal' }, { id: userPrincipalId, type: 'User' }]

resource dataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for p in principals: {
  name: guid(scheduler.id, p.id, durableTaskDataContributor)
  scope: scheduler
  properties: { roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor), principalId: p.id, principalType: p.type }
}]

output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
