// Content-addressed, write-once storage of backed-up bytes: one blob per distinct content per tenant, named by the
// sha256 of the original bytes, so the same attachment or file in 500 places is stored once. Memory stays flat:
// small objects are buffered (bounded), large ones are streamed through staged blocks into a temporary blob and
// then copied server-side under their hash.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { fixedBlocks } from './fixed-blocks';
import {
  claimExisting,
  ContentRef,
  contentBlobName,
  isConflict,
  metadataOf,
  publish,
  PutResult,
} from './content-publish';
import { abandonResumable, putResumable, ResumableResult, ResumableSource } from './resumable-put';
import { chooseEncoding, ContentEncoding, Digest, encoder } from './content-codec';

/** Objects up to this size are hashed in memory and written with one conditional request. */
const SMALL_LIMIT = 4 * 1024 * 1024;
const BLOCK_SIZE = 4 * 1024 * 1024;
const BLOCKS_IN_FLIGHT = 2;

export class ContentStore {
  /**
   * `staging` holds large objects while they upload, before the server-side copy under their hash: a container in
   * the same account outside content's WORM policy (the deployment's 'staging', or a repository's stagingContainer);
   * a repository registered without one stages in itself.
   */
  constructor(
    readonly container: ContainerClient,
    readonly staging: ContainerClient = container,
  ) {}

  async put(tenantId: string, source: Readable | Buffer): Promise<PutResult> {
    const stream = Buffer.isBuffer(source) ? Readable.from([source]) : source;
    const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head: Buffer[] = [];
    let headBytes = 0;
    let ended = false;
    while (headBytes <= SMALL_LIMIT) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      head.push(chunk);
      headBytes += chunk.length;
    }
    const first = Buffer.concat(head);
    if (ended) return this.putSmall(tenantId, first);
    async function* rest(): AsyncGenerator<Buffer> {
      yield first;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      }
    }
    return this.putLarge(tenantId, Readable.from(rest()), chooseEncoding(first));
  }

  private async putSmall(tenantId: string, bytes: Buffer): Promise<PutResult> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const encoding = chooseEncoding(bytes);
    const body = encoding === 'gzip' ? gzipSync(bytes) : bytes;
    const blob = this.container.getBlockBlobClient(contentBlobName(tenantId, sha256));
    const ref: ContentRef = { sha256, size: bytes.length, encoding };
    for (;;) {
      try {
        await blob.upload(body, body.length, { conditions: { ifNoneMatch: '*' }, metadata: metadataOf(ref) });
        return { ...ref, storedBytes: body.length, deduplicated: false };
      } catch (e) {
        if (!isConflict(e)) throw e;
        // Already stored: claim it from retention's collector, or write it again if collected in between.
        if (await claimExisting(blob)) return { ...ref, storedBytes: 0, deduplicated: true };
      }
    }
  }

  private async putLarge(tenantId: string, source: Readable, encoding: ContentEncoding): Promise<PutResult> {
    const staging = this.staging.getBlockBlobClient(`${tenantId}/staging/${randomUUID()}`);
    const digest = new Digest();
    const blockIds: string[] = [];
    let storedBytes = 0;
    const inFlight = new Set<Promise<void>>();
    const stage = async (block: Buffer): Promise<void> => {
      const id = Buffer.from(String(blockIds.length).padStart(8, '0')).toString('base64');
      blockIds.push(id);
      storedBytes += block.length;
      const p = staging.stageBlock(id, block, block.length).then(() => undefined);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => undefined);
      if (inFlight.size >= BLOCKS_IN_FLIGHT) await Promise.race(inFlight);
    };
    try {
      await pipeline(source, digest, encoder(encoding), async (encoded: AsyncIterable<Buffer>) => {
        for await (const block of fixedBlocks(encoded, BLOCK_SIZE)) await stage(block);
        await Promise.all(inFlight);
      });
      const ref: ContentRef = { sha256: digest.hex(), size: digest.bytes, encoding };
      return await publish(this.container, tenantId, staging, blockIds, ref, storedBytes);
    } finally {
      await staging.deleteIfExists();
    }
  }

  /** A large file, across as many calls as it takes (see resumable-put.ts). */
  putResumable(tenantId: string, source: ResumableSource): Promise<ResumableResult> {
    return putResumable(this.container, this.staging, tenantId, source);
  }

  abandonResumable(tenantId: string, stagingKey: string): Promise<void> {
    return abandonResumable(this.staging, tenantId, stagingKey);
  }

  /** The original bytes, decoded as they stream. */
  async open(tenantId: string, ref: Pick<ContentRef, 'sha256' | 'encoding'>): Promise<Readable> {
    const r = await this.container.getBlobClient(contentBlobName(tenantId, ref.sha256)).download();
    const body = r.readableStreamBody as Readable;
    if (ref.encoding !== 'gzip') return body;
    // pipeline, not pipe: a failed download fails the decoded stream (pipe would leave it waiting for ever), and a
    // reader that stops early releases the download's connection.
    const decoded = createGunzip();
    pipeline(body, decoded).catch(() => undefined);
    return decoded;
  }
}
