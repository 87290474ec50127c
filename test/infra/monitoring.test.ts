import fs from 'node:fs';
import path from 'node:path';
import { EVENT, RPO_MARGIN } from '../../shared/telemetry/events';

// Structural checks of the operations workbook and the alert rules (no Bicep compiler or Azure here): the panels
// exist, every query reads only the custom events the app sends, and every alert reaches the action group.
const infra = path.resolve(__dirname, '../../../infra');
const read = (f: string): string => fs.readFileSync(path.join(infra, f), 'utf8');

// The names the app sends (shared/telemetry/events.ts): a query that misspells one reads nothing, silently.
const EVENTS: string[] = Object.values(EVENT);

interface Item {
  type: number;
  name: string;
  customWidth?: string;
  content: {
    version?: string;
    query?: string;
    title?: string;
    visualization?: string;
    timeContextFromParameter?: string;
    resourceType?: string;
    resourceIds?: string[];
    metrics?: { namespace: string; metric: string }[];
    parameters?: { name: string; type: number; query?: string }[];
  };
}
const workbook = JSON.parse(read('workbook/m365-vault.workbook.json')) as {
  version: string;
  items: Item[];
  fallbackResourceIds: string[];
};
const queries = workbook.items.filter((i) => i.type === 3);
const parameterQueries = workbook.items
  .filter((i) => i.type === 9)
  .flatMap((i) => i.content.parameters ?? [])
  .filter((p) => p.query);

const alerts = read('modules/alerts.bicep');
const alertQueries = [...alerts.matchAll(/^var (\w+) = '''\n([\s\S]*?)'''/gm)].map((m) => ({ name: m[1], kql: m[2] }));
/** The body of one entry of `logAlerts`, by its rule name. */
const logAlert = (name: string): string => {
  const m = new RegExp(`\\{\\n\\s+name: '${name}'\\n[\\s\\S]*?\\n  \\}`).exec(alerts);
  if (!m) throw new Error(`no log alert ${name}`);
  return m[0];
};
const kqlOf = (entry: string): string => {
  const v = /query: (\w+)/.exec(entry)![1];
  const direct = alertQueries.find((q) => q.name === v);
  if (direct) return direct.kql;
  // A query made from a template by replace() (a threshold put in).
  const template = new RegExp(`var ${v} = replace\\((\\w+),`).exec(alerts)![1];
  return alertQueries.find((q) => q.name === template)!.kql;
};

/** What a KQL text must look like to parse at all: balanced brackets and closed string literals. */
function shapeProblems(kql: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let quote: string | undefined;
  for (const ch of kql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) problems.push(`unbalanced ${ch}`);
  }
  if (quote) problems.push(`unclosed ${quote}`);
  if (stack.length) problems.push(`unclosed ${stack.join('')}`);
  return problems;
}

