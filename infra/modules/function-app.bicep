// Flex Consumption function app (Node 20) running as the user-assigned identity; host storage, deployment package
// and Application Insights are all reached with that identity.
param planName string
param appName string
param location string
param tags object
param identityId string
param identityClientId string
param hostStorageName string
param deploymentContainerUrl string
param appInsightsConnectionString string
@description('Product settings (names are the contract of shared/config/settings.ts).')
param appSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

var baseSettings = {
  AzureWebJobsStorage__accountName: hostStorageName
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
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [for s in items(union(baseSettings, appSettings)): { name: s.key, value: string(s.value) }]
    }
    functionAppConfig: {
      deployment: {
        storage: { type: 'blobContainer', value: deploymentContainerUrl, authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId } }
      }
      // One instance kept warm for orchestrations so schedules start on time.
      scaleAndConcurrency: { maximumInstanceCount: 100, instanceMemoryMB: 2048, alwaysReady: [{ name: 'durable', instanceCount: 1 }] }
      runtime: { name: 'node', version: '20' }
    }
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
