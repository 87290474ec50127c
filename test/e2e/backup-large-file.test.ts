// A OneDrive file above the resumable threshold, backed up through the local host and the emulator (ranged reads,
// staged blocks, a tree digest as its content name), then downloaded through the API byte for byte.
import { CosmosClient, Database } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { VersionStore } from '../../shared/catalog/version-store';
import { sha } from '../support/bytes';
import { freshCatalog } from '../support/catalog';
import { sharedStack, stackEnv, uniqueName } from '../support/env';

const MIB = 1024 * 1024;
const SIZE = 30 * MIB + 12345;

/** Bytes of the resumable uploads' staged (uncommitted) blocks for a tenant, in the deployment's staging container. */
async function stagedBytes(tenantId: string): Promise<number> {
  const staging = BlobServiceClient.fromConnectionString(
    stackEnv('M365V_STORAGE_CONNECTION_STRING'),
  ).getContainerClient('staging');
  let bytes = 0;
  for await (const b of staging.listBlobsFlat({
    prefix: `${tenantId}/staging/resumable/`,
    includeUncommitedBlobs: true,
  })) {
    const list = await staging.getBlockBlobClient(b.name).getBlockList('all');
    for (const block of [...(list.committedBlocks ?? []), ...(list.uncommittedBlocks ?? [])]) bytes += block.size;
  }
  return bytes;
}

describe('backup of a file larger than the resumable threshold (local host + emulator)', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let database: Database;
  let accountId: string;

  beforeAll(async () => {
    const catalog = await freshCatalog('largefile');
    ({ client, database } = catalog);
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('largefile'),
      syncTimeBoxSeconds: 5,
      resumableFileBytes: 5 * MIB,
    });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('stores it, reports success, and downloads it byte for byte', async () => {
    const adele = app.tenant.users.find((u) => u.licensed && u.userPrincipalName.toLowerCase().startsWith('adele'))!;
    const fileId = (
      await control<{ id: string }>(app.emulator, 'POST', `drive/${adele.id}/files`, {
        name: 'Recording.bin',
        size: SIZE,
      })
    ).body.id;
    const original = (
      await control(app.emulator, 'GET', `drive/${adele.id}/files/${encodeURIComponent(fileId)}/content`)
    ).raw;
    expect(original.length).toBe(SIZE);

    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Contoso',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Adele',
      sources: { scope: 'selected', items: [{ kind: 'onedrive', match: adele.userPrincipalName }] },
    });
    expect((await app.admin.runJob(accountId, job.body.id, 300_000)).status).toBe('success');

    const driveId = `${accountId}.onedrive.${adele.id}`;
    const [doc] = await new VersionStore(database).versionsAt(driveId, 1, [fileId]);
    expect(doc?.content && 'blob' in doc.content ? doc.content.blob : undefined).toMatchObject({
      size: SIZE,
      encoding: 'identity',
    });
    // Named by its tree digest, not by the sha256 of its bytes: it went the resumable way.
    expect(doc?.content && 'blob' in doc.content ? doc.content.blob.sha256 : '').not.toBe(sha(original));

    const r = await app.admin.call(
      'GET',
      `/api/accounts/${accountId}/protected-items/${encodeURIComponent(driveId)}/recovery-points/1/content?itemId=${encodeURIComponent(fileId)}`,
    );
    expect(r.status).toBe(200);
    expect(r.raw.length).toBe(SIZE);
    expect(sha(r.raw)).toBe(sha(original));
  }, 360_000);

  it('resumes a file whose download a host kill interrupted, downloading at most a few blocks twice', async () => {
    const bigSize = 160 * MIB + 777;
    const diego = app.tenant.users.find((u) => u.licensed && u.userPrincipalName.toLowerCase().startsWith('diego'))!;
    const fileId = (
      await control<{ id: string }>(app.emulator, 'POST', `drive/${diego.id}/files`, {
        name: 'Archive.bin',
        size: bigSize,
      })
    ).body.id;
    const original = sha(
      (await control(app.emulator, 'GET', `drive/${diego.id}/files/${encodeURIComponent(fileId)}/content`)).raw,
    );
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Diego',
      sources: { scope: 'selected', items: [{ kind: 'onedrive', match: diego.userPrincipalName }] },
    });
    const served = async (): Promise<number> =>
      (await control<{ downloadBytes: number }>(app.emulator, 'GET', 'counters')).body.downloadBytes;
    const ranges = async (): Promise<number[]> =>
      (await control<{ rangeStarts: Record<string, number[]> }>(app.emulator, 'GET', 'counters')).body.rangeStarts[
        fileId
      ] ?? [];
    await control(app.emulator, 'DELETE', 'counters');
    const run = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs/${job.body.id}/run`);
    expect(run.status).toBe(202);
    // Killed once a third of the file has been served: the blocks staged by then survive the host.
    for (let i = 0; i < 2000 && (await served()) < bigSize / 3; i++) await new Promise((res) => setTimeout(res, 20));
    expect(await served()).toBeLessThan(bigSize);
    await app.killHost();
    // What survives the host: the blocks staged by then.
    const rangesBefore = (await ranges()).length;
    const staged = await stagedBytes(app.tenant.tenantId);
    await app.restartHost();
    expect((await app.admin.waitForRun(run, undefined, 300_000)).status).toBe('success');
    // What the kill cost (beyond the drive's other files, served too): a figure, as it depends on what was in flight.
    const others = await driveBytesBesides(diego.id, fileId);
    const again = (await served()) - bigSize - others;
    console.log(
      `[large file] killed mid-download: ${(again / MIB).toFixed(1)} MiB of ${(bigSize / MIB).toFixed(0)} MiB served twice`,
    );
    expect(staged).toBeGreaterThan(0);
    // Staged blocks are never fetched again: the download resumed with a ranged read from the end of what was staged
    // at the kill (or later, if a block in flight then still landed), never from before it.
    const resumed = (await ranges()).slice(rangesBefore);
    expect(resumed.length).toBeGreaterThan(0);
    expect(Math.min(...resumed)).toBeGreaterThanOrEqual(staged);

    const driveId = `${accountId}.onedrive.${diego.id}`;
    const r = await app.admin.call(
      'GET',
      `/api/accounts/${accountId}/protected-items/${encodeURIComponent(driveId)}/recovery-points/1/content?itemId=${encodeURIComponent(fileId)}`,
    );
    expect(r.status).toBe(200);
    expect(sha(r.raw)).toBe(original);
  }, 420_000);

  /** Bytes of the user's other files (also served by the backup). */
  async function driveBytesBesides(userId: string, fileId: string): Promise<number> {
    const items = (
      await control<Array<{ id: string; folder?: boolean; size?: number }>>(
        app.emulator,
        'GET',
        `drive/${userId}/items`,
      )
    ).body;
    return items.filter((i) => !i.folder && i.id !== fileId).reduce((n, i) => n + (i.size ?? 0), 0);
  }
});
