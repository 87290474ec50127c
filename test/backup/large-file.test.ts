// A file too big for one sync step: each step stages what its time box allows, the next resumes with a ranged read
// where the last stopped, and the page's other items are stored by the first step. Time is an injected clock that
// advances with the bytes served (1 ms per KiB), so a step's deadline passes after a known number of blocks.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { DeltaPage, GraphReader, RangedBody } from '../../shared/backup/ports';
import { SyncDeps, syncContainer, SyncTarget } from '../../shared/backup/sync-container';
import { driveItems } from '../../shared/backup/workloads/drive';
import { skippedItemAlarm } from '../../shared/domain/alarms';
import type { ChangeLog } from '../../shared/catalog/change-log';
import { IN_PROGRESS_STALLS } from '../../shared/catalog/skip-store';
import type { ContentStore } from '../../shared/storage/content-store';
import { readAll } from '../../shared/storage/read-all';
import { sha } from '../support/bytes';
import { RESUMABLE_BLOCK } from '../../shared/storage/resumable-put';
import { SyncBed, syncBed } from '../support/sync-bed';

const B = RESUMABLE_BLOCK;
const CHUNK = 64 * 1024;

/** Serves drive pages and file bytes (ranged when asked), counting every byte it serves; time follows the bytes. */
class DriveGraph implements GraphReader {
  pages = new Map<string, DeltaPage>();
  files = new Map<string, Buffer>();
  served = new Map<string, number>();
  starts: Array<[string, number]> = [];
  /** Breaks the connection once, after this many bytes of the file. */
  breakAfter = new Map<string, number>();
  clock = 0;

  async page(url: string): Promise<DeltaPage> {
    const p = this.pages.get(url);
    if (!p) throw new Error(`unscripted ${url}`);
    return p;
  }

  async stream(url: string): Promise<Readable> {
    return (await this.streamFrom(url, {}, 0)).body;
  }

  async streamFrom(url: string, _opts: unknown, from: number): Promise<RangedBody> {
    const id = decodeURIComponent(/items\/([^/]+)\/content/.exec(url)![1]);
    const bytes = this.files.get(id);
    if (!bytes) throw Object.assign(new Error('itemNotFound'), { status: 404, code: 'itemNotFound' });
    this.starts.push([id, from]);
    // Like SharePoint's, the ETag changes with the file's bytes.
    return { etag: `"{${id}},${sha(bytes).slice(0, 12)}"`, body: Readable.from(this.chunks(id, bytes, from)) };
  }

