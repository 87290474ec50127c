// Telemetry through the local host into the Application Insights stand-in, by the real Azure Monitor exporter: a
// backup run, its recovery points and a restore each leave one custom event with the dimensions and measurements
// the workbook and alert rules read (infra/); Graph, Blob and Cosmos DB calls appear as dependencies; and nothing
// secret or from the mailbox (subjects) is in anything sent.
import type { CosmosClient } from '@azure/cosmos';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { control } from '../../local/cli/emulator-control';
import { AZURITE_KEY } from '../../local/stack/azurite';
import { EVENT } from '../../shared/telemetry/events';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

type Events = NonNullable<LocalApp['appInsights']>['events'];

describe('telemetry to Azure Monitor (OpenTelemetry exporter → ingestion stand-in)', () => {
  let app: LocalApp;
  let client: CosmosClient;

  /** Waits until `found` holds for what has arrived (the exporter sends in batches, every few seconds). */
  const arrived = async <T>(found: (events: Events) => T | undefined, what = ''): Promise<T> => {
    const events: Events = (name) => app.appInsights!.events(name);
    for (let i = 0; i < 600; i++) {
      const hit = found(events);
      if (hit !== undefined) return hit;
      await new Promise((r) => setTimeout(r, 100));
    }
    const names = app.appInsights!.envelopes().map((e) => e.data.baseType);
    throw new Error(`${what} not arrived; received: ${JSON.stringify(names)}`);
  };

  beforeAll(async () => {
    const catalog = await freshCatalog('telemetry');
    client = catalog.client;
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('telemetry'),
      // Every dependency kept, so the test can look for each kind (Azure keeps 5 traces a second by default).
      traceSampling: 1,
      // The scheduler records where each job stands in the first minute of each hour.
      virtualClock: true,
    });
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('records the run, each recovery point and a restore, with dependencies, and nothing secret', async () => {
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const adele = app.tenant.users.find((u) => u.licensed)!;
    const accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts?preflight=false', {
        displayName: 'Contoso',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
    const jobId = (
      await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
        name: 'Mailboxes nightly',
        sources: { scope: 'selected', items: [{ kind: 'mailbox', match: adele.userPrincipalName }] },
        schedules: [
          { kind: 'daily', timeZone: 'Europe/Berlin', startAt: '02:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
        ],
      })
    ).body.id;
    const outcome = await app.admin.runJob(accountId, jobId, 120_000);
    expect(outcome.status).toBe('success');

    const run = await arrived((events) => events(EVENT.run).find((e) => e.dimensions.runId === outcome.runId));
    expect(run.dimensions).toMatchObject({
      runType: 'backup',
      accountId,
      accountName: 'Contoso',
      jobId,
      jobName: 'Mailboxes nightly',
      trigger: 'manual',
      status: 'success',
      // Friday 02:00 to Monday 02:00.
      rpoHours: '72',
    });
    expect(run.measurements).toMatchObject({
      items: 1,
      itemsFailed: 0,
      written: outcome.written,
      bytes: outcome.bytes,
      storedBytes: outcome.storedBytes,
      graphRequests: outcome.graphRequests,
      throttled: outcome.throttled,
    });
    expect(run.measurements.durationSeconds).toBeGreaterThan(0);

    const point = await arrived((events) =>
      events(EVENT.recoveryPoint).find((e) => e.dimensions.runId === outcome.runId),
    );
    expect(point.dimensions).toMatchObject({
      accountId,
      jobId,
      jobName: 'Mailboxes nightly',
      protectedItemId: `${accountId}.mailbox.${adele.id}`,
      itemKind: 'mailbox',
      itemName: adele.displayName,
      status: 'success',
      rpoHours: '72',
    });
    expect(point.measurements.written).toBe(outcome.written);

    // A restore, with who ran it.
    const protectedItemId = point.dimensions.protectedItemId;
    const folders = await app.reader.call<{ value: Array<{ id: string; wellKnownName?: string }> }>(
      'GET',
      `/api/accounts/${accountId}/protected-items/${protectedItemId}/recovery-points/1/folders`,
    );
    const inbox = folders.body.value.find((f) => f.wellKnownName === 'inbox')!;
    const started = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/restores`, {
      protectedItemId,
      seq: 1,
      selection: { folders: [inbox.id] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    expect(started.status).toBe(202);
    const restore = await arrived((events) => events(EVENT.recovery).find((e) => e.dimensions.id === started.body.id));
    expect(restore.dimensions).toMatchObject({
      operation: 'restore',
      accountId,
      requestedBy: 'm365-vault admin console',
      status: 'completed',
    });
    expect(restore.measurements.items).toBeGreaterThan(0);

    // Hourly, where the job stands against its schedule: on time now, overdue five days later (its weekday
    // schedule promises 72 hours; the margin is 1.5 times that).
    const jobStatus = async (advanceMs: number) => {
      await app.advanceClock(advanceMs + 3_600_000 - ((app.now() + advanceMs) % 3_600_000) + 1_000);
      const at = app.now();
      expect((await fetch(`${app.host.url}/admin/functions/backupScheduler`, { method: 'POST' })).status).toBe(202);
      return arrived((events) =>
        events(EVENT.jobStatus).find(
          (e) =>
            e.dimensions.jobId === jobId &&
            Date.parse(e.dimensions.lastSuccessAt) < at &&
            e.measurements.hoursSinceSuccess * 3_600_000 >= advanceMs,
        ),
      );
    };
    expect(await jobStatus(0)).toMatchObject({
      dimensions: { accountId, accountName: 'Contoso', jobName: 'Mailboxes nightly', rpoHours: '72', status: 'ok' },
      measurements: { rpoHours: 72 },
    });
    const late = await jobStatus(5 * 86_400_000);
    expect(late.dimensions.status).toBe('overdue');
    expect(late.measurements.hoursSinceSuccess).toBeGreaterThan(108);

    // Graph, Blob Storage and Cosmos DB calls as dependencies.
    const dependencies = await arrived(() => {
      const targets = app
        .appInsights!.envelopes()
        .filter((e) => e.data.baseType === 'RemoteDependencyData')
        .map((e) => (e.data.baseData as { data?: string }).data ?? '');
      const graph = new URL(app.env.M365V_GRAPH_BASE_URL!).host;
      const want = [graph, '/content/', '/dbs/'];
      return want.every((w) => targets.some((t) => t.includes(w))) ? targets : undefined;
    }, 'dependencies to Graph, Blob Storage and Cosmos DB');
    expect(dependencies.length).toBeGreaterThan(0);

    // Nothing secret, and no mailbox content: the secret, keys, tokens and the messages' subjects.
    const sent = JSON.stringify(app.appInsights!.envelopes());
    for (const secret of [backupApp.clientSecret, app.env.M365V_COSMOS_KEY, AZURITE_KEY].filter(Boolean))
      expect(sent.includes(secret!)).toBe(false);
    expect(sent).not.toMatch(/eyJ[\w-]{10,}\.eyJ/); // a JWT (access token)
    expect(sent).not.toMatch(/[?&]sig=(?!REDACTED)/i); // a SAS signature
    const messages = (
      await control<Array<{ subject: string }>>(app.emulator, 'GET', `mail/${adele.id}/folders/inbox/messages`)
    ).body;
    const subjects = messages.map((m) => m.subject).filter((s) => s.length >= 12);
    expect(subjects.length).toBeGreaterThan(0);
    for (const subject of subjects) expect({ subject, sent: sent.includes(subject) }).toEqual({ subject, sent: false });
  });
});
