// Log Analytics and Application Insights (local auth off: the app publishes with its identity). The app's custom
// events (`M365Vault.Run`, `M365Vault.RecoveryPoint`, `M365Vault.Alarm`, `M365Vault.Recovery`, never sampled) land
// here; alerts.bicep and workbook.bicep read them.
param workspaceName string
param appInsightsName string
param location string
param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: { Application_Type: 'web', WorkspaceResourceId: workspace.id, DisableLocalAuth: true }
}

output appInsightsName string = appInsights.name
output appInsightsId string = appInsights.id
output appInsightsConnectionString string = appInsights.properties.ConnectionString
output workspaceId string = workspace.id
