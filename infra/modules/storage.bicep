// Two accounts: host storage (Functions runtime, Durable Functions' Azure Storage backend, deployment package) and
// the backup repository (content, change log, exports). Shared-key access is off on both.
param hostAccountName string
param backupAccountName string
param location string
param tags object
param immutabilityDays int
param coolAfterDays int
@description('After the content container\'s immutability policy has been locked (README): leave it alone, since ARM\'s create-or-update only applies to an unlocked policy.')
param immutabilityPolicyLocked bool = false
@description('Reach both accounts only through private endpoints (network.bicep): public network access off.')
param vnetEnabled bool = false

var common = {
  allowSharedKeyAccess: false
  allowBlobPublicAccess: false
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
  defaultToOAuthAuthentication: true
  publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
}

resource host 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: hostAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: common
}

resource hostBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: host
  name: 'default'
}

resource deployment 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: hostBlobs
  name: 'deploymentpackage'
}

resource backup 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: backupAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: union(common, {
    accessTier: 'Hot'
    // Version-level immutability needs the account to allow it; it is then switched on per container.
    immutableStorageWithVersioning: immutabilityDays > 0 ? { enabled: true } : null
  })
}

resource backupBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: backup
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: 14 }
    containerDeleteRetentionPolicy: { enabled: true, days: 14 }
  }
}

resource content 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: backupBlobs
  name: 'content'
  properties: immutabilityDays > 0 ? { immutableStorageWithVersioning: { enabled: true } } : {}
}

// Content is written once and never rewritten, so a WORM period costs nothing but stops deletion (by retention or
// by an attacker holding the app's identity) until it ends.
resource contentWorm 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = if (immutabilityDays > 0 && !immutabilityPolicyLocked) {
  parent: content
  name: 'default'
  properties: { immutabilityPeriodSinceCreationInDays: immutabilityDays, allowProtectedAppendWrites: false }
}

// The unlocked policy above can be shortened or removed by whoever may write the container's management plane; this
// lock stops the casual (or scripted) deletes: the account, its containers and that policy (child resources), and the
// resource group around them, so `azd down` too. Removing the lock takes Owner or User Access Administrator. Locking
// the policy itself (README, Retention and holds) is what makes the period irrevocable.
resource backupLock 'Microsoft.Authorization/locks@2020-05-01' = if (immutabilityDays > 0) {
  name: 'm365-vault-backup-no-delete'
  scope: backup
  properties: {
    level: 'CanNotDelete'
    notes: 'm365-vault backup repository under version-level WORM: remove this lock only to retire the deployment (README, Deploy to Azure).'
  }
}

// Large objects are staged here, then copied under their hash into 'content': outside the WORM container, so an
// abandoned upload never becomes immutable there (and is not kept twice), and a lifecycle rule clears leftovers.
resource staging 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: backupBlobs
  name: 'staging'
}

resource changelog 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: backupBlobs
  name: 'changelog'
}

resource exports 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: backupBlobs
  name: 'exports'
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: backup
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'content-to-cool'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['content/'] }
            actions: { baseBlob: { tierToCool: { daysAfterCreationGreaterThan: coolAfterDays } } }
          }
        }
        {
          // Retention deletes content no version references; with versioning on, the deleted blob lives on as a
          // previous version, which this removes once the soft-delete window (14 days) has passed.
          name: 'content-versions-expire'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['content/'] }
            actions: { version: { delete: { daysAfterCreationGreaterThan: 14 } } }
          }
        }
        {
          name: 'staging-expire'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['staging/'] }
            actions: { baseBlob: { delete: { daysSinceModificationGreaterThan: 7 } } }
          }
        }
        {
          name: 'exports-expire'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: { blobTypes: ['blockBlob'], prefixMatch: ['exports/'] }
            actions: { baseBlob: { delete: { daysAfterCreationGreaterThan: 7 } } }
          }
        }
      ]
    }
  }
}

output hostAccountName string = host.name
output hostAccountId string = host.id
// The host's service endpoints as the cloud names them (national clouds have other suffixes than core.windows.net).
output hostBlobEndpoint string = host.properties.primaryEndpoints.blob
output hostQueueEndpoint string = host.properties.primaryEndpoints.queue
output hostTableEndpoint string = host.properties.primaryEndpoints.table
output backupAccountName string = backup.name
output backupAccountId string = backup.id
output backupBlobEndpoint string = backup.properties.primaryEndpoints.blob
output deploymentContainerUrl string = '${host.properties.primaryEndpoints.blob}${deployment.name}'
