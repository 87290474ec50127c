// The "m365-vault operations" workbook (Azure portal > Application Insights > Workbooks, or Monitor > Workbooks):
// runs, items and bytes, throughput, Graph throttling, alarms with their fix, storage growth, items at risk, restores
// and exports. Its panels live in ../workbook/m365-vault.workbook.json (the portal's Advanced Editor format); the
// two placeholders there become this deployment's Application Insights and backup storage account.
param location string
param tags object
param appInsightsId string
param backupStorageName string

resource backupStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: backupStorageName
}

var template = loadTextContent('../workbook/m365-vault.workbook.json')
var content = replace(replace(template, '__APP_INSIGHTS_ID__', appInsightsId), '__BACKUP_STORAGE_ID__', backupStorage.id)

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(appInsightsId, 'm365-vault operations workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'm365-vault operations'
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: content
    version: 'Notebook/1.0'
  }
}

output id string = workbook.id
