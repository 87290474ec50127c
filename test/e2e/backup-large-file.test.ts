// A OneDrive file above the resumable threshold, backed up through the local host and the emulator (ranged reads,
// staged blocks, a tree digest as its content name), then downloaded through the API byte for byte.
import { CosmosClient, Database } from '@azure/cosmos';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { VersionStore } from '../../shared/catalog/version-store';
import { sha } from '../support/bytes';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

const MIB = 1024 * 1024;
const SIZE = 30 * MIB + 12345;

describe('backup of a file larger than the resumable threshold (local host + emulator)', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let database: Database;

  beforeAll(async () => {
    const catalog = await freshCatalog('largefile');
    ({ client, database } = catalog);
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('largefile'), syncTimeBoxSeconds: 5, resumableFileBytes: 5 * MIB });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('stores it, reports success, and downloads it byte for byte', async () => {
    const adele = app.tenant.users.find((u) => u.licensed && u.userPrincipalName.toLowerCase().startsWith('adele'))!;
    const fileId = (await control<{ id: string }>(app.emulator, 'POST', `drive/${adele.id}/files`, { name: 'Recording.bin', size: SIZE })).body.id;
    const original = (await control(app.emulator, 'GET', `drive/${adele.id}/files/${encodeURIComponent(fileId)}/content`)).raw;
    expect(original.length).toBe(SIZE);

    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const accountId = (await app.admin.call<{ id: string }>('POST', '/api/accounts', { displayName: 'Contoso', tenantId: app.tenant.tenantId, clientId: backupApp.clientId, credential: { type: 'secret', secretName: 'demo-backup' } })).body.id;
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, { name: 'Adele', sources: { scope: 'selected', items: [{ kind: 'onedrive', match: adele.userPrincipalName }] } });
    const run = await app.admin.call<{ statusQueryGetUri: string }>('POST', `/api/accounts/${accountId}/jobs/${job.body.id}/run`);
    expect((await app.admin.waitForCompletion<{ status: string }>(run.body.statusQueryGetUri, undefined, 300_000)).output.status).toBe('success');

    const driveId = `${accountId}.onedrive.${adele.id}`;
    const [doc] = await new VersionStore(database).versionsAt(driveId, 1, [fileId]);
    expect(doc?.content && 'blob' in doc.content ? doc.content.blob : undefined).toMatchObject({ size: SIZE, encoding: 'identity' });
    // Named by its tree digest, not by the sha256 of its bytes: it went the resumable way.
    expect(doc?.content && 'blob' in doc.content ? doc.content.blob.sha256 : '').not.toBe(sha(original));

    const r = await app.admin.call('GET', `/api/accounts/${accountId}/protected-items/${encodeURIComponent(driveId)}/recovery-points/1/content?itemId=${encodeURIComponent(fileId)}`);
    expect(r.status).toBe(200);
    expect(r.raw.length).toBe(SIZE);
    expect(sha(r.raw)).toBe(sha(original));
  }, 360_000);
});