  private *chunks(id: string, bytes: Buffer, from: number): Generator<Buffer> {
    for (let at = from; at < bytes.length; at += CHUNK) {
      const limit = this.breakAfter.get(id);
      if (limit !== undefined && at >= limit) {
        this.breakAfter.delete(id);
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      const chunk = bytes.subarray(at, Math.min(at + CHUNK, bytes.length));
      this.served.set(id, (this.served.get(id) ?? 0) + chunk.length);
      this.clock += chunk.length / 1024;
      yield chunk;
    }
  }
}

const pseudoRandom = (size: number, seed: string): Buffer => {
  const out = Buffer.alloc(size);
  for (let at = 0, n = 0; at < size; at += 32, n++) createHash('sha256').update(`${seed}:${n}`).digest().copy(out, at);
  return out;
};
const file = (id: string, bytes: Buffer, version = 'v1') => ({
  id,
  name: `${id}.bin`,
  size: bytes.length,
  eTag: `${id}-${version}`,
  file: { hashes: { quickXorHash: `${id}-${version}` } },
});

describe('a file larger than one sync step', () => {
  let bed: SyncBed;
  let blobs: ContainerClient;
  let graph: DriveGraph;
  let deps: SyncDeps;
  let store: ContentStore;
  const workload = driveItems('drv1');
  const pid = 'acct.onedrive.u1';
  const target = (seq: number): SyncTarget => ({
    accountId: 'acct',
    tenantId: 't1',
    protectedItemId: pid,
    containerId: 'drive',
    mailbox: 'u1',
    seq,
  });
  /** One step: its deadline passes once two blocks' worth of bytes are served. */
  const step = (seq: number) => syncContainer(deps, target(seq), workload, graph.clock + 2 * (B / 1024));

  async function stored(seq: number, itemId: string): Promise<Buffer | undefined> {
    const { resources } = await deps.versions.view(pid, seq).fetchAll();
    const doc = resources.find((d) => d.itemId === itemId);
    if (!doc?.content || !('blob' in doc.content)) return undefined;
    return readAll(await store.open('t1', doc.content.blob));
  }

  beforeAll(async () => {
    graph = new DriveGraph();
    bed = await syncBed('large', graph, { now: () => new Date(graph.clock), resumableFrom: 5 * 1024 * 1024 });
    ({ deps, blobs, store } = bed);
  });
  afterAll(() => bed.dispose());

  it("finishes over three steps, reading each byte once, with the page's other files stored by the first", async () => {
    const big = pseudoRandom(5 * B + 3 * 1024 * 1024, 'big');
    const small = pseudoRandom(100_000, 'small');
    graph.files.set('big', big).set('small', small);
    graph.pages.set(workload.initialUrl, { value: [file('big', big), file('small', small)], deltaLink: 'delta-1' });
    graph.pages.set('delta-1', { value: [], deltaLink: 'delta-2' });

    const first = await step(1);
    expect(first).toMatchObject({ status: 'continue', counts: { written: 1, skipped: 0 } });
    expect((await stored(1, 'small'))?.equals(small)).toBe(true);
    expect(await stored(1, 'big')).toBeUndefined();
    expect(await stagingBlobs()).toHaveLength(1);
    const [pending] = await deps.skips.due(pid, 'drive', 1);
    expect(pending).toMatchObject({ itemId: 'big', inProgress: true, code: 'stillBackingUp' });
    // Were the run to end now, its point would say so (the previous version, if any, stays).
    const [reported] = await deps.skips.skippedIn(pid, 1);
    expect(skippedItemAlarm(reported)).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining(`its download was still under way (${2 * B} of ${big.length} bytes stored)`),
      fix: expect.stringContaining('the next run continues its download where this run stopped'),
    });

    expect(await step(1)).toMatchObject({ status: 'continue', counts: { skipped: 0 } });
    const last = await step(1);
    expect(last).toMatchObject({ status: 'done', counts: { written: 2, skipped: 0 } });

    expect(sha((await stored(1, 'big'))!)).toBe(sha(big));
    // Each step resumed at the end of what the last one staged; at most the read-ahead of a stop is served twice.
    expect(graph.starts.filter(([id]) => id === 'big').map(([, from]) => from)).toEqual([0, 2 * B, 4 * B]);
    expect(graph.served.get('big')! - big.length).toBeLessThanOrEqual(2 * B);
    expect(graph.served.get('small')).toBe(small.length);
    expect(await deps.skips.due(pid, 'drive', 2)).toEqual([]);
    expect(await stagingBlobs()).toEqual([]);
  });

  it('resumes after a broken connection, and starts over when the file changes midway', async () => {
    const v2 = pseudoRandom(3 * B + 1, 'v2');
    const v3 = pseudoRandom(3 * B + 1, 'v3');
    graph.files.set('big', v2);
    graph.starts = [];
    graph.breakAfter.set('big', B + CHUNK);
    graph.pages.set('delta-2', { value: [file('big', v2, 'v2')], deltaLink: 'delta-3' });
    // The broken read is retried within the step from the staged block; the time box ends the step after block 2.
    expect(await step(2)).toMatchObject({ status: 'continue' });
    expect(graph.starts).toEqual([
      ['big', 0],
      ['big', B],
    ]);

    // A new version: the resumed read meets a new ETag and starts over, and the old version's blocks are dropped.
    graph.files.set('big', v3);
    graph.pages.set('delta-3', { value: [file('big', v3, 'v3')], deltaLink: 'delta-4' });
    graph.pages.set('delta-4', { value: [], deltaLink: 'delta-5' });
    let r;
    for (let steps = 0; steps < 5 && r?.status !== 'done'; steps++) r = await step(2);
    expect(r).toMatchObject({ status: 'done' });
    expect(graph.starts.slice(2, 4)).toEqual([
      ['big', 2 * B],
      ['big', 0],
    ]);
    expect(sha((await stored(2, 'big'))!)).toBe(sha(v3));
    expect(await stagingBlobs()).toEqual([]);
  });

  it('downloads nothing again when a step dies after storing a file but before the catalog recorded it', async () => {
    const bytes = pseudoRandom(2 * B + 5, 'crash');
    graph.files.set('crash', bytes);
    graph.starts = [];
    graph.pages.set('delta-5', { value: [file('crash', bytes)], deltaLink: 'delta-5c' });
    const log = deps.log;
    deps.log = Object.assign(Object.create(log) as ChangeLog, {
      append: () => Promise.reject(new Error('host killed')),
    });
    await expect(syncContainer(deps, target(3), workload, Number.MAX_SAFE_INTEGER)).rejects.toThrow('host killed');
    deps.log = log;
    expect(await syncContainer(deps, target(3), workload, Number.MAX_SAFE_INTEGER)).toMatchObject({ status: 'done' });
    expect(graph.starts).toEqual([['crash', 0]]);
    expect(sha((await stored(3, 'crash'))!)).toBe(sha(bytes));
    expect(await stagingBlobs()).toEqual([]);
  });

