// Optional private networking (vnetEnabled): a virtual network whose `app` subnet carries the function app's outbound
// VNet integration (Flex Consumption delegates it to Microsoft.App/environments), and private endpoints, each with its
// private DNS zone linked to the network, for every store the app reaches with its identity: host storage (blob, queue,
// table), the backup repository (blob), Cosmos DB (Sql) and Key Vault (vault). The stores then turn public network
// access off. The layout follows Azure-Samples/functions-quickstart-typescript-azd (infra/app/vnet.bicep,
// storage-PrivateEndpoint.bicep), without registry modules. Microsoft Graph, Entra sign-in, Application Insights and a
// Durable Task Scheduler are still reached over the internet from the integrated subnet.
param name string
param location string
param tags object
param hostStorageId string
param backupStorageId string
param cosmosAccountId string
param keyVaultId string
@description('Address space of the virtual network; the two /24 subnets below are carved from it.')
param addressPrefix string = '10.0.0.0/16'
param privateEndpointSubnetPrefix string = '10.0.1.0/24'
@description('The Flex Consumption integration subnet: every scaled-out instance takes an address from it.')
param appSubnetPrefix string = '10.0.2.0/24'
@description('Cosmos DB\'s private DNS zone (privatelink.documents.azure.us / .azure.cn in national clouds).')
param cosmosDnsZone string = 'privatelink.documents.azure.com'
@description('Key Vault\'s private DNS zone (privatelink.vaultcore.usgovcloudapi.net / .azure.cn in national clouds).')
param keyVaultDnsZone string = 'privatelink.vaultcore.azure.net'

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        name: 'private-endpoints'
        properties: { addressPrefix: privateEndpointSubnetPrefix, privateEndpointNetworkPolicies: 'Disabled' }
      }
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          delegations: [{ name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
    ]
  }
}

// Storage zones follow the cloud's endpoint suffix (core.windows.net in the public cloud).
var zones = [
  'privatelink.blob.${environment().suffixes.storage}'
  'privatelink.queue.${environment().suffixes.storage}'
  'privatelink.table.${environment().suffixes.storage}'
  cosmosDnsZone
  keyVaultDnsZone
]

resource dnsZones 'Microsoft.Network/privateDnsZones@2020-06-01' = [for z in zones: {
  name: z
  location: 'global'
  tags: tags
}]

resource dnsLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [for (z, i) in zones: {
  parent: dnsZones[i]
  name: 'link-${name}'
  location: 'global'
  tags: tags
  properties: { registrationEnabled: false, virtualNetwork: { id: vnet.id } }
}]

// zone: index in `zones`. The two accounts' blob endpoints share the blob zone (one A record each).
var endpoints = [
  { name: 'host-blob', target: hostStorageId, groupId: 'blob', zone: 0 }
  { name: 'host-queue', target: hostStorageId, groupId: 'queue', zone: 1 }
  { name: 'host-table', target: hostStorageId, groupId: 'table', zone: 2 }
  { name: 'backup-blob', target: backupStorageId, groupId: 'blob', zone: 0 }
  { name: 'cosmos-sql', target: cosmosAccountId, groupId: 'Sql', zone: 3 }
  { name: 'keyvault', target: keyVaultId, groupId: 'vault', zone: 4 }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2023-11-01' = [for e in endpoints: {
  name: 'pe-${e.name}-${name}'
  location: location
  tags: tags
  properties: {
    subnet: { id: '${vnet.id}/subnets/private-endpoints' }
    privateLinkServiceConnections: [{ name: e.name, properties: { privateLinkServiceId: e.target, groupIds: [e.groupId] } }]
  }
}]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = [for (e, i) in endpoints: {
  parent: privateEndpoints[i]
  name: 'default'
  properties: { privateDnsZoneConfigs: [{ name: replace(zones[e.zone], '.', '-'), properties: { privateDnsZoneId: dnsZones[e.zone].id } }] }
  dependsOn: [dnsLinks]
}]

output appSubnetId string = '${vnet.id}/subnets/app'
