// Audit trails of the stores into the Log Analytics workspace (diagnostic settings, one per resource): who read a
// Microsoft 365 credential in Key Vault, who wrote or deleted backup content, and every request to the catalog with the
// Entra principal that made it. Host storage is left out on purpose: the Durable Azure Storage provider polls its queues
// and renews its blob leases around the clock, so its logs would be the largest line of the workspace bill and audit
// nothing an attacker of the backups would touch (its platform metrics stay available without a setting).
param workspaceId string
param backupAccountName string
param cosmosAccountName string
param keyVaultName string
@description('Also log blob reads on the backup repository (StorageRead): every restore, export, comparison and preflight reads content, and retention reads what it checks, so reads outnumber writes many times over; off by default for cost.')
param logBackupReads bool = false

resource backup 'Microsoft.Storage/storageAccounts@2023-05-01' existing = { name: backupAccountName }
resource backupBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: backup
  name: 'default'
}
resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' existing = { name: cosmosAccountName }
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = { name: keyVaultName }

// AuditEvent: every secret and certificate operation on the vault, by whom (the category the `audit` group carries,
// named itself so the setting does not silently widen).
resource vaultAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: workspaceId
    logs: [{ category: 'AuditEvent', enabled: true }]
  }
}

// Blob service of the backup repository (StorageBlobLogs): writes and deletes of content, change log and exports,
// including retention's deletes and any refused by immutability.
resource backupBlobAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: backupBlobs
  properties: {
    workspaceId: workspaceId
    logs: [
      { category: 'StorageWrite', enabled: true }
      { category: 'StorageDelete', enabled: true }
      { category: 'StorageRead', enabled: logBackupReads }
    ]
  }
}

// Catalog requests into the resource-specific tables (CDBDataPlaneRequests, CDBControlPlaneRequests) rather than
// AzureDiagnostics: typed columns, and the Entra principal of each data-plane request (local auth is off).
resource cosmosAudit 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: cosmos
  properties: {
    workspaceId: workspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      { category: 'DataPlaneRequests', enabled: true }
      { category: 'ControlPlaneRequests', enabled: true }
    ]
  }
}
