// Stores one large file across as many activities as it takes. Blocks are staged into a staging blob named after
// the file (not after a random id), and each block id carries the block's index, its sha256 and a tag of the file's
// version, so the next activity learns from the blob's block list how far the last one got and downloads only the
// rest (a ranged read). A Node Hash cannot be persisted between activities, so such content is named by a tree
// digest instead of the sha256 of its bytes (see treeDigest); it is stored without gzip (large files are mostly
// compressed formats already, and a gzip stream cannot be resumed either).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { contentChanged } from '../domain/content-changed';
import { fixedBlocks } from './fixed-blocks';
import { ContentRef, PutResult, publish } from './content-publish';

/** Fixed, so equal files get equal names; 8 MiB × Azure's 50,000 blocks per blob covers OneDrive's 250 GB limit. */
export const RESUMABLE_BLOCK = 8 * 1024 * 1024;
const TAG_BYTES = 16;
const ETAG_BYTES = 12;
// A block id: version tag, ETag tag, index, sha256: 64 bytes, Azure's limit (all ids of a blob are equally long).
const ID_BYTES = TAG_BYTES + ETAG_BYTES + 4 + 32;

export interface ResumableSource {
  /** Names the staging blob: the same file resumes into the same blob. */
  stagingKey: string;
  /** The version of the bytes (a content key): blocks staged for another version are not reused. */
  versionKey: string;
  size: number;
  /** The bytes from `offset` to the end, with the download's ETag when the host gives one. */
  open(offset: number): Promise<{ body: Readable; etag?: string }>;
  /** Asked after each staged block: true ends the call, keeping what is staged for the next one. */
  stop(): boolean;
}

export type ResumableResult = { done: PutResult } | { staged: number };

/**
 * The name of content stored this way: sha256 over a fixed header, the size and the ordered block sha256s. Blocks
 * are RESUMABLE_BLOCK bytes except the last, so the same bytes always get the same name.
 */
export function treeDigest(size: number, blockDigests: readonly Buffer[]): string {
  const h = createHash('sha256').update(`m365v-tree-v1\n${RESUMABLE_BLOCK}\n${size}\n`);
  for (const d of blockDigests) h.update(d);
  return h.digest('hex');
}

const blockId = (tag: Buffer, etag: Buffer, index: number, digest: Buffer): string => {
  const i = Buffer.alloc(4);
  i.writeUInt32BE(index);
  return Buffer.concat([tag, etag, i, digest]).toString('base64');
};

/** Without an ETag from the host, a changed file is told only by its listing's version key. */
const etagTag = (etag: string | undefined): Buffer =>
  etag ? createHash('sha256').update(etag).digest().subarray(0, ETAG_BYTES) : Buffer.alloc(ETAG_BYTES);

interface Staged {
  index: number;
  etag: Buffer;
  digest: Buffer;
  size: number;
  id: string;
}

/** Committed and uncommitted blocks; none when nothing was ever staged (404). */
async function blocksOf(staging: BlockBlobClient): Promise<Array<{ name: string; size: number }>> {
  const list = await staging.getBlockList('all').catch((e: { statusCode?: number }) => {
    if (e.statusCode === 404) return { committedBlocks: [], uncommittedBlocks: [] };
    throw e;
  });
  return [...(list.committedBlocks ?? []), ...(list.uncommittedBlocks ?? [])];
}

/** This version's blocks already in the staging blob (committed by a crashed finish, or not), by index. */
async function stagedBlocks(staging: BlockBlobClient, tag: Buffer): Promise<Map<number, Staged>> {
  const out = new Map<number, Staged>();
  for (const b of await blocksOf(staging)) {
    const raw = Buffer.from(b.name, 'base64');
    if (raw.length !== ID_BYTES || !raw.subarray(0, TAG_BYTES).equals(tag)) continue;
    const index = raw.readUInt32BE(TAG_BYTES + ETAG_BYTES);
    out.set(index, {
      index,
      etag: raw.subarray(TAG_BYTES, TAG_BYTES + ETAG_BYTES),
      digest: raw.subarray(ID_BYTES - 32),
      size: b.size,
      id: b.name,
    });
  }
  return out;
}

/** A body that ended before the file's size: the connection broke (the caller's retry resumes it). */
const cutShort = (): Error =>
  Object.assign(new Error('the download ended before the end of the file'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

const stagingBlob = (container: ContainerClient, tenantId: string, key: string): BlockBlobClient =>
  container.getBlockBlobClient(`${tenantId}/staging/resumable/${createHash('sha256').update(key).digest('hex')}`);

/**
 * Drops a staging blob and its blocks, once its content is recorded or no longer wanted. Blocks never committed
 * need not make a blob one can delete: committing an empty list discards them (Azure would otherwise keep them a
 * week), and the empty blob that makes is deleted.
 */
export async function abandonResumable(
  container: ContainerClient,
  tenantId: string,
  stagingKey: string,
): Promise<void> {
  const staging = stagingBlob(container, tenantId, stagingKey);
  if ((await blocksOf(staging)).length === 0) return;
  await staging.commitBlockList([]);
  await staging.deleteIfExists();
}

export async function putResumable(
  container: ContainerClient,
  stagingContainer: ContainerClient,
  tenantId: string,
  src: ResumableSource,
): Promise<ResumableResult> {
  const staging = stagingBlob(stagingContainer, tenantId, src.stagingKey);
  const tag = createHash('sha256').update(src.versionKey).digest().subarray(0, TAG_BYTES);
  const known = await stagedBlocks(staging, tag);
  // Only a contiguous run from the first block, read from one ETag, counts; after a gap, reading goes on again.
  let blocks: Staged[] = [];
  let offset = 0;
  const first = known.get(0);
  for (
    let b = first;
    b &&
    offset < src.size &&
    b.etag.equals(first!.etag) &&
    (b.size === RESUMABLE_BLOCK || offset + b.size === src.size);
    b = known.get(blocks.length)
  ) {
    blocks.push(b);
    offset += b.size;
  }
  if (offset < src.size) {
    let { body, etag } = await src.open(offset);
    if (offset > 0 && !etagTag(etag).equals(first!.etag)) {
      // The file changed since its first blocks were read (same listing, new bytes): it is read again whole.
      body.destroy();
      [blocks, offset] = [[], 0];
      ({ body, etag } = await src.open(0));
    }
    const current = etagTag(etag);
    try {
      for await (const block of fixedBlocks(body, RESUMABLE_BLOCK)) {
        if (offset + block.length > src.size)
          throw contentChanged(`the download holds more than the file's ${src.size} bytes`);
        const digest = createHash('sha256').update(block).digest();
        const id = blockId(tag, current, blocks.length, digest);
        await staging.stageBlock(id, block, block.length);
        blocks.push({ index: blocks.length, etag: current, digest, size: block.length, id });
        offset += block.length;
        if (offset < src.size && src.stop()) return { staged: offset };
      }
    } finally {
      body.destroy();
    }
    if (offset < src.size) throw cutShort();
  }
  const ref: ContentRef = {
    sha256: treeDigest(
      src.size,
      blocks.map((b) => b.digest),
    ),
    size: src.size,
    encoding: 'identity',
  };
  // Committing only this version's blocks discards any other version's. The staging blob stays until the caller
  // has recorded the content (abandonResumable): a retry in between finds every block staged and downloads nothing.
  return {
    done: await publish(
      container,
      tenantId,
      staging,
      blocks.map((b) => b.id),
      ref,
      src.size,
    ),
  };
}
