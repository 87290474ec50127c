// Flex Consumption function app (Node 22: Node 20's support ended 2026-04-30) running as the user-assigned identity;
// host storage, deployment package and Application Insights are all reached with that identity.
// Local development stays on Node 20 (package.json engines >= 20); the product uses nothing newer.
param planName string
param appName string
param location string
param tags object
param identityId string
param identityClientId string
@description('Blob, queue and table endpoints of the host storage account (service URIs work in every cloud).')
param hostStorageEndpoints {
  blob: string
  queue: string
  table: string
}
param deploymentContainerUrl string
param appInsightsConnectionString string
@description('Node.js version of the Functions runtime on Flex Consumption.')
@allowed(['20', '22'])
param nodeVersion string = '22'
@description('Product settings (names are the contract of shared/config/settings.ts).')
param appSettings object
@description('Subnet (delegated to Microsoft.App/environments) for outbound virtual network integration; empty for none.')
param virtualNetworkSubnetId string = ''
@description('Instances kept warm for the Durable triggers (0: scale to zero, each timer then starts cold).')
@minValue(0)
param alwaysReadyInstances int = 1

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

var baseSettings = {
  // Identity-based host storage by service URI (the Azure-Samples Flex templates' form): `__accountName` assumes the
  // public cloud's endpoint suffix.
  AzureWebJobsStorage__blobServiceUri: hostStorageEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: hostStorageEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: hostStorageEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Flex Consumption's VNet integration: the app reaches the private endpoints of its stores through this subnet.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [for s in items(union(baseSettings, appSettings)): { name: s.key, value: string(s.value) }]
    }
    functionAppConfig: {
      deployment: {
        storage: { type: 'blobContainer', value: deploymentContainerUrl, authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId } }
      }
      // One instance kept warm for orchestrations so schedules start on time.
      scaleAndConcurrency: { maximumInstanceCount: 100, instanceMemoryMB: 2048, alwaysReady: alwaysReadyInstances > 0 ? [{ name: 'durable', instanceCount: alwaysReadyInstances }] : [] }
      runtime: { name: 'node', version: nodeVersion }
    }
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
