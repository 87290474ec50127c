// Alert rules on what the app reports as Application Insights custom events (never sampled, unlike traces) and on
// the backup storage account's platform metrics, delivered by one action group (e-mail and/or webhook, both
// optional). Each description names the cause and the fix: it is what the e-mail says.
param location string
param tags object
param appInsightsId string
param backupStorageName string
@description('E-mail address for alerts; empty for none.')
param alertEmail string
@description('Webhook for alerts (common alert schema); empty for none. Secure: such URLs often carry a token.')
@secure()
param alertWebhookUrl string
@description('Alert when the backup storage account uses more than this many TiB (a standard account holds 5 PiB = 5120 TiB by default).')
@minValue(1)
param storageAlertTiB int = 4608
@description('Alert when Graph throttles one job this many times (429/503 responses) in an hour.')
@minValue(1)
param throttledPerHour int = 500
@description('Alert when one function fails this many times in 15 minutes.')
@minValue(1)
param functionFailuresPer15Minutes int = 5

var notify = !empty(alertEmail) || !empty(alertWebhookUrl)

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (notify) {
  name: 'ag-m365-vault'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'm365vault'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [{ name: 'backup-admins', emailAddress: alertEmail, useCommonAlertSchema: true }]
    webhookReceivers: empty(alertWebhookUrl) ? [] : [{ name: 'webhook', serviceUri: alertWebhookUrl, useCommonAlertSchema: true }]
  }
}

resource backupStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: backupStorageName
}

// Log search alerts read at most two days back, whatever the query says: the missed-RPO rule looks back 48 hours.
// Queries return no datetime column, so each rule counts (or totals) its rows over the whole query range.
var runFailedQuery = '''
customEvents
| where name == "M365Vault.Run" and tostring(customDimensions.status) == "failed"
| extend runType = tostring(customDimensions.runType), accountName = tostring(customDimensions.accountName), jobName = tostring(customDimensions.jobName)
| extend jobName = iff(runType == "retention", "(retention)", jobName)
| project runType, accountName, jobName, runId = tostring(customDimensions.runId)
'''

// The scheduler records every scheduled job's standing hourly (M365Vault.JobStatus, shared/backup/job-health.ts), so
// the latest record per job answers whatever its interval: no look-back as long as a monthly job's is needed.
var missedRpoQuery = '''
customEvents
| where name == "M365Vault.JobStatus"
| summarize arg_max(timestamp, customDimensions, customMeasurements) by jobId = tostring(customDimensions.jobId)
| where tostring(customDimensions.status) == "overdue"
| project jobId, accountName = tostring(customDimensions.accountName), jobName = tostring(customDimensions.jobName), lastSuccessAt = tostring(customDimensions.lastSuccessAt), hoursSinceSuccess = toreal(customMeasurements.hoursSinceSuccess), rpoHours = toreal(customMeasurements.rpoHours)
'''

// Those records stopping is the absence of the scheduler itself (the app down, its timer not firing).
var schedulerStoppedQuery = '''
customEvents
| where name == "M365Vault.JobStatus"
| summarize lastRecord = max(timestamp)
| where lastRecord < ago(3h)
'''

var throttlingQueryTemplate = '''
customEvents
| where name == "M365Vault.RecoveryPoint" or (name == "M365Vault.Alarm" and tostring(customDimensions.code) == "graph.throttled")
| extend accountId = tostring(customDimensions.accountId), jobId = tostring(customDimensions.jobId)
| summarize jobName = take_anyif(tostring(customDimensions.jobName), name == "M365Vault.RecoveryPoint"), throttled = sumif(toreal(customMeasurements.throttled), name == "M365Vault.RecoveryPoint"), graphRequests = sumif(toreal(customMeasurements.graphRequests), name == "M365Vault.RecoveryPoint"), throttleAlarms = countif(name == "M365Vault.Alarm") by accountId, jobId
| extend throttledPct = iff(graphRequests > 0, round(100 * throttled / graphRequests, 1), 0.0)
| where throttled >= __THROTTLED__ or (graphRequests >= 200 and throttledPct > 10) or throttleAlarms > 0
'''
var throttlingQuery = replace(throttlingQueryTemplate, '__THROTTLED__', string(throttledPerHour))

var storageRefusedQuery = '''
customEvents
| where name == "M365Vault.Alarm"
| extend code = tostring(customDimensions.code)
// retention's repository.storageLimit, and a backup's storage.* refusals (quota, immutability, forbidden, unavailable)
| where code == "repository.storageLimit" or code startswith "storage."
| project code, accountId = tostring(customDimensions.accountId), runType = tostring(customDimensions.runType), subject = tostring(customDimensions.subject)
'''

var errorAlarmQuery = '''
customEvents
| where name == "M365Vault.Alarm" and tostring(customDimensions.severity) == "error"
| extend code = tostring(customDimensions.code)
| where code !in ("repository.storageLimit", "graph.throttled") and not(code startswith "storage.")
| project code, accountId = tostring(customDimensions.accountId), subject = tostring(customDimensions.subject)
'''

