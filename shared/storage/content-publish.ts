// Publishing content under its hash: the names, refs and the conditional write that make a content blob appear
// once, whole. Apart from content-store so resumable puts publish the same way without importing the store.
import { RestError, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
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

export const contentBlobName = (tenantId: string, sha256: string): string => `${tenantId}/sha256/${sha256.slice(0, 2)}/${sha256}`;

export const isConflict = (e: unknown): boolean => e instanceof RestError && (e.statusCode === 409 || e.statusCode === 412);

export const metadataOf = (ref: ContentRef): Record<string, string> => ({ sha256: ref.sha256, size: String(ref.size), encoding: ref.encoding });

/**
 * Commits a staging blob's blocks and copies it server-side under its content name (write-once: content already
 * there is kept and reported as deduplicated). The caller deletes the staging blob.
 */
export async function publish(
  container: ContainerClient, tenantId: string, staging: BlockBlobClient, blockIds: string[], ref: ContentRef, storedBytes: number,
): Promise<PutResult> {
  const target = container.getBlockBlobClient(contentBlobName(tenantId, ref.sha256));
  if (await target.exists()) return { ...ref, storedBytes: 0, deduplicated: true };
  await staging.commitBlockList(blockIds, { metadata: metadataOf(ref) });
  try {
    const copy = await target.beginCopyFromURL(staging.url, { conditions: { ifNoneMatch: '*' } });
    await copy.pollUntilDone();
  } catch (e) {
    if (isConflict(e)) return { ...ref, storedBytes: 0, deduplicated: true };
    throw e;
  }
  return { ...ref, storedBytes, deduplicated: false };
}
