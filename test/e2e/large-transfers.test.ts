// Downloads and exports far larger than the host's memory bound, through the product's API on the local host in
// streaming mode (as in Azure with enableHttpStream): the host process's RSS is sampled while the bytes flow and must
// stay flat. Then the same export as a blob written by a job, fetched with a read link that needs no token.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';
import { peakRss } from '../support/rss';

const MIB = 1024 * 1024;
const FILE_BYTES = 384 * MIB + 4321;
/** Growth of the host's RSS allowed while a body streams: room for garbage between collections, a third of the file. */
const BOUND_MIB = 128;

/** Reads a stream to its end without keeping it: its sha256 and size, and (optionally) a copy on disk. */
async function digest(body: AsyncIterable<Uint8Array>, file?: string): Promise<{ sha: string; bytes: number }> {
  const hash = createHash('sha256');
  const out = file ? fs.createWriteStream(file) : undefined;
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.length;
    if (out && !out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  if (out) await new Promise<void>((r) => out.end(() => r()));
  return { sha: hash.digest('hex'), bytes };
}

// Hundreds of MiB through the host: a loaded 2-core machine needs minutes, so each test gets ten (a bound, not a figure).
// Bodies are read with node:http, not fetch: see ApiClient.download.
jest.setTimeout(600_000);

describe('large downloads and exports with flat host memory', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let accountId: string;
  let base: string;
  let fileId: string;
  let original: { sha: string; bytes: number };
  let rootFolder: string;
  let streamedZip: { sha: string; bytes: number };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-large-'));
  const hostPid = (): number => app.host.child.pid!;

  beforeAll(async () => {
    const catalog = await freshCatalog('large');
    client = catalog.client;
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('large'),
      syncTimeBoxSeconds: 5,
    });
    const adele = app.tenant.users.find((u) => u.licensed)!;
    fileId = (
      await control<{ id: string }>(app.emulator, 'POST', `drive/${adele.id}/files`, {
        name: 'Recording.bin',
        size: FILE_BYTES,
      })
    ).body.id;
    original = await new Promise((resolve, reject) => {
      https
        .get(
          `${app.emulator.url}/_emulator/drive/${adele.id}/files/${encodeURIComponent(fileId)}/content`,
          { ca: fs.readFileSync(app.emulator.caCertFile) },
          (res) => void digest(res).then(resolve, reject),
        )
        .on('error', reject);
    });
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
    base = `/api/accounts/${accountId}/protected-items/${encodeURIComponent(`${accountId}.onedrive.${adele.id}`)}/recovery-points/1`;
    const folders = (
      await app.reader.call<{ value: Array<{ id: string; folderId?: string }> }>('GET', `${base}/folders`)
    ).body.value;
    rootFolder = folders.find((f) => !f.folderId)!.id;
  }, 600_000);
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`downloads a ${Math.round(FILE_BYTES / MIB)} MiB file byte for byte while the host's RSS grows less than ${BOUND_MIB} MiB`, async () => {
    const { result, grewMiB } = await peakRss(hostPid(), async () => {
      const r = await app.admin.download('GET', `${base}/content?itemId=${encodeURIComponent(fileId)}`);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-length']).toBe(String(FILE_BYTES));
      return digest(r);
    });
    console.log(`[large] download of ${(FILE_BYTES / MIB).toFixed(0)} MiB: host RSS grew ${grewMiB.toFixed(1)} MiB`);
    expect(result).toEqual(original);
    expect(grewMiB).toBeLessThan(BOUND_MIB);
  });

  it('exports the drive as a streamed zip larger than the bound, valid, with flat host memory', async () => {
    const file = path.join(dir, 'streamed.zip');
    const { result, grewMiB } = await peakRss(hostPid(), async () => {
      const r = await app.admin.download('POST', `${base}/export`, { folders: [rootFolder] });
      expect(r.statusCode).toBe(200);
      return digest(r, file);
    });
    console.log(
      `[large] streamed export of ${(result.bytes / MIB).toFixed(0)} MiB: host RSS grew ${grewMiB.toFixed(1)} MiB`,
    );
    expect(result.bytes).toBeGreaterThan(FILE_BYTES);
    expect(grewMiB).toBeLessThan(BOUND_MIB);
    expect(execFileSync('unzip', ['-tq', file], { maxBuffer: 16 * MIB }).toString()).toMatch(/No errors detected/);
    streamedZip = result;
    fs.rmSync(file);
  });

  it('exports it to a blob by a job, byte-identical to the streamed zip, behind a read-only link valid one hour', async () => {
    expect((await app.reader.call('POST', `${base}/exports`, { folders: [rootFolder] })).status).toBe(403);
    const { result: done, grewMiB } = await peakRss(hostPid(), async () => {
      const started = await app.admin.call<{ id: string; status: string }>('POST', `${base}/exports`, {
        folders: [rootFolder],
        delivery: 'blob',
      });
      expect(started.status).toBe(202);
      expect(started.headers.get('location')).toBe(`/api/accounts/${accountId}/exports/${started.body.id}`);
      return app.admin.waitForRun<{
        id: string;
        status: string;
        summary: { entries: number; bytes: number };
        download?: { url: string; expiresAt: string };
      }>(started, undefined, 300_000);
    });
    console.log(
      `[large] blob export of ${(done.summary.bytes / MIB).toFixed(0)} MiB: host RSS grew ${grewMiB.toFixed(1)} MiB`,
    );
    expect(grewMiB).toBeLessThan(BOUND_MIB);
    expect(done).toMatchObject({ status: 'completed', summary: { bytes: streamedZip.bytes } });
    const link = new URL(done.download!.url);
    expect({ sp: link.searchParams.get('sp'), sr: link.searchParams.get('sr') }).toEqual({ sp: 'r', sr: 'b' });
    expect(new Date(done.download!.expiresAt).getTime() - Date.now()).toBeGreaterThan(55 * 60_000);
    expect(new Date(done.download!.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    // No token: the link is the authorization. It reads this blob and nothing else.
    const fetched = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(link, resolve).once('error', reject),
    );
    expect(fetched.statusCode).toBe(200);
    expect(fetched.headers['content-disposition']).toMatch(/^attachment; filename=".*\.zip"/);
    expect(await digest(fetched)).toEqual(streamedZip);
    expect((await fetch(link, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' })).status).toBe(
      403,
    );
    const other = new URL(link);
    other.pathname = other.pathname.replace(/export\.zip$/, 'other.zip');
    expect((await fetch(other)).status).toBe(403);
    // Each read mints a fresh link, and says who got it.
    const again = await app.admin.call<{ download: { url: string } }>(
      'GET',
      `/api/accounts/${accountId}/exports/${done.id}`,
    );
    expect(again.body.download.url).not.toBe(done.download!.url);
    expect((await app.reader.call('GET', `/api/accounts/${accountId}/exports/${done.id}`)).status).toBe(403);
    const audit = (
      await app.admin.call<{ value: Array<{ action: string; subject: Record<string, unknown> }> }>(
        'GET',
        `/api/accounts/${accountId}/audit`,
      )
    ).body.value;
    expect(
      audit
        .filter((a) => a.subject.operationId === done.id)
        .map((a) => a.action)
        .sort(),
    ).toEqual(['export', 'export.link', 'export.link']);
  });
});
