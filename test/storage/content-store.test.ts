import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { ContentStore } from '../../shared/storage/content-store';
import { contentBlobName } from '../../shared/storage/content-publish';
import { RESUMABLE_BLOCK } from '../../shared/storage/resumable-put';
import { stackEnv, uniqueName } from '../support/env';
import { readAll, sha } from '../support/bytes';
import { peakLiveMemory } from '../support/live-memory';

/** A deterministic, compressible stream of `size` bytes produced in 64 KiB chunks, never held whole. */
function textStream(size: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return this.push(null);
      const n = Math.min(65536, size - sent);
      const chunk = Buffer.alloc(n, `line ${sent} of a long mailbox export with repeated words\n`);
      sent += n;
      this.push(chunk);
    },
  });
}

describe('ContentStore (Azurite)', () => {
  let container: ContainerClient;
  let store: ContentStore;
  const tenant = 'tenant-a';

  beforeAll(async () => {
    container = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')).getContainerClient(
      uniqueName('content'),
    );
    await container.create();
    store = new ContentStore(container);
  });
  afterAll(async () => {
    await container.delete();
  });

  it('stores small content once under its sha256 and returns the same bytes', async () => {
    const mime = Buffer.from('From: a@example.com\r\nSubject: =?UTF-8?B?w4R0c2No?=\r\n\r\n' + 'body text '.repeat(500));
    const first = await store.put(tenant, mime);
    expect(first).toMatchObject({ sha256: sha(mime), size: mime.length, encoding: 'gzip', deduplicated: false });
    expect(first.storedBytes).toBeLessThan(mime.length / 5);
    const second = await store.put(tenant, Readable.from([mime.subarray(0, 10), mime.subarray(10)]));
    expect(second).toMatchObject({ sha256: first.sha256, deduplicated: true, storedBytes: 0 });
    expect(await readAll(await store.open(tenant, first))).toEqual(mime);
  });

  it('keeps tenants apart and stores incompressible bytes as they are', async () => {
    const noise = randomBytes(100_000);
    const a = await store.put('tenant-x', noise);
    const b = await store.put('tenant-y', noise);
    expect(a.encoding).toBe('identity');
    expect(b.deduplicated).toBe(false);
    expect(await container.getBlobClient(contentBlobName('tenant-x', a.sha256)).exists()).toBe(true);
    expect(await readAll(await store.open('tenant-y', b))).toEqual(noise);
  });

  it('streams large content through staged blocks, dedups it, and leaves no staging blobs', async () => {
    const size = 48 * 1024 * 1024 + 123;
    const expected = createHash('sha256');
    const s1 = textStream(size);
    s1.on('data', (c: Buffer) => expected.update(c));
    const first = await store.put(tenant, s1);
    expect(first).toMatchObject({ sha256: expected.digest('hex'), size, encoding: 'gzip', deduplicated: false });
    const again = await store.put(tenant, textStream(size));
    expect(again).toMatchObject({ sha256: first.sha256, deduplicated: true });
    const back = createHash('sha256');
    let n = 0;
    for await (const c of await store.open(tenant, first)) {
      back.update(c as Buffer);
      n += (c as Buffer).length;
    }
    expect(n).toBe(size);
    expect(back.digest('hex')).toBe(first.sha256);
    const staging: string[] = [];
    // Uncommitted blocks too: those of the deduplicated copy were never committed, yet must not linger a week.
    for await (const b of container.listBlobsFlat({ prefix: `${tenant}/staging/`, includeUncommitedBlobs: true }))
      staging.push(b.name);
    expect(staging).toEqual([]);
  });

  it('keeps memory flat while storing a stream far larger than its buffers', async () => {
    const size = 256 * 1024 * 1024;
    const noise = randomBytes(1024 * 1024);
    let sent = 0;
    const incompressible = new Readable({
      read() {
        if (sent >= size) return this.push(null);
        sent += noise.length;
        // Vary each MiB so the stream is not trivially repetitive.
        noise.writeUInt32LE(sent, 0);
        this.push(Buffer.from(noise));
      },
    });
    const { result: r, grewMiB } = await peakLiveMemory(() => store.put(tenant, incompressible));
    expect(r.size).toBe(size);
    // Buffers are bounded (a 4 MiB head, two 4 MiB blocks in flight): growth stays far below the 256 MiB stored.
    expect(grewMiB).toBeLessThan(96);
  });

  it('stores a large file across calls, each resuming where the last stopped, with memory flat', async () => {
    const size = 256 * 1024 * 1024 + 4321;
    /** Seeded incompressible bytes from any offset, 1 MiB at a time. */
    const from = (offset: number): Readable =>
      Readable.from(
        (function* () {
          for (let at = offset; at < size;) {
            const mib = Math.floor(at / (1024 * 1024));
            const block = createHash('sha512').update(`mib ${mib}`).digest();
            const whole = Buffer.alloc(1024 * 1024, block);
            const end = Math.min((mib + 1) * 1024 * 1024, size);
            yield whole.subarray(at - mib * 1024 * 1024, end - mib * 1024 * 1024);
            at = end;
          }
        })(),
      );
    const expected = createHash('sha256');
    for await (const c of from(0)) expected.update(c as Buffer);
    const offsets: number[] = [];
    let staged = 0;
    const { result, grewMiB } = await peakLiveMemory(async () => {
      let done;
      for (let calls = 0; calls < 20 && !done; calls++) {
        let blocks = 0;
        const r = await store.putResumable(tenant, {
          stagingKey: 'item-1',
          versionKey: 'v1',
          size,
          open: async (offset) => {
            offsets.push(offset);
            return { body: from(offset), etag: '"v1"' };
          },
          stop: () => ++blocks >= 10,
        });
        if ('done' in r) done = r.done;
        else staged = r.staged;
      }
      return done;
    });
    expect(staged).toBe(30 * RESUMABLE_BLOCK);
    expect(offsets).toEqual([0, 10, 20, 30].map((b) => b * RESUMABLE_BLOCK));
    expect(result).toMatchObject({ size, encoding: 'identity', deduplicated: false });
    // One 8 MiB block and its remainder at a time: growth stays far below the 256 MiB stored.
    console.log(`[resumable put] 256 MiB over 4 calls, live memory grew ${grewMiB.toFixed(1)} MiB`);
    expect(grewMiB).toBeLessThan(96);
    await store.abandonResumable(tenant, 'item-1');
    const back = createHash('sha256');
    for await (const c of await store.open(tenant, result!)) back.update(c as Buffer);
    expect(back.digest('hex')).toBe(expected.digest('hex'));
  });
});

