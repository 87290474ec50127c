import fs from 'node:fs';
import { CosmosClient } from '@azure/cosmos';
import { control } from '../../local/cli/emulator-control';
import type { RunOutcome } from '../../local/cli/api-client';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { VersionStore } from '../../shared/catalog/version-store';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

interface Point {
  status: string;
  seq: number;
  alarms: Array<{ code: string; message: string; fix: string; permission?: string }>;
  containers: Record<string, { written: number }>;
}

describe('backup end to end under faults', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let versions: VersionStore;
  let accountId: string;
  const hostLines: string[] = [];

  const createJob = async (body: Record<string, unknown>): Promise<string> => {
    const r = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, body);
    expect(r.status).toBe(201);
    return r.body.id;
  };
  const run = (jobId: string): Promise<RunOutcome> => app.admin.runJob(accountId, jobId, 120_000);
  const points = async (kind: string, userId: string): Promise<Point[]> =>
    (
      await app.reader.call<{ value: Point[] }>(
        'GET',
        `/api/accounts/${accountId}/protected-items/${encodeURIComponent(`${accountId}.${kind}.${userId}`)}/recovery-points`,
      )
    ).body.value;

  beforeAll(async () => {
    const catalog = await freshCatalog('faults');
    client = catalog.client;
    versions = new VersionStore(catalog.database);
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('faults'),
      emulator: { throttle: { concurrency: 4, budget: 15, windowSeconds: 2 } },
      syncTimeBoxSeconds: 5,
      onHostLine: (l) => hostLines.push(l),
    });
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const account = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName: 'Contoso',
      tenantId: app.tenant.tenantId,
      clientId: backupApp.clientId,
      credential: { type: 'secret', secretName: 'demo-backup' },
    });
    accountId = account.body.id;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('backs up healthy mailboxes beside a forbidden one, and says why that one failed; throttling is absorbed', async () => {
    const [adele, bob] = app.tenant.users.filter((u) => u.licensed);
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    await control(app.emulator, 'PUT', 'access-policy', { appId: backupApp.clientId, deniedUsers: [bob.id] });
    // Graph also answers 5 % of requests with 503 + Retry-After, as the service does under maintenance.
    await control(app.emulator, 'PUT', 'faults', { rate503: 0.05 });
    const jobId = await createJob({
      name: 'Mailboxes',
      sources: { scope: 'account', include: { mailboxes: true, oneDrives: false } },
    });
    const done = await run(jobId);
    expect(done).toMatchObject({ status: 'warning', items: 5, itemsFailed: 1 });
    expect(Number(done.throttled)).toBeGreaterThan(0);
    const [bobPoint] = await points('mailbox', bob.id);
    expect(bobPoint).toMatchObject({ status: 'failed' });
    expect(bobPoint.alarms[0]).toMatchObject({ code: 'graph.accessDenied' });
    expect(bobPoint.alarms[0].fix).toMatch(/application access policy/i);
    const [adelePoint] = await points('mailbox', adele.id);
    expect(adelePoint).toMatchObject({ status: 'success' });
    // The alarm reaches the logs (Application Insights traces) in the shape the alert rules match.
    const logged = hostLines.find((l) => l.includes('VaultAlarm') && l.includes('graph.accessDenied'));
    expect(logged).toContain('"severity":"error"');
    expect(logged).toContain(bob.userPrincipalName);
    const counters = (await control<{ byStatus: Record<string, number> }>(app.emulator, 'GET', 'counters')).body;
    expect(counters.byStatus['503']).toBeGreaterThan(0);
    await control(app.emulator, 'PUT', 'access-policy', { appId: backupApp.clientId, deniedUsers: [] });
    await control(app.emulator, 'PUT', 'faults', { rate503: 0 });
  });

  it('signs in with a certificate instead of a secret', async () => {
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: 'm365-vault backup' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    expect(
      (await control(app.emulator, 'POST', `apps/${backupApp.clientId}/certificates`, { certificatePem: pems.cert }))
        .status,
    ).toBe(201);
    // In Azure this PEM lives in Key Vault; locally the secrets file plays that part.
    const file = app.env.M365V_LOCAL_SECRETS_FILE!;
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...JSON.parse(fs.readFileSync(file, 'utf8')),
        'demo-certificate': `${pems.cert}\n${pems.private}`,
      }),
    );
    const account = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName: 'Contoso (certificate)',
      tenantId: app.tenant.tenantId,
      clientId: backupApp.clientId,
      credential: { type: 'certificate', certificateName: 'demo-certificate' },
    });
    expect(account.status).toBe(201);
    const saved = accountId;
    accountId = account.body.id;
    try {
      const jobId = await createJob({
        name: 'Certificate',
        sources: { scope: 'selected', items: [{ kind: 'mailbox', match: 'info@' + app.tenant.domain }] },
      });
      expect(await run(jobId)).toMatchObject({ status: 'success', items: 1 });
    } finally {
      accountId = saved;
    }
  });

  it('names the missing permission when the app lacks one', async () => {
    const readOnly = app.tenant.apps.find((a) => a.displayName === 'm365-vault read-only backup')!;
    // An account whose app was consented without Files.Read.All: OneDrive backups must say so. (Revoked first: a
    // token issued before, as the preflight on adding the account takes one, keeps its roles until it expires.)
    await control(app.emulator, 'POST', `apps/${readOnly.clientId}/roles`, {
      revoke: ['Files.Read.All', 'Sites.Read.All'],
    });
    const r = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName: 'Contoso (restricted app)',
      tenantId: app.tenant.tenantId,
      clientId: readOnly.clientId,
      credential: { type: 'secret', secretName: 'm365-vault-read-only-backup' },
    });
    expect(r.status).toBe(201);
    const saved = accountId;
    accountId = r.body.id;
    try {
      const jobId = await createJob({
        name: 'OneDrives',
        sources: { scope: 'account', include: { mailboxes: false, oneDrives: true } },
      });
      const done = await run(jobId);
      expect(done).toMatchObject({ status: 'failed' });
      const adele = app.tenant.users.find((u) => u.licensed)!;
      const [p] = await points('onedrive', adele.id);
      expect(p.alarms[0]).toMatchObject({ code: 'graph.permissionMissing', permission: 'Files.Read.All' });
      expect(p.alarms[0].message).toContain('lacks the Files.Read.All permission');
    } finally {
      accountId = saved;
    }
  });

  it('runs a job started twice only once', async () => {
    const jobId = await createJob({
      name: 'Once',
      sources: { scope: 'selected', items: [{ kind: 'mailbox', match: 'info@' + app.tenant.domain }] },
    });
    const [a, b] = await Promise.all([
      app.admin.call('POST', `/api/accounts/${accountId}/jobs/${jobId}/run`),
      app.admin.call('POST', `/api/accounts/${accountId}/jobs/${jobId}/run`),
    ]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const conflict = a.status === 409 ? a : b;
    expect((conflict.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'jobRunning',
      message: expect.stringContaining("Job 'Once' is already running"),
    });
    const started = a.status === 202 ? a : b;
    // Both name the one run: the conflict points at it too.
    expect(conflict.headers.get('location')).toBe(started.headers.get('location'));
    await app.admin.waitForRun(started);
    const runs = await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/jobs/${jobId}/runs`);
    expect(runs.body.value).toHaveLength(1);
  });

  it('re-synchronises after the delta tokens expire (410), storing nothing twice', async () => {
    const jobId = await createJob({
      name: 'Resync',
      sources: { scope: 'selected', items: [{ kind: 'mailbox', match: 'chen@' + app.tenant.domain }] },
    });
    const chen = app.tenant.users.find((u) => u.userPrincipalName.startsWith('chen'))!;
    expect(await run(jobId)).toMatchObject({ status: 'success' });
    const firstSeq = (await points('mailbox', chen.id))[0].seq;
    const view1 = (await versions.view(`${accountId}.mailbox.${chen.id}`, firstSeq).fetchAll()).resources;
    const gone = view1.find((d) => d.kind === 'message')!;
    await control(app.emulator, 'POST', 'expire-tokens', { userId: chen.id });
    await control(app.emulator, 'DELETE', `mail/${chen.id}/messages/${encodeURIComponent(gone.itemId)}`);
    const second = await run(jobId);
    expect(second).toMatchObject({ status: 'success', written: 0, deleted: 1 });
    const secondSeq = (await points('mailbox', chen.id))[0].seq;
    expect(secondSeq).toBe(firstSeq + 1);
    const view2 = (await versions.view(`${accountId}.mailbox.${chen.id}`, secondSeq).fetchAll()).resources;
    const key = (d: { kind: string; itemId: string }) => `${d.kind}:${d.itemId.slice(-12)}`;
    expect({
      added: view2.map(key).filter((k) => !view1.map(key).includes(k)),
      removed: view1.map(key).filter((k) => !view2.map(key).includes(k)),
    }).toEqual({ added: [], removed: [key(gone)] });
  });
});