describe('operations workbook (infra/workbook/m365-vault.workbook.json)', () => {
  it('is a Notebook/1.0 workbook with a time range and an account parameter', () => {
    expect(workbook.version).toBe('Notebook/1.0');
    const params = workbook.items.find((i) => i.type === 9)!.content.parameters!;
    expect(params.find((p) => p.name === 'TimeRange')).toMatchObject({ type: 4 });
    expect(params.find((p) => p.name === 'Account')).toMatchObject({ type: 2 });
    expect(new Set(workbook.items.map((i) => i.name)).size).toBe(workbook.items.length);
    expect(workbook.items.filter((i) => i.type === 1).length).toBeGreaterThan(5);
  });

  it('runs every query on Application Insights, over the chosen time range and accounts', () => {
    expect(queries.length).toBeGreaterThan(10);
    for (const q of queries) {
      expect({ item: q.name, ...q.content }).toMatchObject({
        item: q.name,
        version: 'KqlItem/1.0',
        resourceType: 'microsoft.insights/components',
        timeContextFromParameter: 'TimeRange',
      });
      expect({
        item: q.name,
        filtered: q.content.query!.includes("'*' in ({Account}) or accountId in ({Account})"),
      }).toEqual({ item: q.name, filtered: true });
    }
    expect(workbook.fallbackResourceIds).toEqual(['__APP_INSIGHTS_ID__']);
  });

  it('reads only the events the app sends, by their exact names', () => {
    const all = [...queries.map((q) => q.content.query!), ...parameterQueries.map((p) => p.query!)];
    for (const kql of all) {
      for (const m of kql.matchAll(/M365Vault\.\w+/g)) expect(EVENTS).toContain(m[0]);
      for (const m of kql.matchAll(/name == "([^"]+)"/g)) expect(EVENTS).toContain(m[1]);
      expect({ kql, problems: shapeProblems(kql.replace(/\{Account\}|\{TimeRange:grain\}/g, 'x')) }).toEqual({
        kql,
        problems: [],
      });
      expect(kql).toMatch(/^(let \w+ = )?customEvents\b/m);
    }
    for (const event of EVENTS)
      expect({ event, read: all.some((k) => k.includes(`name == "${event}"`)) }).toEqual({ event, read: true });
    // The panels' explanations name them too.
    const texts = JSON.stringify(workbook.items.filter((i) => i.type === 1));
    for (const m of texts.matchAll(/M365Vault\.\w+/g)) expect(EVENTS).toContain(m[0]);
  });

  const panel = (visualization: string, ...parts: (string | RegExp)[]): Item | undefined =>
    queries.find(
      (q) =>
        q.content.visualization === visualization &&
        parts.every((p) => (typeof p === 'string' ? q.content.query!.includes(p) : p.test(q.content.query!))),
    );

  it('has the panels: runs, items and bytes, throughput, Graph throttling, causes, storage, items at risk, recoveries', () => {
    const expected: Record<string, Item | undefined> = {
      'runs per day by status': panel('barchart', 'name == "M365Vault.Run"', 'by bin(timestamp, 1d), status'),
      'run status tiles': panel('tiles', 'name == "M365Vault.Run"', 'count() by status'),
      'items and bytes per run': panel(
        'table',
        'name == "M365Vault.Run"',
        ...['items', 'itemsFailed', 'readMB', 'storedMB', 'minutes', 'MBps'].map((c) => new RegExp(`\\b${c} =`)),
      ),
      'throughput over time': panel('timechart', 'name == "M365Vault.Run"', /MBps = .*by bin\(timestamp/),
      'Graph requests and throttling over time': panel(
        'timechart',
        'name == "M365Vault.RecoveryPoint"',
        'graphRequests = sum(',
        'throttled = sum(',
      ),
      'throttling by job': panel('table', 'name == "M365Vault.RecoveryPoint"', 'throttledPct', 'by accountId, jobName'),
      'failures by cause with their fix': panel(
        'table',
        'name == "M365Vault.Alarm"',
        'by code, severity',
        'arg_max(timestamp, subject, cause, fix)',
        'lastSeen',
      ),
      'storage growth': panel('timechart', 'storedBytes', 'bytesFreed', 'row_cumsum('),
      'items never backed up or outside their schedule': panel(
        'table',
        'name == "M365Vault.RecoveryPoint"',
        '"never backed up"',
        '"not within schedule"',
        'rpoHours * 1.5',
        'lastSuccess',
      ),
      'restores and exports with who ran them': panel('table', 'name == "M365Vault.Recovery"', 'requestedBy'),
    };
    for (const [what, item] of Object.entries(expected))
      expect({ what, found: item !== undefined }).toEqual({ what, found: true });
    // The backup account's used capacity, as Azure Storage reports it, bound to the deployed account.
    const metrics = workbook.items.find((i) => i.type === 10)!;
    expect(metrics.content).toMatchObject({
      version: 'MetricsItem/2.0',
      resourceType: 'microsoft.storage/storageaccounts',
      resourceIds: ['__BACKUP_STORAGE_ID__'],
      timeContextFromParameter: 'TimeRange',
      metrics: [
        {
          namespace: 'microsoft.storage/storageaccounts',
          metric: 'microsoft.storage/storageaccounts-Capacity-UsedCapacity',
        },
      ],
    });
  });

  it('is deployed as a shared workbook of the Application Insights component, placeholders filled in', () => {
    const bicep = read('modules/workbook.bicep');
    expect(bicep).toMatch(/resource workbook 'Microsoft\.Insights\/workbooks@2023-06-01' = \{/);
    expect(bicep).toContain("loadTextContent('../workbook/m365-vault.workbook.json')");
    expect(bicep).toMatch(/name: guid\(appInsightsId, '[^']+'\)/);
    expect(bicep).toContain("kind: 'shared'");
    expect(bicep).toContain("displayName: 'm365-vault operations'");
    expect(bicep).toContain("category: 'workbook'");
    expect(bicep).toContain('sourceId: appInsightsId');
    expect(bicep).toContain("replace(template, '__APP_INSIGHTS_ID__', appInsightsId)");
    expect(bicep).toContain("'__BACKUP_STORAGE_ID__', backupStorage.id)");
    const json = read('workbook/m365-vault.workbook.json');
    for (const placeholder of ['__APP_INSIGHTS_ID__', '__BACKUP_STORAGE_ID__']) expect(json).toContain(placeholder);
  });
});

describe('alert rules (infra/modules/alerts.bicep)', () => {
  it('reads only the events the app sends, and no trace text (sampling drops traces)', () => {
    expect(alertQueries.length).toBeGreaterThanOrEqual(6);
    for (const { name, kql } of alertQueries) {
      for (const m of kql.matchAll(/M365Vault\.\w+/g))
        expect({ name, known: EVENTS.includes(m[0]) }).toEqual({ name, known: true });
      expect(kql).toMatch(/^(customEvents|requests)\n/);
      expect({ name, problems: shapeProblems(kql) }).toEqual({ name, problems: [] });
      // Log alerts accept ago() with literal timespans only, and bin rows by a datetime column when one is returned.
      expect(kql).not.toMatch(/ago\((?!\d+[dhms]\))/);
    }
    for (const f of fs.readdirSync(path.join(infra, 'modules')))
      expect({ f, traces: /traces\s*\|\s*where message/.test(read(`modules/${f}`)) }).toEqual({ f, traces: false });
    expect(read('modules/monitoring.bicep')).not.toMatch(/scheduledQueryRules|BackupRunFailed|VaultAlarm/);
  });

  it('fires when a run fails, naming the job', () => {
    const rule = logAlert('backup-run-failed');
    expect(rule).toMatch(/severity: 1\n/);
    expect(rule).toMatch(/dimensions: \['runType', 'accountName', 'jobName'\]/);
    expect(kqlOf(rule)).toContain('name == "M365Vault.Run" and tostring(customDimensions.status) == "failed"');
  });

  it('fires when a job is behind its schedule, whatever its interval, and when the scheduler stops', () => {
    const rule = logAlert('backup-missed-rpo');
    const kql = kqlOf(rule);
    expect(rule).toMatch(/frequency: 'PT1H'\n/);
    expect(rule).toMatch(/window: 'PT2H'\n/);
    expect(rule).toMatch(/dimensions: \['accountName', 'jobName', 'jobId'\]/);
    // The latest hourly record of each job decides (the scheduler judged it against its schedule, RPO_MARGIN).
    expect(kql).toContain(`name == "${EVENT.jobStatus}"`);
    expect(kql).toContain('arg_max(timestamp, customDimensions, customMeasurements) by jobId');
    expect(kql).toContain('tostring(customDimensions.status) == "overdue"');
    expect(RPO_MARGIN).toBe(1.5);
    // No records at all for three hours (after some in the look-back): the scheduler itself is not running.
    const stopped = logAlert('backup-scheduler-stopped');
    expect(stopped).toMatch(/window: 'P2D'\n/);
    expect(kqlOf(stopped)).toContain('summarize lastRecord = max(timestamp)\n| where lastRecord < ago(3h)');
  });

  it('fires on repeated Graph throttling, on storage refusing writes or filling up, and on function failures', () => {
    const throttling = kqlOf(logAlert('graph-throttling'));
    expect(throttling).toContain('toreal(customMeasurements.throttled)');
    expect(throttling).toContain('throttledPct > 10');
    expect(throttling).toContain('tostring(customDimensions.code) == "graph.throttled"');
    expect(alerts).toMatch(/replace\(throttlingQueryTemplate, '__THROTTLED__', string\(throttledPerHour\)\)/);
    const refused = kqlOf(logAlert('storage-refusing-writes'));
    expect(refused).toContain('name == "M365Vault.Alarm"');
    expect(refused).toContain('code == "repository.storageLimit" or code startswith "storage."');
    expect(kqlOf(logAlert('backup-error-alarm'))).toContain('tostring(customDimensions.severity) == "error"');
    const functions = logAlert('function-failures');
    expect(kqlOf(functions)).toContain('requests\n| where success == false');
    expect(functions).toMatch(/threshold: functionFailuresPer15Minutes\n/);
    expect(alerts).toMatch(/resource storageNearQuota 'Microsoft\.Insights\/metricAlerts@2018-03-01'/);
    expect(alerts).toMatch(
      /metricName: 'UsedCapacity'\n[\s\S]*?threshold: storageAlertTiB \* 1024 \* 1024 \* 1024 \* 1024\n/,
    );
    expect(alerts).toMatch(/metricName: 'Transactions'\n\s+dimensions: \[\n\s+\{\n\s+name: 'ResponseType'/);
    for (const responseType of ['ServerBusyError', 'ClientAccountRequestThrottlingError', 'ClientThrottlingError'])
      expect(alerts).toContain(`'${responseType}'`);
  });

  it('says the cause and the fix in every description, and delivers every alert through the action group', () => {
    const descriptions = [...alerts.matchAll(/description: '((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]);
    expect(descriptions.length).toBe(9);
    for (const d of descriptions) expect({ d, fix: /\bFix: /.test(d) }).toEqual({ d, fix: true });
    expect(alerts).toMatch(
      /resource logRules 'Microsoft\.Insights\/scheduledQueryRules@2023-03-15-preview' = \[\n\s+for a in logAlerts:/,
    );
    expect(alerts).toContain('actions: notify ? { actionGroups: [actionGroup.id] } : {}');
    expect(alerts.match(/actions: notify \? \[\{ actionGroupId: actionGroup\.id \}\] : \[\]/g)).toHaveLength(2);
    for (const rule of [
      'backup-run-failed',
      'backup-missed-rpo',
      'backup-scheduler-stopped',
      'graph-throttling',
      'storage-refusing-writes',
      'backup-error-alarm',
      'function-failures',
    ])
      expect(logAlert(rule)).toMatch(/autoMitigate: (true|false)\n/);
  });

  it('creates the action group only for an e-mail or a webhook, each receiver only when set', () => {
    expect(alerts).toContain('var notify = !empty(alertEmail) || !empty(alertWebhookUrl)');
    expect(alerts).toMatch(/resource actionGroup 'Microsoft\.Insights\/actionGroups@2023-01-01' = if \(notify\)/);
    expect(alerts).toContain(
      "emailReceivers: empty(alertEmail) ? [] : [{ name: 'backup-admins', emailAddress: alertEmail, useCommonAlertSchema: true }]",
    );
    expect(alerts).toContain(
      "webhookReceivers: empty(alertWebhookUrl) ? [] : [{ name: 'webhook', serviceUri: alertWebhookUrl, useCommonAlertSchema: true }]",
    );
    expect(alerts).toMatch(/@secure\(\)\nparam alertWebhookUrl string\n/);
    const main = read('main.bicep');
    expect(main).toMatch(/@secure\(\)\nparam alertWebhookUrl string = ''\n/);
    expect(main).toMatch(/module alerts 'modules\/alerts\.bicep'[\s\S]*?alertWebhookUrl: alertWebhookUrl/);
    const parameters = read('main.parameters.json');
    expect(parameters).toContain('"alertWebhookUrl": { "value": "${M365V_ALERT_WEBHOOK_URL=}" }');
    expect(parameters).toContain('"storageAlertTiB": { "value": "${M365V_STORAGE_ALERT_TIB=4608}" }');
  });
});