  it('names equal large files alike, so a copy is stored once', async () => {
    const bytes = pseudoRandom(B + 7, 'twin');
    graph.files.set('twin-a', bytes).set('twin-b', bytes);
    graph.pages.set('delta-5c', {
      value: [file('twin-a', bytes), file('twin-b', bytes, 'other')],
      deltaLink: 'delta-6',
    });
    const r = await syncContainer(deps, target(4), workload, Number.MAX_SAFE_INTEGER);
    expect(r).toMatchObject({ status: 'done', counts: { written: 2, storedBytes: bytes.length } });
    const docs = (await deps.versions.versionsAt(pid, 4, ['twin-a', 'twin-b'])).map((d) =>
      d.content && 'blob' in d.content ? d.content.blob.sha256 : '',
    );
    expect(docs[0]).toBe(docs[1]);
    expect(docs[0]).not.toBe(sha(bytes));
    expect(await stagingBlobs()).toEqual([]);
  });

  it('drops the staged blocks of a file deleted before it was finished', async () => {
    const doomed = pseudoRandom(3 * B, 'doomed');
    graph.files.set('doomed', doomed);
    graph.pages.set('delta-6', { value: [file('doomed', doomed)], deltaLink: 'delta-7' });
    expect(await step(5)).toMatchObject({ status: 'continue' });
    expect(await stagingBlobs()).toHaveLength(1);
    graph.files.delete('doomed');
    graph.pages.set('delta-7', { value: [{ id: 'doomed', deleted: { state: 'deleted' } }], deltaLink: 'delta-8' });
    expect(await step(5)).toMatchObject({ status: 'done', counts: { skipped: 0 } });
    expect(await stagingBlobs()).toEqual([]);
    expect(await deps.skips.itemIds(pid, 'drive')).toEqual(new Map());
  });

  it('skips a file whose download outgrows its listed size (it changed), without failing the container', async () => {
    const bytes = pseudoRandom(B + 3, 'grown');
    graph.files.set('grown', bytes);
    graph.pages.set('delta-8', {
      value: [{ ...file('grown', bytes), size: 5 * 1024 * 1024 + 1 }],
      deltaLink: 'delta-9',
    });
    expect(await syncContainer(deps, target(6), workload, Number.MAX_SAFE_INTEGER)).toMatchObject({
      status: 'done',
      counts: { skipped: 1 },
    });
    expect(await deps.skips.skippedIn(pid, 6)).toEqual([
      expect.objectContaining({ itemId: 'grown', code: 'contentChanged', transient: true }),
    ]);
  });

  it('leaves a file that changes at every step to the next run, so its run still ends, and stores it once settled', async () => {
    let version = 0;
    const churn = (): Buffer => pseudoRandom(4 * B, `churn-${++version}`);
    graph.files.set('churn', churn());
    graph.pages.set('delta-9', { value: [file('churn', graph.files.get('churn')!)], deltaLink: 'delta-10' });
    graph.pages.set('delta-10', { value: [], deltaLink: 'delta-10' });
    let r;
    for (let steps = 0; steps < 3 * IN_PROGRESS_STALLS && r?.status !== 'done'; steps++) {
      r = await step(7);
      graph.files.set('churn', churn());
    }
    expect(r).toMatchObject({ status: 'done' });
    const given = (await deps.skips.skippedIn(pid, 7)).find((k) => k.itemId === 'churn');
    expect(given).toMatchObject({ code: 'changedWhileDownloading', inProgress: false, transient: true });
    expect(skippedItemAlarm(given!).fix).toContain('excluded from the job');
    // Settled, the next run stores it.
    r = undefined;
    for (let steps = 0; steps < 10 && r?.status !== 'done'; steps++) r = await step(8);
    expect(r).toMatchObject({ status: 'done' });
    expect(sha((await stored(8, 'churn'))!)).toBe(sha(graph.files.get('churn')!));
  });

  async function stagingBlobs(): Promise<string[]> {
    const names: string[] = [];
    for await (const b of blobs.listBlobsFlat({ prefix: 't1/staging/', includeUncommitedBlobs: true }))
      names.push(b.name);
    return names;
  }
});
