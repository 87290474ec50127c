// Application Insights (local auth off: the app publishes with its identity) and alerts on failed runs and on
// error alarms, which the product logs as `BackupRunFailed …` and `VaultAlarm {"severity":…}` trace messages.
param workspaceName string
param appInsightsName string
param location string
param tags object
param alertEmail string

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

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-m365-vault'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'm365vault'
    enabled: true
    emailReceivers: [{ name: 'backup-admins', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

var alerts = [
  { name: 'backup-run-failed', severity: 1, query: 'traces | where message startswith "BackupRunFailed"', description: 'A backup run failed: open the run in the API or Application Insights for the cause and fix.' }
  { name: 'backup-error-alarm', severity: 2, query: 'traces | where message startswith "VaultAlarm" and message has "\\"severity\\":\\"error\\""', description: 'A backup raised an error alarm (missing permission, locked site, bad credential, storage limit).' }
]

resource rules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for a in alerts: {
  name: a.name
  location: location
  tags: tags
  properties: {
    description: a.description
    severity: a.severity
    enabled: true
    scopes: [appInsights.id]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: { allOf: [{ query: a.query, timeAggregation: 'Count', operator: 'GreaterThan', threshold: 0, failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 } }] }
    actions: empty(alertEmail) ? {} : { actionGroups: [actionGroup.id] }
  }
}]

output appInsightsName string = appInsights.name
output appInsightsConnectionString string = appInsights.properties.ConnectionString
output workspaceId string = workspace.id
