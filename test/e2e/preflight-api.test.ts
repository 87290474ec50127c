// The preflight over the product's HTTP API and its command line, through the local host: an administrator runs it,
// the report is kept with the account (GET /accounts/{id} shows the latest), the run is audited, a reader may not
// run it, and a wrong secret is reported with its cause and fix and nothing secret.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { LocalApp, repoRoot, startLocalApp } from '../../local/cli/local-app';
import type { PreflightReport } from '../../shared/preflight/report';
import { freshCatalog } from '../support/catalog';
import { sharedStack, stackEnv, uniqueName } from '../support/env';

const WRONG = 'Wrong8Q~value-that-is-not-the-apps-secret-00';

describe('POST /api/accounts/{accountId}/preflight', () => {
  let app: LocalApp;
  let client: CosmosClient;
  const register = async (secretName: string, query = ''): Promise<string> =>
    (
      await app.admin.call<{ id: string }>('POST', `/api/accounts${query}`, {
        displayName: 'Contoso',
        tenantId: app.tenant.tenantId,
        clientId: app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!.clientId,
        credential: { type: 'secret', secretName },
      })
    ).body.id;

  beforeAll(async () => {
    const catalog = await freshCatalog('preflight');
    client = catalog.client;
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('preflight'),
      secrets: { 'wrong-secret': WRONG },
    });
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('runs for an administrator, keeps the report with the account and audits it', async () => {
    const accountId = await register('demo-backup');
    const res = await app.admin.call<PreflightReport>('POST', `/api/accounts/${accountId}/preflight`);
    expect(res.status).toBe(200);
    // The demo app also holds the Teams permissions, which no workload uses yet: a warning, nothing failed.
    expect(res.body.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(res.body.steps.find((s) => s.id === 'permissions.mailboxes')!.status).toBe('passed');
    const account = await app.admin.call<{ preflight?: PreflightReport }>('GET', `/api/accounts/${accountId}`);
    expect(account.body.preflight).toEqual(res.body);
    const audit = await app.admin.call<{ value: Array<{ action: string }> }>('GET', `/api/accounts/${accountId}/audit`);
    expect(audit.body.value.map((e) => e.action)).toContain('preflight.run');
    expect((await app.reader.call('POST', `/api/accounts/${accountId}/preflight`)).status).toBe(403);
    expect((await app.admin.call('POST', `/api/accounts/${accountId}/preflight?thumbprint=xyz`)).status).toBe(400);
  });

  it("samples reachability and checks every repository the account's jobs write to, and the catalog", async () => {
    const accountId = await register('demo-backup');
    const container = uniqueName('repo');
    const blobs = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING'));
    await blobs.getContainerClient(container).create();
    const endpoint = blobs.url.replace(/\/$/, '');
    expect(
      (
        await app.admin.call('POST', `/api/accounts/${accountId}/repositories`, {
          name: 'archive',
          displayName: 'Archive',
          blobEndpoint: endpoint,
          container,
        })
      ).status,
    ).toBe(201);
    const job = (name: string, repository: string) =>
      app.admin.call('POST', `/api/accounts/${accountId}/jobs`, {
        name,
        sources: { scope: 'account' },
        destination: { repository },
      });
    expect((await job('Everything', 'default')).status).toBe(201);
    expect((await job('Archive', 'archive')).status).toBe(201);
    const ok = (await app.admin.call<PreflightReport>('POST', `/api/accounts/${accountId}/preflight`)).body;
    const byId = Object.fromEntries(ok.steps.map((s) => [s.id, s]));
    for (const id of [
      'reach.users',
      'reach.mailboxes',
      'reach.onedrive',
      'reach.sites',
      'storage.default',
      'storage.archive',
      'catalog',
    ])
      expect([id, byId[id]?.status]).toEqual([id, 'passed']);
    // The probe blobs are gone again.
    const left: string[] = [];
    for await (const b of blobs.getContainerClient(container).listBlobsFlat({ prefix: '_preflight/' }))
      left.push(b.name);
    expect(left).toEqual([]);

    // The repository's container deleted behind the product's back: named, with the fix, the rest unaffected.
    await blobs.getContainerClient(container).delete();
    const broken = (await app.admin.call<PreflightReport>('POST', `/api/accounts/${accountId}/preflight`)).body;
    expect(broken.status).toBe('failed');
    expect(broken.steps.find((s) => s.id === 'storage.archive')).toMatchObject({
      status: 'failed',
      code: 'repository.unusable',
      cause: `container '${container}' does not exist in that storage account; create it first`,
    });
    expect(broken.steps.find((s) => s.id === 'storage.default')!.status).toBe('passed');
  });

  it('reports a wrong secret with cause and fix, without the secret', async () => {
    const accountId = await register('wrong-secret');
    const res = await app.admin.call<PreflightReport>('POST', `/api/accounts/${accountId}/preflight`);
    expect(res.body.status).toBe('failed');
    expect(res.body.steps.find((s) => s.id === 'auth.signIn')).toMatchObject({ code: 'AADSTS7000215' });
    expect(JSON.stringify(res.body)).not.toContain(WRONG);
  });

  it('runs by itself after a run fails for a configuration reason, so the account shows what to fix', async () => {
    const accountId = await register('wrong-secret', '?preflight=false');
    const before = await app.admin.call<{ preflight?: PreflightReport }>('GET', `/api/accounts/${accountId}`);
    expect(before.body.preflight).toBeUndefined();
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Everyone',
      sources: { scope: 'account' },
    });
    const run = await app.admin.runJob(accountId, job.body.id, 120_000);
    expect(run.alarms.map((a) => a.code)).toContain('auth.badSecret');
    const account = await app.admin.call<{ preflight?: PreflightReport }>('GET', `/api/accounts/${accountId}`);
    expect(account.body.preflight?.status).toBe('failed');
    expect(account.body.preflight?.steps.find((s) => s.id === 'auth.signIn')).toMatchObject({
      status: 'failed',
      code: 'AADSTS7000215',
    });
  });

  it('checks an account as it is added, answers the report with it, and blocks nothing', async () => {
    const added = await app.admin.call<{ id: string; preflight?: PreflightReport }>('POST', '/api/accounts', {
      displayName: 'Contoso (wrong secret)',
      tenantId: app.tenant.tenantId,
      clientId: app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!.clientId,
      credential: { type: 'secret', secretName: 'wrong-secret' },
    });
    expect(added.status).toBe(201);
    expect(added.body.preflight?.status).toBe('failed');
    expect(added.body.preflight?.steps.find((s) => s.id === 'auth.signIn')).toMatchObject({
      status: 'failed',
      code: 'AADSTS7000215',
    });
    const stored = await app.admin.call<{ preflight?: PreflightReport }>('GET', `/api/accounts/${added.body.id}`);
    expect(stored.body.preflight).toEqual(added.body.preflight);
    const audit = await app.admin.call<{ value: Array<{ action: string }> }>(
      'GET',
      `/api/accounts/${added.body.id}/audit`,
    );
    expect(audit.body.value.map((a) => a.action)).toContain('account.create');
    // Skipped on request; a bad value is named.
    expect((await app.admin.call('POST', '/api/accounts?preflight=no', {})).body).toMatchObject({
      error: { message: expect.stringContaining('query.preflight') },
    });
  });

  it('prints the same report from the command line', async () => {
    const accountId = await register('demo-backup');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(repoRoot, 'dist/local/cli/preflight.js'), '--account', accountId],
      { env: app.env },
    );
    expect(stdout).toContain("Preflight of 'Contoso'");
    expect(stdout).toMatch(/\[passed +\] Permissions for Exchange mailboxes/);
    const account = await app.admin.call<{ preflight?: PreflightReport }>('GET', `/api/accounts/${accountId}`);
    expect(account.body.preflight?.steps.length).toBeGreaterThan(5);
  });
});
