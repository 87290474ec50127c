import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { VersionStore } from '../../shared/catalog/version-store';
import { openContent } from '../../shared/storage/content-reader';
import { ContentStore } from '../../shared/storage/content-store';
import { readAll, sha } from '../support/bytes';
import { freshCatalog } from '../support/catalog';
import { sharedStack, stackEnv, uniqueName } from '../support/env';

describe('backup repositories: per-item destination overrides', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let versions: VersionStore;
  let accountId: string;
  const blobs = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING'));
  const containerName = uniqueName('archive').toLowerCase();

  beforeAll(async () => {
    const catalog = await freshCatalog('repos');
    client = catalog.client;
    versions = new VersionStore(catalog.database);
    await blobs.getContainerClient(containerName).create();
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('repos') });
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Contoso',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
    await blobs.getContainerClient(containerName).deleteIfExists();
  });

  it('registers a repository only when its container is usable, once per name', async () => {
    const missing = await app.admin.call<{ error: { code: string; message: string } }>(
      'POST',
      `/api/accounts/${accountId}/repositories`,
      { name: 'nowhere', displayName: 'Nowhere', blobEndpoint: blobs.url, container: 'no-such-container' },
    );
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain("body.container: container 'no-such-container' does not exist");
    const bad = await app.admin.call<{ error: { message: string } }>(
      'POST',
      `/api/accounts/${accountId}/repositories`,
      { name: 'default', displayName: 'x', blobEndpoint: 'ftp://example.com', container: 'A' },
    );
    expect(bad.status).toBe(400);
    for (const field of ['body.name', 'body.blobEndpoint', 'body.container'])
      expect(bad.body.error.message).toContain(field);
    const ok = await app.admin.call('POST', `/api/accounts/${accountId}/repositories`, {
      name: 'archive',
      displayName: 'Long-term archive',
      blobEndpoint: blobs.url,
      container: containerName,
    });
    expect(ok.status).toBe(201);
    expect(
      (
        await app.admin.call('POST', `/api/accounts/${accountId}/repositories`, {
          name: 'archive',
          displayName: 'Again',
          blobEndpoint: blobs.url,
          container: containerName,
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await app.reader.call('POST', `/api/accounts/${accountId}/repositories`, {
          name: 'other',
          displayName: 'x',
          blobEndpoint: blobs.url,
          container: containerName,
        })
      ).status,
    ).toBe(403);
    const list = await app.reader.call<{ value: Array<{ name: string }> }>(
      'GET',
      `/api/accounts/${accountId}/repositories`,
    );
    expect(list.body.value.map((r) => r.name)).toEqual(['archive']);
  });

  it('refuses a job naming a repository the account does not have', async () => {
    const r = await app.admin.call<{ error: { message: string } }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'x',
      sources: { scope: 'account' },
      destination: { overrides: [{ kind: 'mailbox', match: 'bob', repository: 'ghost' }] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe("body.destination.overrides.0.repository: no repository 'ghost' in this account");
  });

  it('writes an overridden mailbox to its repository and the others to the default one, byte for byte', async () => {
    const [adele, bob] = app.tenant.users.filter((u) => u.licensed);
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Split destinations',
      sources: {
        scope: 'selected',
        items: [
          { kind: 'mailbox', match: adele.userPrincipalName },
          { kind: 'mailbox', match: bob.userPrincipalName },
        ],
      },
      destination: { overrides: [{ kind: 'mailbox', match: bob.userPrincipalName, repository: 'archive' }] },
    });
    expect(job.status).toBe(201);
    const done = await app.admin.runJob(accountId, job.body.id, 120_000);
    expect(done).toMatchObject({ status: 'success', items: 2 });

    const archive = new ContentStore(blobs.getContainerClient(containerName));
    const standard = new ContentStore(blobs.getContainerClient('content'));
    for (const [user, store, repository] of [
      [bob, archive, 'archive'],
      [adele, standard, undefined],
    ] as const) {
      const messages = (await versions.view(`${accountId}.mailbox.${user.id}`, 1).fetchAll()).resources.filter(
        (d) => d.kind === 'message',
      );
      expect(messages.length).toBeGreaterThan(5);
      for (const m of messages) expect(m.content!.repository).toBe(repository);
      for (const m of messages.slice(0, 3)) {
        const original = await control(
          app.emulator,
          'GET',
          `mail/${user.id}/messages/${encodeURIComponent(m.itemId)}/mime`,
        );
        expect(sha(await readAll(await openContent(store, app.tenant.tenantId, m.content!)))).toBe(sha(original.raw));
      }
    }
    let archived = 0;
    for await (const b of blobs.getContainerClient(containerName).listBlobsFlat({ prefix: `${app.tenant.tenantId}/` }))
      archived += b.name ? 1 : 0;
    expect(archived).toBeGreaterThan(5);
  });
});
