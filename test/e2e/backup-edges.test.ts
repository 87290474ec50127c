import { CosmosClient, Database } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { control } from '../../local/cli/emulator-control';
import { ApiResponse, outcomeOf, RunOutcome, RunState } from '../../local/cli/api-client';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { ChangeLog } from '../../shared/catalog/change-log';
import { rebuildCatalog } from '../../shared/catalog/rebuild';
import { VersionStore } from '../../shared/catalog/version-store';
import { freshCatalog } from '../support/catalog';
import { sharedStack, stackEnv, uniqueName } from '../support/env';

interface Point {
  status: string;
  seq: number;
  runId: string;
  alarms: Array<{ code: string; message: string; fix: string }>;
  skipped?: Array<{ itemId: string; name: string; reason: string }>;
}
interface Run {
  id: string;
  status: string;
  endedAt?: string;
  summary?: Record<string, number>;
  alarms: Array<{ code: string; message: string; fix: string }>;
}

describe('backup edges: bad items, failed and terminated runs, a rebuilt catalog, overlapping jobs', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let database: Database;
  let versions: VersionStore;
  let accountId: string;
  const hostLines: string[] = [];

  const createJob = async (body: Record<string, unknown>, account = accountId): Promise<string> => {
    const r = await app.admin.call<{ id: string }>('POST', `/api/accounts/${account}/jobs`, body);
    expect(r.status).toBe(201);
    return r.body.id;
  };
  const start = async (jobId: string, account = accountId): Promise<ApiResponse<RunState>> => {
    const r = await app.admin.call<RunState>('POST', `/api/accounts/${account}/jobs/${jobId}/run`);
    expect(r.status).toBe(202);
    return r;
  };
  const run = async (jobId: string, account = accountId): Promise<RunOutcome> => {
    let last: unknown;
    try {
      return outcomeOf(await app.admin.waitForRun<RunState>(await start(jobId, account), (c) => (last = c), 180_000));
    } catch (e) {
      const { resources } = await database
        .container('inventory')
        .items.query("SELECT c.id, c.lease, c.lastSeq, c.lastSeqRunId FROM c WHERE c.type = 'protectedItem'")
        .fetchAll();
      // What a stuck run waits for: its status, and who holds each item's lease.
      throw new Error(
        `${(e as Error).message}; last status ${JSON.stringify(last)}; items ${JSON.stringify(resources)}`,
        { cause: e },
      );
    }
  };
  const runs = async (jobId: string, account = accountId): Promise<Run[]> =>
    (await app.reader.call<{ value: Run[] }>('GET', `/api/accounts/${account}/jobs/${jobId}/runs`)).body.value;
  const pid = (userId: string): string => `${accountId}.mailbox.${userId}`;
  const points = async (userId: string): Promise<Point[]> =>
    (
      await app.reader.call<{ value: Point[] }>(
        'GET',
        `/api/accounts/${accountId}/protected-items/${encodeURIComponent(pid(userId))}/recovery-points`,
      )
    ).body.value;
  const messagesAt = async (userId: string, seq: number): Promise<string[]> =>
    (await versions.view(pid(userId), seq).fetchAll()).resources
      .filter((d) => d.kind === 'message')
      .map((d) => d.itemId);
  const tenantMessages = async (userId: string): Promise<string[]> => {
    const folders = (await control<Array<{ id: string }>>(app.emulator, 'GET', `mail/${userId}/folders`)).body;
    const ids: string[] = [];
    // The product catalogues messages under their immutable ids.
    for (const f of folders)
      ids.push(
        ...(
          await control<Array<{ immutableId: string }>>(
            app.emulator,
            'GET',
            `mail/${userId}/folders/${encodeURIComponent(f.id)}/messages`,
          )
        ).body.map((m) => m.immutableId),
      );
    return ids;
  };

  beforeAll(async () => {
    const catalog = await freshCatalog('edges');
    ({ client, database } = catalog);
    versions = new VersionStore(database);
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('edges'),
      syncTimeBoxSeconds: 5,
      onHostLine: (l) => hostLines.push(l),
      emulator: {
        seed: 'edges',
        profile: {
          licensedUsers: 2,
          sharedMailboxes: 0,
          messages: { inbox: 40, sentitems: 5 },
          filesPerDrive: 2,
          fileBytes: { min: 100, max: 500 },
          attachmentEvery: 7,
          largeEvery: 0,
        },
      },
    });
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Edges',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('skips a message Graph cannot serve, names it in the recovery point, ends with warnings, and stores it next run', async () => {
    const user = app.tenant.users.find((u) => u.licensed)!;
    const jobId = await createJob({
      name: 'Bad item',
      sources: { scope: 'selected', items: [{ kind: 'mailbox', match: user.userPrincipalName }] },
    });
    const inbox = (
      await control<Array<{ id: string; displayName: string }>>(app.emulator, 'GET', `mail/${user.id}/folders`)
    ).body.find((f) => f.displayName === 'Inbox')!;
    const [bad] = (
      await control<Array<{ immutableId: string; subject: string }>>(
        app.emulator,
        'GET',
        `mail/${user.id}/folders/${encodeURIComponent(inbox.id)}/messages`,
      )
    ).body;
    await control(app.emulator, 'PUT', 'faults', {
      rules: [
        { status: 400, code: 'ErrorCorruptData', path: `/messages/${encodeURIComponent(bad.immutableId)}/$value` },
      ],
    });
    const first = await run(jobId);
    expect(first).toMatchObject({ status: 'warning', skipped: 1, itemsFailed: 0 });
    const [p1] = await points(user.id);
    expect(p1).toMatchObject({ status: 'warning', skipped: [{ itemId: bad.immutableId, name: bad.subject }] });
    expect(p1.skipped![0].reason).toContain('ErrorCorruptData');
    const alarm = p1.alarms.find((a) => a.code === 'item.skipped')!;
    expect(alarm.message).toContain(bad.subject);
    expect(alarm.fix).toMatch(/next run/);
    // Every other message of the mailbox is in the point.
    const stored = await messagesAt(user.id, p1.seq);
    expect(new Set(stored)).toEqual(new Set((await tenantMessages(user.id)).filter((id) => id !== bad.immutableId)));
    await control(app.emulator, 'PUT', 'faults', { rules: [] });
    const second = await run(jobId);
    expect(second).toMatchObject({ status: 'success', skipped: 0 });
    const [p2] = await points(user.id);
    expect(await messagesAt(user.id, p2.seq)).toContain(bad.immutableId);
  });

  it('ends a run whose credential is missing from the secret store as failed, naming the secret and the fix', async () => {
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const other = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'No secret',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'not-stored-anywhere' },
      })
    ).body.id;
    const jobId = await createJob(
      { name: 'Missing secret', sources: { scope: 'account', include: { mailboxes: true, oneDrives: false } } },
      other,
    );
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await run(jobId, other)).toMatchObject({ status: 'failed' });
    }
    const listed = await runs(jobId, other);
    expect(listed).toHaveLength(2);
    for (const r of listed) {
      expect(r).toMatchObject({ status: 'failed', endedAt: expect.any(String) });
      expect(r.alarms[0]).toMatchObject({ code: 'secret.unavailable' });
      expect(r.alarms[0].message).toContain("'not-stored-anywhere'");
      expect(r.alarms[0].fix).toContain('Key Vault');
    }
    expect(hostLines.some((l) => l.includes('VaultAlarm') && l.includes('secret.unavailable'))).toBe(true);
  });

  it('ends a terminated run as stopped with an alarm, and accepts and finishes the next run', async () => {
    const jobId = await createJob({
      name: 'Terminated',
      sources: { scope: 'account', include: { mailboxes: true, oneDrives: true } },
    });
    await control(app.emulator, 'PUT', 'throttle', { budget: 5, windowSeconds: 1 });
    const started = await start(jobId);
    // Terminate once the run has begun (its record exists), as an operator holding the system key would through the
    // Durable API (the product's API hands out no such URL).
    for (let i = 0; i < 200 && (await runs(jobId)).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(
      (await fetch(app.durable(`instances/backup-${jobId}/terminate?reason=operator`), { method: 'POST' })).status,
    ).toBe(202);
    expect(await app.admin.waitForRun(started, undefined, 60_000)).toMatchObject({
      id: started.body.id,
      status: 'stopped',
    });
    expect(
      ((await (await fetch(app.durable(`instances/backup-${jobId}`))).json()) as { runtimeStatus: string })
        .runtimeStatus,
    ).toBe('Terminated');
    const [terminated] = await runs(jobId);
    expect(terminated).toMatchObject({ status: 'stopped', endedAt: expect.any(String) });
    expect(terminated.alarms.map((a) => a.code)).toContain('run.terminated');
    await control(app.emulator, 'PUT', 'throttle', { budget: 10_000, windowSeconds: 600 });
    // The leases of the terminated run's items were released: the next run does not wait an hour for them.
    const next = await run(jobId);
    expect({ status: next.status, alarms: (await runs(jobId))[0].alarms.map((a) => a.code) }).toMatchObject({
      status: 'success',
      alarms: [],
    });
    expect((await runs(jobId)).map((r) => r.status)).toEqual(['success', 'stopped']);
  });

  it('records deletions made while the catalog was being rebuilt from the change log', async () => {
    const user = app.tenant.users.filter((u) => u.licensed)[1];
    const jobId = await createJob({
      name: 'Rebuild',
      sources: { scope: 'selected', items: [{ kind: 'mailbox', match: user.userPrincipalName }] },
    });
    expect(await run(jobId)).toMatchObject({ status: 'success' });
    // The catalog is lost and rebuilt from the log: cursors are not in the log, so they are gone.
    const cursors = database.container('cursors');
    const { resources } = await cursors.items
      .query<{ id: string }>({
        query: 'SELECT c.id FROM c WHERE c.protectedItemId = @p',
        parameters: [{ name: '@p', value: pid(user.id) }],
      })
      .fetchAll();
    for (const c of resources) await cursors.item(c.id, pid(user.id)).delete();
    const log = new ChangeLog(
      BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')).getContainerClient(
        'changelog',
      ),
    );
    await rebuildCatalog(log, database, { accountId });
    // Meanwhile a message is deleted and a whole folder with its messages.
    const folders = (
      await control<Array<{ id: string; displayName: string }>>(app.emulator, 'GET', `mail/${user.id}/folders`)
    ).body;
    const inbox = folders.find((f) => f.displayName === 'Inbox')!;
    const sent = folders.find((f) => f.displayName === 'Sent Items')!;
    const [gone] = (
      await control<Array<{ immutableId: string }>>(
        app.emulator,
        'GET',
        `mail/${user.id}/folders/${encodeURIComponent(inbox.id)}/messages`,
      )
    ).body;
    const folder = (
      await control<{ id: string }>(app.emulator, 'POST', `mail/${user.id}/folders`, { displayName: 'Projects' })
    ).body;
    const moved = (
      await control<Array<{ id: string }>>(
        app.emulator,
        'GET',
        `mail/${user.id}/folders/${encodeURIComponent(sent.id)}/messages`,
      )
    ).body[0];
    const inFolder = (
      await control<{ immutableId: string }>(
        app.emulator,
        'POST',
        `mail/${user.id}/messages/${encodeURIComponent(moved.id)}/move`,
        { to: folder.id },
      )
    ).body;
    expect(await run(jobId)).toMatchObject({ status: 'success' });
    expect(await messagesAt(user.id, (await points(user.id))[0].seq)).toContain(inFolder.immutableId);
    // Rebuilt again (the folder's cursor too is lost), then the message and the folder are deleted.
    const again = await cursors.items
      .query<{ id: string }>({
        query: 'SELECT c.id FROM c WHERE c.protectedItemId = @p',
        parameters: [{ name: '@p', value: pid(user.id) }],
      })
      .fetchAll();
    for (const c of again.resources) await cursors.item(c.id, pid(user.id)).delete();
    await rebuildCatalog(log, database, { accountId });
    await control(app.emulator, 'DELETE', `mail/${user.id}/messages/${encodeURIComponent(gone.immutableId)}`);
    await control(app.emulator, 'DELETE', `mail/${user.id}/folders/${encodeURIComponent(folder.id)}`);
    expect(await run(jobId)).toMatchObject({ status: 'success' });
    const latest = await messagesAt(user.id, (await points(user.id))[0].seq);
    expect(latest).not.toContain(gone.immutableId);
    expect(latest).not.toContain(inFolder.immutableId);
    expect(new Set(latest)).toEqual(new Set(await tenantMessages(user.id)));
    // The deleted folder's cursor is gone too: later runs stop listing it.
    const left = await cursors.items
      .query<{ containerId: string }>({
        query: 'SELECT c.containerId FROM c WHERE c.protectedItemId = @p',
        parameters: [{ name: '@p', value: pid(user.id) }],
      })
      .fetchAll();
    expect(left.resources.map((c) => c.containerId)).not.toContain(`messages:${folder.id}`);
  }, 300_000);

  it('backs a mailbox covered by two jobs up in turn when both start together, through a resync: every item once, nothing lost', async () => {
    const user = app.tenant.users.find((u) => u.licensed)!;
    const whole = await createJob({
      name: 'Whole account',
      sources: { scope: 'account', include: { mailboxes: true, oneDrives: false } },
    });
    const chosen = await createJob({
      name: 'Chosen',
      sources: { scope: 'selected', items: [{ kind: 'mailbox', match: user.userPrincipalName }] },
    });
    await control(app.emulator, 'POST', 'expire-tokens', { userId: user.id });
    const before = (await points(user.id))[0].seq;
    const [a, b] = await Promise.all([start(whole), start(chosen)]);
    const done = await Promise.all([a, b].map((s) => app.admin.waitForRun<RunState>(s, undefined, 180_000)));
    expect(done.map((d) => d.status)).toEqual(['success', 'success']);
    const ps = (await points(user.id)).filter((p) => p.seq > before);
    expect(ps.map((p) => p.seq).sort()).toEqual([before + 1, before + 2]);
    const tenant = new Set(await tenantMessages(user.id));
    for (const p of ps) {
      const ids = await messagesAt(user.id, p.seq);
      expect(ids).toHaveLength(tenant.size);
      expect(new Set(ids)).toEqual(tenant);
    }
  }, 300_000);
});
