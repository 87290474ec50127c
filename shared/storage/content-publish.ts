// Publishing content under its hash: the names, refs and the conditional write that make a content blob appear
// once, whole. Apart from content-store so resumable puts publish the same way without importing the store.
import { RestError, type BlobClient, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import type { ContentEncoding } from './content-codec';

export interface ContentRef {
  sha256: string;
  /** Size of the original bytes. */
  size: number;
  encoding: ContentEncoding;
}

export interface PutResult extends ContentRef {
  /** Bytes written to storage by this call (0 when the content was already stored). */
  storedBytes: number;
  deduplicated: boolean;
}

export const contentBlobName = (tenantId: string, sha256: string): string =>
  `${tenantId}/sha256/${sha256.slice(0, 2)}/${sha256}`;

export const isConflict = (e: unknown): boolean =>
  e instanceof RestError && (e.statusCode === 409 || e.statusCode === 412);

/**
 * Metadata retention's collector sets on a blob no version referenced (shared/retention/COLLECTION.md). A writer
 * that finds its content already stored claims the blob by clearing it, which changes the blob's ETag, so the
 * collector's conditional delete (If-Match the condemning ETag) fails and the blob stays.
 */
export const CONDEMNED = 'condemnedat';

/**
 * Makes content found already stored safe to reference: true when the blob exists and carries no collector mark
 * (cleared here if it did); false when it is gone (collected meanwhile), so the caller stores it anew.
 */
export async function claimExisting(blob: BlobClient): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let props;
    try {
      props = await blob.getProperties();
    } catch (e) {
      if (e instanceof RestError && e.statusCode === 404) return false;
      throw e;
    }
    const metadata = props.metadata ?? {};
    if (!(CONDEMNED in metadata)) return true;
    const { [CONDEMNED]: _mark, ...kept } = metadata;
    try {
      await blob.setMetadata(kept, { conditions: { ifMatch: props.etag! } });
      return true;
    } catch (e) {
      // 412: the collector (or another writer) changed it meanwhile; 404: collected. Look again.
      if (!(e instanceof RestError && (e.statusCode === 412 || e.statusCode === 404))) throw e;
    }
  }
  throw new Error(`content blob ${blob.name} keeps changing while being claimed`);
}

export const metadataOf = (ref: ContentRef): Record<string, string> => ({
  sha256: ref.sha256,
  size: String(ref.size),
  encoding: ref.encoding,
});

/**
 * Commits a staging blob's blocks and copies it server-side under its content name (write-once: content already
 * there is kept and reported as deduplicated). The caller deletes the staging blob.
 */
export async function publish(
  container: ContainerClient,
  tenantId: string,
  staging: BlockBlobClient,
  blockIds: string[],
  ref: ContentRef,
  storedBytes: number,
): Promise<PutResult> {
  const target = container.getBlockBlobClient(contentBlobName(tenantId, ref.sha256));
  if (await claimExisting(target)) return { ...ref, storedBytes: 0, deduplicated: true };
  await staging.commitBlockList(blockIds, { metadata: metadataOf(ref) });
  for (;;) {
    try {
      const copy = await target.beginCopyFromURL(staging.url, { conditions: { ifNoneMatch: '*' } });
      await copy.pollUntilDone();
      return { ...ref, storedBytes, deduplicated: false };
    } catch (e) {
      if (!isConflict(e)) throw e;
      // Written by another writer meanwhile: claim theirs, or copy again if the collector took it in between.
      if (await claimExisting(target)) return { ...ref, storedBytes: 0, deduplicated: true };
    }
  }
}
