// Microsoft 365 account credentials (client secrets, certificates) live here; accounts in the catalog only name them.
param name string
param location string
param tags object
param enablePurgeProtection bool = true
@description('Reach the vault only through its private endpoint (network.bicep): public network access off.')
param vnetEnabled bool = false

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