var functionFailuresQuery = '''
requests
| where success == false and not(resultCode startswith "4")
| summarize failures = count() by functionName = name
'''

var logAlerts = [
  {
    name: 'backup-run-failed'
    severity: 1
    query: runFailedQuery
    dimensions: ['runType', 'accountName', 'jobName']
    measure: ''
    aggregation: 'Count'
    operator: 'GreaterThan'
    threshold: 0
    frequency: 'PT15M'
    window: 'PT15M'
    timeRange: ''
    autoMitigate: false
    description: 'A backup or retention run ended "failed" (the alert names the account and the job; retention runs show "(retention)"). Cause: the alarms the run raised, in the workbook "m365-vault operations" (Failures by cause) or in the run itself (GET /api/accounts/{accountId}/jobs/{jobId}/runs/{runId}, or /retention-runs/{runId}): typically an expired credential, a missing Graph permission, a locked site or a storage limit. Fix: do what the alarm says, then run the job again (POST /api/accounts/{accountId}/jobs/{jobId}/run) or let its next schedule run it.'
  }
  {
    name: 'backup-missed-rpo'
    severity: 1
    query: missedRpoQuery
    dimensions: ['accountName', 'jobName', 'jobId']
    measure: ''
    aggregation: 'Count'
    operator: 'GreaterThan'
    threshold: 0
    frequency: 'PT1H'
    window: 'PT2H'
    timeRange: ''
    autoMitigate: true
    description: 'A backup job has had no successful (or warning) run for more than 1.5 times the longest interval its schedule promises (or, new, none since it was created): its recovery point objective is missed, because its runs fail, hang, or no longer start. The scheduler records each job\'s standing every hour (M365Vault.JobStatus), so this holds for monthly jobs too. Fix: open the job\'s runs (GET /api/accounts/{accountId}/jobs/{jobId}/runs) and the workbook (Runs, Protected items at risk): failed runs carry alarms with their fix; if no run started, check that the job and its schedule are enabled and that the function app runs (Function failures alert), then run the job by hand (POST …/run).'
  }
  {
    name: 'backup-scheduler-stopped'
    severity: 1
    query: schedulerStoppedQuery
    dimensions: []
    measure: ''
    aggregation: 'Count'
    operator: 'GreaterThan'
    threshold: 0
    frequency: 'PT1H'
    window: 'P2D'
    timeRange: ''
    autoMitigate: true
    description: 'The scheduler has recorded no job status for 3 hours although it did in the last two days: no scheduled backup is starting. Cause: the function app is stopped, failing to start (a setting, a role or a deployment), or its timer trigger is not firing (Flex Consumption scaled to zero with no always-ready instance, or the host storage unreachable). Fix: in the Function App check Overview (running), Diagnose and solve problems, and Application Insights Failures; the Function failures alert names the failing function; redeploy with azd up if the package is broken. Log alerts look back two days at most, so after two days without records this alert resolves by itself: act on it when it fires.'
  }
  {
    name: 'graph-throttling'
    severity: 2
    query: throttlingQuery
    dimensions: ['accountId', 'jobId', 'jobName']
    measure: ''
    aggregation: 'Count'
    operator: 'GreaterThan'
    threshold: 0
    frequency: 'PT15M'
    window: 'PT1H'
    timeRange: ''
    autoMitigate: true
    description: 'Microsoft Graph throttled a backup job in the last hour: ${throttledPerHour} or more 429/503 responses, more than 10 % of its requests, or a graph.throttled alarm. Every throttled request waits for the Retry-After Graph asks for, so the job slows down and may miss its schedule. Cause: too many requests against one tenant at once, by this job, by other jobs of the same tenant running at the same time, or by other applications. Fix: spread that tenant\'s jobs over the day, split or narrow the busiest job, and see Throttling by job in the workbook "m365-vault operations".'
  }
  {
    name: 'storage-refusing-writes'
    severity: 1
    query: storageRefusedQuery
    dimensions: ['accountId', 'runType']
    measure: ''
    aggregation: 'Count'
    operator: 'GreaterThan'
    threshold: 0
    frequency: 'PT15M'
    window: 'PT15M'
    timeRange: ''
    autoMitigate: false
    description: 'Azure Storage refused the backup repository (alarm repository.storageLimit from retention, or storage.quotaExceeded / storage.immutable / storage.forbidden / storage.unavailable from a backup): the account is full or disabled, the app\'s identity lost its Storage Blob Data role, content is under immutability or a legal hold, or Storage kept throttling past the retries. Content already stored is safe, but new content is not written (a backup) or not collected (retention). Fix: the alarm names Storage\'s cause and its fix (workbook "m365-vault operations", Failures by cause): free space with retention or ask Azure support for more account capacity, restore the role assignments (azd provision does), or wait for the lock to end.'
  }
  {
    name: 'backup-error-alarm'
    severity: 2
    query: errorAlarmQuery
    dimensions: ['code', 'accountId']
    measure: ''
    aggregation: 'Count'
    operator: 'GreaterThan'
    threshold: 0
    frequency: 'PT15M'
    window: 'PT15M'
    timeRange: ''
    autoMitigate: false
    description: 'A run raised an error alarm (code in the alert: for example credential.expired or permission.missing); the items it concerns are not backed up until it is fixed, even where the run itself ended with a warning. Fix: the alarm names its cause and the fix (a new client secret or certificate in Key Vault, admin consent for a missing Graph permission, unlocking a site); see Failures by cause in the workbook "m365-vault operations" or the run\'s alarms in the API.'
  }
  {
    name: 'function-failures'
    severity: 2
    query: functionFailuresQuery
    dimensions: ['functionName']
    measure: 'failures'
    aggregation: 'Total'
    operator: 'GreaterThanOrEqual'
    threshold: functionFailuresPer15Minutes
    frequency: 'PT15M'
    window: 'PT15M'
    timeRange: ''
    autoMitigate: true
    description: 'A function of the app failed ${functionFailuresPer15Minutes} or more times in 15 minutes (invocations that threw or answered 5xx; 4xx answers to callers do not count). Cause: an exception in the app, such as a setting that is missing or wrong, an Azure service the managed identity cannot reach, or a bug. Fix: Application Insights > Failures (or the exceptions table) shows the exception and its stack for that function; correct the setting or role (azd provision), or deploy a fix (azd deploy).'
  }
]

