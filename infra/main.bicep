// m365-vault: everything `azd up` deploys into the customer's own subscription. No keys anywhere: the function
// app's user-assigned managed identity reaches every store through RBAC.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region for all resources: one where Flex Consumption runs (as the Azure-Samples azd Functions templates list them).')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying user; gets the same data-plane roles for local debugging when allowed.')
param principalId string = ''

@description('Grant the deploying user data-plane roles (storage, Cosmos DB, Key Vault).')
param allowUserIdentityPrincipal bool = true

@description('Audiences of the API app registration whose tokens the HTTP API accepts, comma-separated: its client id (v2 tokens) and its Application ID URI (api://<tenant id>/<name>). The preprovision hook creates the app and sets them.')
@minLength(1)
param apiAudience string

@description('Tenant whose Entra ID tokens the HTTP API accepts.')
param apiTenantId string = tenant().tenantId

@description('Microsoft Graph endpoint (change for national clouds).')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('Microsoft Entra authority host (change for national clouds).')
param authorityHost string = 'https://login.microsoftonline.com'

@description('Days backed-up content is immutable (version-level WORM, 30 = a default job\'s daily retention); 0 turns immutability off (test deployments: set before the first deployment, Azure cannot turn it on for an existing account).')
@minValue(0)
param immutabilityDays int = 30

@description('Set once the content container\'s immutability policy has been locked (README, Retention and holds): the template then leaves that policy alone.')
param immutabilityPolicyLocked bool = false

@description('Days after which content blobs move to the Cool tier.')
@minValue(1)
param coolAfterDays int = 30

@description('Email address for backup alerts; empty for none.')
param alertEmail string = ''

@description('Webhook URL for backup alerts (common alert schema: Teams, Slack, an ITSM or paging endpoint); empty for none.')
@secure()
param alertWebhookUrl string = ''

@description('Alert when the backup storage account holds more than this many TiB (a standard account takes 5 PiB, 5120 TiB, by default).')
@minValue(1)
param storageAlertTiB int = 4608

@description('Function App instances kept warm for the Durable triggers; 0 scales to zero (cheaper, each timer starts cold).')
@minValue(0)
param alwaysReadyInstances int = 1

@description('Cosmos DB capacity: serverless, or provisioned with autoscale.')
@allowed(['serverless', 'autoscale'])
param cosmosCapacity string = 'serverless'

@description('Private networking: the app integrates with a virtual network and reaches host storage, the backup repository, Cosmos DB and Key Vault through private endpoints only (their public network access off).')
param vnetEnabled bool = false

@description('Durable Functions backend: the Azure Storage provider in host storage (host.json), or a Durable Task Scheduler (switched by app settings).')
@allowed(['azureStorage', 'dts'])
param durableBackend string = 'azureStorage'

@description('Also send blob reads of the backup repository to Log Analytics (StorageRead; reads outnumber writes many times over).')
param logBackupReads bool = false

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var catalog = loadJsonContent('../shared/catalog/containers.json')
// The task hub host.json names (%TASKHUB_NAME%); under DTS, also the scheduler's task hub.
var taskHubName = 'm365vault'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: { name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}', location: location, tags: tags }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    workspaceName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    appInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    hostAccountName: '${abbrs.storageStorageAccounts}h${resourceToken}'
    backupAccountName: '${abbrs.storageStorageAccounts}b${resourceToken}'
    location: location
    tags: tags
    immutabilityDays: immutabilityDays
    immutabilityPolicyLocked: immutabilityPolicyLocked
    coolAfterDays: coolAfterDays
    vnetEnabled: vnetEnabled
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    accountName: '${abbrs.documentDBDatabaseAccounts}${resourceToken}'
    location: location
    tags: tags
    databaseName: catalog.database
    containers: catalog.containers
    capacity: cosmosCapacity
    vnetEnabled: vnetEnabled
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: { name: '${abbrs.keyVaultVaults}${resourceToken}', location: location, tags: tags, vnetEnabled: vnetEnabled }
}

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: tags
    hostStorageId: storage.outputs.hostAccountId
    backupStorageId: storage.outputs.backupAccountId
    cosmosAccountId: cosmos.outputs.id
    keyVaultId: keyVault.outputs.id
  }
}

module diagnostics 'modules/diagnostics.bicep' = {
  name: 'diagnostics'
  scope: rg
  params: {
    workspaceId: monitoring.outputs.workspaceId
    backupAccountName: storage.outputs.backupAccountName
    cosmosAccountName: cosmos.outputs.accountName
    keyVaultName: keyVault.outputs.name
    logBackupReads: logBackupReads
  }
}

module durableTask 'modules/durable-task.bicep' = if (durableBackend == 'dts') {
  name: 'durable-task'
  scope: rg
  params: {
    name: '${abbrs.durableTaskSchedulers}${resourceToken}'
    location: location
    tags: tags
    taskHubName: taskHubName
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: allowUserIdentityPrincipal ? principalId : ''
  }
}

// Under DTS, app settings override host.json's storage provider (AzureFunctionsJobHost__path__to__setting), so one
// host.json serves both backends and the local stack. The connection string names an endpoint and an identity, no secret.
var durableSettings = durableBackend == 'dts'
  ? {
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTask.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}'
    }
  : {}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    planName: '${abbrs.webServerFarms}${resourceToken}'
    appName: '${abbrs.webSitesFunctions}${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    hostStorageEndpoints: {
      blob: storage.outputs.hostBlobEndpoint
      queue: storage.outputs.hostQueueEndpoint
      table: storage.outputs.hostTableEndpoint
    }
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    virtualNetworkSubnetId: vnetEnabled ? network.outputs.appSubnetId : ''
    alwaysReadyInstances: alwaysReadyInstances
    appSettings: union(durableSettings, {
      TASKHUB_NAME: taskHubName
      M365V_STORAGE_ACCOUNT_URL: storage.outputs.backupBlobEndpoint
      M365V_COSMOS_ENDPOINT: cosmos.outputs.endpoint
      M365V_COSMOS_DATABASE: catalog.database
      M365V_KEYVAULT_URL: keyVault.outputs.uri
      M365V_GRAPH_BASE_URL: graphBaseUrl
      M365V_AUTHORITY_HOST: authorityHost
      M365V_API_TENANT_ID: apiTenantId
      M365V_API_AUDIENCE: apiAudience
      M365V_CONTENT_IMMUTABILITY_DAYS: immutabilityDays
    })
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    backupStorageName: storage.outputs.backupAccountName
    alertEmail: alertEmail
    alertWebhookUrl: alertWebhookUrl
    storageAlertTiB: storageAlertTiB
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    backupStorageName: storage.outputs.backupAccountName
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: allowUserIdentityPrincipal ? principalId : ''
    hostStorageName: storage.outputs.hostAccountName
    backupStorageName: storage.outputs.backupAccountName
    cosmosAccountName: cosmos.outputs.accountName
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    immutabilityDays: immutabilityDays
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_URL string = functionApp.outputs.url
output M365V_STORAGE_ACCOUNT_URL string = storage.outputs.backupBlobEndpoint
output M365V_COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output M365V_KEYVAULT_URL string = keyVault.outputs.uri
output M365V_API_AUDIENCE string = apiAudience
output M365V_DURABLE_BACKEND string = durableBackend
