// Every role assignment in one place, named with guid() so re-deploys are idempotent.
param appPrincipalId string
@description('The deploying user, for local debugging against Azure; empty for none.')
param userPrincipalId string
param hostStorageName string
param backupStorageName string
param cosmosAccountName string
param keyVaultName string
param appInsightsName string
@description('Days backed-up content is immutable; above 0, the app may extend (never shorten) the locks of content in use.')
param immutabilityDays int = 0

var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  blobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultCertificateUser: 'db79e9a7-68ee-4b58-9aeb-b90e7c24fcba'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  keyVaultCertificatesOfficer: 'a4417e6f-fecd-4de8-b567-7b0420556985'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = { name: hostStorageName }
resource backupStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = { name: backupStorageName }
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = { name: keyVaultName }
resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = { name: appInsightsName }
resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' existing = { name: cosmosAccountName }

var principals = empty(userPrincipalId) ? [{ id: appPrincipalId, type: 'ServicePrincipal' }] : [{ id: appPrincipalId, type: 'ServicePrincipal' }, { id: userPrincipalId, type: 'User' }]

// Host storage: Functions runtime and the Durable Functions Azure Storage backend (blobs, queues, tables).
resource hostRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for pair in flatten(map(principals, p => map([roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor], r => { principal: p, role: r }))): {
  name: guid(hostStorage.id, pair.principal.id, pair.role)
  scope: hostStorage
  properties: { roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', pair.role), principalId: pair.principal.id, principalType: pair.principal.type }
}]

// Backup repository: read and write content; no management-plane rights (immutability cannot be lifted by the app).
// Storage Blob Delegator lets the identity ask for user delegation keys (generateUserDelegationKey, an account-level
// action), which sign the one-hour read links to blob exports. Data Contributor at the account includes it too; the
// explicit grant keeps the links working if the data role is ever narrowed to containers.
resource backupRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for pair in flatten(map(principals, p => map([roles.blobDataContributor, roles.blobDelegator], r => { principal: p, role: r }))): {
  name: guid(backupStorage.id, pair.principal.id, pair.role)
  scope: backupStorage
  properties: { roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', pair.role), principalId: pair.principal.id, principalType: pair.principal.type }
}]

// The app reads the Microsoft 365 credentials; the deploying user uploads them (the `az keyvault secret set` and
// `az keyvault certificate import` the README and postprovision print), so it gets the Officer roles instead.
var vaultPairs = concat(
  map([roles.keyVaultSecretsUser, roles.keyVaultCertificateUser], r => { principal: principals[0], role: r }),
  empty(userPrincipalId) ? [] : map([roles.keyVaultSecretsOfficer, roles.keyVaultCertificatesOfficer], r => { principal: principals[1], role: r })
)
resource vaultRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for pair in vaultPairs: {
  name: guid(vault.id, pair.principal.id, pair.role)
  scope: vault
  properties: { roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', pair.role), principalId: pair.principal.id, principalType: pair.principal.type }
}]

resource metricsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: { roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher), principalId: appPrincipalId, principalType: 'ServicePrincipal' }
}

// Cosmos DB data plane: the built-in Data Contributor role (local auth is disabled on the account).
resource cosmosRoles 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = [for p in principals: {
  parent: cosmos
  name: guid(cosmos.id, p.id, '00000000-0000-0000-0000-000000000002')
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
    principalId: p.id
    scope: cosmos.id
  }
}]

// Under immutability, retention extends the lock of content still in use (a Locked per-blob policy, which nobody can
// shorten), so content any recent point reads stays protected however old it is. Setting a blob's immutability policy
// is a data action of its own, outside Storage Blob Data Contributor: a custom role grants only that.
resource lockExtender 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (immutabilityDays > 0) {
  name: guid(backupStorage.id, 'm365-vault content lock extender')
  properties: {
    roleName: 'm365-vault content lock extender (${backupStorage.name})'
    description: 'Sets Locked immutability policies on backup content (extends them; a Locked policy cannot be shortened or removed).'
    type: 'CustomRole'
    assignableScopes: [backupStorage.id]
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/immutableStorage/runAsSuperUser/action']
        notDataActions: []
      }
    ]
  }
}

resource lockExtenderRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (immutabilityDays > 0) {
  name: guid(backupStorage.id, appPrincipalId, 'm365-vault content lock extender')
  scope: backupStorage
  properties: { roleDefinitionId: lockExtender.id, principalId: appPrincipalId, principalType: 'ServicePrincipal' }
}