resource logRules 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [
  for a in logAlerts: {
    name: a.name
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: a.name
      description: a.description
      severity: a.severity
      enabled: true
      scopes: [appInsightsId]
      evaluationFrequency: a.frequency
      windowSize: a.window
      overrideQueryTimeRange: empty(a.timeRange) ? null : a.timeRange
      autoMitigate: a.autoMitigate
      criteria: {
        allOf: [
          {
            query: a.query
            timeAggregation: a.aggregation
            metricMeasureColumn: empty(a.measure) ? null : a.measure
            dimensions: map(a.dimensions, d => { name: d, operator: 'Include', values: ['*'] })
            operator: a.operator
            threshold: a.threshold
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      actions: notify ? { actionGroups: [actionGroup.id] } : {}
    }
  }
]

// Capacity metrics are refreshed about once a day (one-hour grain), hence the one-day window evaluated hourly.
resource storageNearQuota 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'storage-near-quota'
  location: 'global'
  tags: tags
  properties: {
    description: 'The backup storage account uses more than ${storageAlertTiB} TiB (UsedCapacity, refreshed about daily). A standard storage account holds 5 PiB by default, and writes fail once it is full: backups then fail with the repository.storageLimit alarm. Fix: tighten the jobs\' retention (GFS policy) and run retention (POST /api/accounts/{id}/retention-runs), or ask Azure support to raise the account\'s capacity; raise storageAlertTiB (M365V_STORAGE_ALERT_TIB) with it.'
    severity: 2
    enabled: true
    scopes: [backupStorage.id]
    evaluationFrequency: 'PT1H'
    windowSize: 'P1D'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'UsedCapacity'
          metricNamespace: 'Microsoft.Storage/storageAccounts'
          metricName: 'UsedCapacity'
          operator: 'GreaterThan'
          threshold: storageAlertTiB * 1024 * 1024 * 1024 * 1024
          timeAggregation: 'Average'
        }
      ]
    }
    autoMitigate: true
    actions: notify ? [{ actionGroupId: actionGroup.id }] : []
  }
}

// Transactions by ResponseType: the documented throttling values (503 server busy, account request-rate and
// bandwidth targets, other client-side throttling).
resource storageThrottled 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'storage-throttled'
  location: 'global'
  tags: tags
  properties: {
    description: 'Azure Storage throttled the backup storage account: more than 100 requests in 15 minutes answered ServerBusyError or a client throttling error (account request-rate or bandwidth targets exceeded). The app retries, so runs slow down; past its retries a run raises the repository.storageLimit alarm. Fix: run fewer jobs at the same time (spread their schedules); if it persists, ask Azure support for higher account targets.'
    severity: 2
    enabled: true
    scopes: [backupStorage.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'ThrottledTransactions'
          metricNamespace: 'Microsoft.Storage/storageAccounts'
          metricName: 'Transactions'
          dimensions: [
            {
              name: 'ResponseType'
              operator: 'Include'
              values: [
                'ServerBusyError'
                'ClientAccountRequestThrottlingError'
                'ClientAccountBandwidthThrottlingError'
                'ClientThrottlingError'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 100
          timeAggregation: 'Total'
        }
      ]
    }
    autoMitigate: true
    actions: notify ? [{ actionGroupId: actionGroup.id }] : []
  }
}

output actionGroupId string = notify ? actionGroup.id : ''