describe('ContentStore.open when the download breaks', () => {
  /** A container whose one blob is `head` (gzip bytes), after which the download fails or waits for ever. */
  const breaking = (head: Buffer, fail: boolean): { store: ContentStore; body: Readable } => {
    const body = new Readable({
      read() {
        if (this.readableLength === 0 && head.length) {
          this.push(head);
          head = Buffer.alloc(0);
        } else if (fail) this.destroy(new Error('connection reset'));
      },
    });
    const container = {
      getBlobClient: () => ({ download: async () => ({ readableStreamBody: body }) }),
    } as unknown as ContainerClient;
    return { store: new ContentStore(container), body };
  };
  const gzipped = gzipSync(Buffer.alloc(1 << 20, 'compressible mailbox text '));

  it('fails the decoded stream instead of leaving its reader waiting for ever', async () => {
    const { store } = breaking(gzipped.subarray(0, 2000), true);
    const decoded = await store.open('t', { sha256: 'a'.repeat(64), encoding: 'gzip' });
    await expect(readAll(decoded)).rejects.toThrow('connection reset');
  });

  it('releases the download when the reader stops early', async () => {
    const { store, body } = breaking(gzipped.subarray(0, 2000), false);
    const decoded = await store.open('t', { sha256: 'a'.repeat(64), encoding: 'gzip' });
    decoded.destroy();
    await new Promise<void>((r) => body.once('close', () => r()));
    expect(body.destroyed).toBe(true);
  });
});
