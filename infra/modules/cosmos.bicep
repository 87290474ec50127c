// The recovery-point catalog. Containers come from shared/catalog/containers.json (the same file the local stack
// provisions from), so code and infrastructure cannot drift. Local auth is off: the app uses its identity.
param accountName string
param location string
param tags object
param databaseName string
param containers array
@allowed(['serverless', 'autoscale'])
param capacity string
@description('Reach the account only through its private endpoint (network.bicep): public network access off.')
param vnetEnabled bool = false

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [{ locationName: location, failoverPriority: 0, isZoneRedundant: false }]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    disableLocalAuth: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    capabilities: capacity == 'serverless' ? [{ name: 'EnableServerless' }] : []
    backupPolicy: { type: 'Continuous', continuousModeProperties: { tier: 'Continuous7Days' } }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
    options: capacity == 'autoscale' ? { autoscaleSettings: { maxThroughput: 4000 } } : {}
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [for c in containers: {
  parent: database
  name: c.name
  properties: {
    resource: union({
      id: c.name
      // Several paths make a hierarchical partition key (MultiHash, version 2); see PARTITIONING.md.
      partitionKey: { paths: c.partitionKeyPaths, kind: length(c.partitionKeyPaths) > 1 ? 'MultiHash' : 'Hash', version: 2 }
      // Large, never-queried parts (item properties for restore, content pointers) are not indexed: every indexed
      // path costs RUs on every write. Message search seeks the word index (/props/searchTerms/[], under /*) and
      // checks the phrase in searchText/bodyText on those candidates only, so the long texts are not indexed either.
      indexingPolicy: {
        indexingMode: 'consistent'
        includedPaths: [{ path: '/*' }]
        excludedPaths: [{ path: '/"_etag"/?' }, { path: '/content/*' }, { path: '/props/bodyPreview/?' }, { path: '/props/searchText/?' }, { path: '/props/bodyText/?' }, { path: '/alarms/*' }, { path: '/itemIds/*' }]
      }
    }, c.defaultTtl == null ? {} : { defaultTtl: c.defaultTtl })
  }
}]

output accountName string = account.name
output id string = account.id
output endpoint string = account.properties.documentEndpoint
