// The administrator's API over the local host: editing, disabling and deleting jobs and accounts (validated field by
// field, conditional on ETags, Administrator only, audited), and stopping a running backup while following its
// progress. The run is held deterministically: Graph throttles one mailbox's message sync for as long as the test
// keeps the fault rule, so the run can only end by being stopped.
import { CosmosClient, Database } from '@azure/cosmos';
import { control } from '../../local/cli/emulator-control';
import type { ApiClient } from '../../local/cli/api-client';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { accountSchema, jobSchema, runSchema } from '../../shared/api/responses';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

interface ErrorBody {
  error: { code: string; message: string };
}
interface Progress {
  itemsDone: number;
  itemsTotal?: number;
  written: number;
  bytes: number;
  current: Array<{ protectedItemId: string; displayName?: string }>;
}
interface Run {
  id: string;
  status: string;
  reason?: string;
  progress?: Progress;
  stopRequested?: { by: { id: string } };
  summary?: Record<string, number>;
}
interface Point {
  seq: number;
  status: string;
  runId: string;
}

describe('admin API', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let database: Database;
  let reader: ApiClient;

  const addAccount = async (displayName: string): Promise<string> => {
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const r = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName,
      tenantId: app.tenant.tenantId,
      clientId: backupApp.clientId,
      credential: { type: 'secret', secretName: 'demo-backup' },
    });
    expect(r.status).toBe(201);
    return r.body.id;
  };
  const addJob = async (accountId: string, body: Record<string, unknown>): Promise<string> => {
    const r = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, body);
    expect(r.status).toBe(201);
    return r.body.id;
  };
  const mailboxes = (...users: Array<{ userPrincipalName: string }>) => ({
    scope: 'selected',
    items: users.map((u) => ({ kind: 'mailbox', match: u.userPrincipalName })),
  });
  const pointsOf = async (accountId: string, userId: string): Promise<Point[]> =>
    (
      await app.admin.call<{ value: Point[] }>(
        'GET',
        `/api/accounts/${accountId}/protected-items/${encodeURIComponent(`${accountId}.mailbox.${userId}`)}/recovery-points`,
      )
    ).body.value;
  const auditActions = async (accountId: string): Promise<string[]> =>
    (
      await database
        .container('audit')
        .items.query<{ action: string }>({
          query: 'SELECT c.action FROM c WHERE c.accountId = @a',
          parameters: [{ name: '@a', value: accountId }],
        })
        .fetchAll()
    ).resources.map((r) => r.action);

  beforeAll(async () => {
    const catalog = await freshCatalog('admin');
    client = catalog.client;
    database = catalog.database;
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('admin'),
      // Short steps, so a throttled mailbox comes back to a step boundary every few seconds.
      syncTimeBoxSeconds: 5,
    });
    // A caller holding the Reader app role only.
    reader = app.reader;
  }, 180_000);
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('stops a running backup at a step boundary, keeping what it wrote, after showing its live progress', async () => {
    const [adele, alex, allan] = app.tenant.users.filter((u) => u.licensed);
    const accountId = await addAccount('Stoppable');
    const jobId = await addJob(accountId, {
      name: 'Three mailboxes',
      sources: mailboxes(adele, alex, allan),
      options: { concurrency: 1 },
    });
    // Alex's message sync is throttled for as long as the rule stands: the run reaches Alex and stays there.
    await control(app.emulator, 'POST', 'faults/rules', {
      status: 429,
      path: 'messages/delta',
      mailbox: alex.id,
      retryAfterSeconds: 3,
    });
    try {
      await stopHeldRun(accountId, jobId, { adele, alex, allan });
    } finally {
      await control(app.emulator, 'DELETE', 'faults');
    }
    // Graph answers again: the next run completes every mailbox, Alex's from where the stopped one left off.
    const next = await app.admin.runJob(accountId, jobId, 180_000);
    expect(next).toMatchObject({ status: 'success', items: 3 });
    expect((await pointsOf(accountId, alex.id)).map((p) => [p.seq, p.status])).toEqual(
      expect.arrayContaining([[2, 'success']]),
    );

    // Stopped while an item waits out an hour-long Retry-After on its folder listing: the stop wakes it, and its
    // point is recorded as stopped (nothing of it was reached) an hour early.
    await control(app.emulator, 'POST', 'faults/rules', {
      status: 429,
      path: 'mailFolders/delta',
      mailbox: allan.id,
      retryAfterSeconds: 3600,
    });
    try {
      const started = await app.admin.call<Run>('POST', `/api/accounts/${accountId}/jobs/${jobId}/run`);
      const location = started.headers.get('location')!;
      for (let i = 0; i < 600; i++) {
        const run = (await app.admin.call<Run>('GET', location)).body;
        if (run.progress?.current[0]?.protectedItemId === `${accountId}.mailbox.${allan.id}`) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect((await app.admin.call('POST', `${location}/stop`)).status).toBe(202);
      expect((await app.admin.waitForRun<Run>(location, undefined, 180_000)).status).toBe('stopped');
    } finally {
      await control(app.emulator, 'DELETE', 'faults');
    }
    const newest = async (userId: string) => (await pointsOf(accountId, userId)).sort((a, b) => b.seq - a.seq)[0];
    expect(await newest(adele.id)).toMatchObject({ seq: 3, status: 'success' });
    expect(await newest(alex.id)).toMatchObject({ seq: 3, status: 'success' });
    expect(await newest(allan.id)).toMatchObject({ seq: 2, status: 'stopped' });
  }, 600_000);

  /** Starts the job, follows its progress until it is held at Alex, stops it, and checks what it left. */
  async function stopHeldRun(
    accountId: string,
    jobId: string,
    { adele, alex, allan }: Record<'adele' | 'alex' | 'allan', { id: string; displayName: string }>,
  ): Promise<void> {
    const started = await app.admin.call<Run>('POST', `/api/accounts/${accountId}/jobs/${jobId}/run`);
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    const alexItem = `${accountId}.mailbox.${alex.id}`;

    let progress: Progress | undefined;
    for (let i = 0; i < 600; i++) {
      const run = await reader.call<Run>('GET', location);
      expect(run.status).toBe(200);
      expect(run.body.status).toBe('running');
      // Each answer is what the OpenAPI document says a run is.
      expect(runSchema.safeParse(run.body).error).toBeUndefined();
      progress = run.body.progress;
      if (progress?.itemsDone === 1 && progress.current[0]?.protectedItemId === alexItem) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(progress).toMatchObject({
      itemsDone: 1,
      itemsTotal: 3,
      current: [{ protectedItemId: alexItem, displayName: alex.displayName }],
    });
    expect(progress!.written).toBeGreaterThan(0);
    expect(progress!.bytes).toBeGreaterThan(0);

    const stopPath = `${location}/stop`;
    const refused = await reader.call<ErrorBody>('POST', stopPath);
    expect(refused.status).toBe(403);
    const stop = await app.admin.call<Run>('POST', stopPath);
    expect(stop.status).toBe(202);
    expect(stop.headers.get('location')).toBe(location);
    expect(stop.body.stopRequested?.by.id).toBeDefined();
    expect(runSchema.safeParse(stop.body).error).toBeUndefined();

    const ended = await app.admin.waitForRun<Run>(location, undefined, 180_000);
    expect(ended.status).toBe('stopped');
    expect(ended.reason).toMatch(/^stopped by /);
    expect(ended.progress).toBeUndefined();
    // Adele's point is complete and browsable; Alex's is recorded as cut short, never as a success; Allan's was
    // never begun.
    const [adelePoint] = await pointsOf(accountId, adele.id);
    expect(adelePoint).toMatchObject({ status: 'success', runId: ended.id });
    const folders = await app.admin.call<{ value: unknown[] }>(
      'GET',
      `/api/accounts/${accountId}/protected-items/${encodeURIComponent(`${accountId}.mailbox.${adele.id}`)}/recovery-points/1/folders`,
    );
    expect(folders.status).toBe(200);
    expect(folders.body.value.length).toBeGreaterThan(0);
    const [alexPoint] = await pointsOf(accountId, alex.id);
    expect(['partial', 'stopped']).toContain(alexPoint.status);
    expect(await pointsOf(accountId, allan.id)).toEqual([]);

    const again = await app.admin.call<ErrorBody>('POST', stopPath);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('runEnded');
    const unknown = await app.admin.call<ErrorBody>(
      'POST',
      `/api/accounts/${accountId}/jobs/${jobId}/runs/20260101T000000-00000000/stop`,
    );
    expect(unknown.status).toBe(404);
    expect(await auditActions(accountId)).toEqual(expect.arrayContaining(['backup.run', 'backup.stop']));
  }

  it('edits, disables and deletes jobs and accounts: validated, conditional, Administrator only, audited', async () => {
    const [adele, alex] = app.tenant.users.filter((u) => u.licensed);
    const accountId = await addAccount('Editable');
    const jobId = await addJob(accountId, { name: 'Adele', sources: mailboxes(adele) });
    const jobPath = `/api/accounts/${accountId}/jobs/${jobId}`;
    const accountPath = `/api/accounts/${accountId}`;
    expect((await app.admin.runJob(accountId, jobId, 180_000)).status).toBe('success');

    const read = await app.admin.call<Record<string, unknown>>('GET', jobPath);
    const etag = read.headers.get('etag')!;
    expect(etag).toBeTruthy();

    // A change: the fields given replace theirs, the others stay; the ETag moves on.
    const changed = await app.admin.call<Record<string, unknown>>(
      'PATCH',
      jobPath,
      { name: 'Adele and Alex', sources: mailboxes(adele, alex), options: { concurrency: 2 } },
      { headers: { 'if-match': etag } },
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      name: 'Adele and Alex',
      sources: { scope: 'selected', items: [{ match: adele.userPrincipalName }, { match: alex.userPrincipalName }] },
      options: { concurrency: 2, reportRecipients: [] },
      retention: read.body.retention,
      createdAt: read.body.createdAt,
    });
    expect(jobSchema.safeParse(changed.body).error).toBeUndefined();
    const newEtag = changed.headers.get('etag')!;
    expect(newEtag).toBeTruthy();
    expect(newEtag).not.toBe(etag);

    // A stale ETag: 412, nothing written.
    const stale = await app.admin.call<ErrorBody>(
      'PATCH',
      jobPath,
      { name: 'Lost' },
      { headers: { 'if-match': etag } },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('preconditionFailed');

    // Bad fields: a 400 naming each, never a partial write.
    const bad = await app.admin.call<ErrorBody>('PATCH', jobPath, {
      name: '',
      schedules: 'daily',
      options: { concurrency: 0 },
      colour: 'blue',
    });
    expect(bad.status).toBe(400);
    for (const field of ['body.name', 'body.schedules', 'body.options.concurrency', 'colour'])
      expect(bad.body.error.message).toContain(field);
    const senderless = await app.admin.call<ErrorBody>('PATCH', jobPath, {
      options: { reportRecipients: ['ops@contoso.example'] },
    });
    expect(senderless.status).toBe(400);
    expect(senderless.body.error.message).toContain('body.options.reportSender');
    const nowhere = await app.admin.call<ErrorBody>('PATCH', jobPath, { destination: { repository: 'nowhere' } });
    expect(nowhere.status).toBe(400);
    expect(nowhere.body.error.message).toContain("body.destination.repository: no repository 'nowhere'");
    for (const notAnObject of ['[1]', '"x"', '{"name": '])
      expect((await app.admin.call('PATCH', jobPath, notAnObject)).status).toBe(400);
    const afterBad = await app.admin.call<Record<string, unknown>>('GET', jobPath);
    expect(afterBad.body.name).toBe('Adele and Alex');
    expect(afterBad.headers.get('etag')).toBe(newEtag);

    // Unknown ids and the wrong role.
    const missing = `/api/accounts/${accountId}/jobs/00000000-0000-4000-8000-000000000000`;
    expect((await app.admin.call('PATCH', missing, { name: 'x' })).status).toBe(404);
    expect((await app.admin.call('DELETE', missing)).status).toBe(404);
    expect((await app.admin.call('PATCH', '/api/accounts/00000000-0000-4000-8000-000000000000', {})).status).toBe(404);
    for (const [method, path, body] of [
      ['PATCH', jobPath, { name: 'Reader was here' }],
      ['DELETE', jobPath, undefined],
      ['PATCH', accountPath, { displayName: 'Reader was here' }],
      ['DELETE', accountPath, undefined],
    ] as const)
      expect((await reader.call(method, path, body)).status).toBe(403);

    // Disabled: Run now is refused; enabled again, it runs.
    expect((await app.admin.call('PATCH', jobPath, { enabled: false })).status).toBe(200);
    const disabled = await app.admin.call<ErrorBody>('POST', `${jobPath}/run`);
    expect(disabled.status).toBe(409);
    expect(disabled.body.error.code).toBe('jobDisabled');
    expect((await app.admin.call('PATCH', jobPath, { enabled: true })).status).toBe(200);
    expect((await app.admin.runJob(accountId, jobId, 180_000)).status).toBe('success');

    // The account: renamed, its tenant fixed, and not deleted while it has a job.
    const renamed = await app.admin.call<{ displayName: string; tenantId: string }>('PATCH', accountPath, {
      displayName: 'Edited',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ displayName: 'Edited', tenantId: app.tenant.tenantId });
    expect(accountSchema.safeParse(renamed.body).error).toBeUndefined();
    const retenant = await app.admin.call<ErrorBody>('PATCH', accountPath, { tenantId: 'fabrikam.onmicrosoft.com' });
    expect(retenant.status).toBe(400);
    expect(retenant.body.error.message).toContain('body.tenantId');
    const badCredential = await app.admin.call<ErrorBody>('PATCH', accountPath, {
      credential: { type: 'secret', secretName: 'no spaces allowed' },
    });
    expect(badCredential.status).toBe(400);
    expect(badCredential.body.error.message).toContain('body.credential.secretName');
    const busy = await app.admin.call<ErrorBody>('DELETE', accountPath);
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toContain(jobId);
    expect(busy.body.error.message).toContain('Adele and Alex');

    // Deleting the job: gone from the API, its recovery points kept under its own retention policy.
    const jobEtag = (await app.admin.call('GET', jobPath)).headers.get('etag')!;
    expect((await app.admin.call('DELETE', jobPath, undefined, { headers: { 'if-match': etag } })).status).toBe(412);
    expect((await app.admin.call('DELETE', jobPath, undefined, { headers: { 'if-match': jobEtag } })).status).toBe(204);
    expect((await app.admin.call('GET', jobPath)).status).toBe(404);
    expect((await app.admin.call('DELETE', jobPath)).status).toBe(404);
    expect((await app.admin.call('POST', `${jobPath}/run`)).status).toBe(404);
    expect((await app.admin.call<{ value: unknown[] }>('GET', `${accountPath}/jobs`)).body.value).toEqual([]);
    expect((await pointsOf(accountId, adele.id)).map((p) => p.seq).sort()).toEqual([1, 2]);
    const retention = await app.admin.call<{ id: string }>('POST', `${accountPath}/retention-runs`);
    expect(retention.status).toBe(202);
    const report = await app.admin.waitForRun<{
      status: string;
      items: Array<{ protectedItemId: string; kept: Array<{ seq: number; reasons: string[] }>; removed: number[] }>;
    }>(`${accountPath}/retention-runs/${retention.body.id}`, undefined, 180_000);
    const adeleReport = report.items.find((r) => r.protectedItemId === `${accountId}.mailbox.${adele.id}`)!;
    expect(adeleReport.kept.map((k) => k.seq).sort()).toEqual([1, 2]);
    expect(adeleReport.kept.flatMap((k) => k.reasons)).not.toContain('noPolicy');
    expect(adeleReport.removed).toEqual([]);
    expect(await auditActions(accountId)).toEqual(
      expect.arrayContaining(['job.update', 'job.delete', 'account.update']),
    );

    // Then the account.
    expect((await app.admin.call('DELETE', accountPath)).status).toBe(204);
    expect((await app.admin.call('GET', accountPath)).status).toBe(404);
    expect((await app.admin.call('DELETE', accountPath)).status).toBe(404);
    expect(
      (await app.admin.call<{ value: Array<{ id: string }> }>('GET', '/api/accounts')).body.value.map((a) => a.id),
    ).not.toContain(accountId);
    expect(await auditActions(accountId)).toContain('account.delete');
  }, 600_000);
});
