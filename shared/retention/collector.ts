// Collection of content no version references any more, for one tenant in one content container. The protocol is
// written down in COLLECTION.md beside this file; in short: mark, condemn, wait, mark again, delete if unchanged.
import { RestError, type ContainerClient } from '@azure/storage-blob';
import type { ContentPointer } from '../catalog/version-doc';
import { CONDEMNED } from '../storage/content-publish';
import type { MarkSet } from './mark-set';

export interface CollectOptions {
  tenantId: string;
  /** Only blobs whose name starts with `${tenantId}/sha256/${prefix}`: a slice of the work (two hex digits). */
  prefix: string;
  /** When the marking this pass reads began: a condemnation older than it by `graceMs` may be acted on. */
  markStartedAt: Date;
  /** Longer than any backup step, from the moment it finds content already stored to the write of its version. */
  graceMs: number;
  now: Date;
}

export interface LockedBlob {
  sha256: string;
  reason: string;
}

export interface CollectReport {
  scanned: number;
  condemned: number;
  /** Condemned before, referenced again (a later backup stored the same content). */
  revived: number;
  deleted: number;
  deletedBytes: number;
  /** Unreferenced but not deletable now: immutability, a legal hold, the account's refusal. */
  locked: LockedBlob[];
}

/** Every content hash a version's pointer reads: the blob, or a split message's skeleton and parts. */
export function referencedHashes(pointer: ContentPointer): string[] {
  if ('blob' in pointer) return [pointer.blob.sha256];
  return [pointer.mime.skeleton.sha256, ...pointer.mime.parts.map((p) => p.ref.sha256)];
}

const statusOf = (e: unknown): number | undefined => (e instanceof RestError ? e.statusCode : undefined);
const codeOf = (e: unknown): string => (e instanceof RestError ? String(e.code ?? '') : '');

/** A refusal that keeps the blob for now, said so in the report; anything else is a fault of the pass. */
function lockReason(e: unknown): string | undefined {
  const code = codeOf(e);
  if (statusOf(e) === 409 && /Immutab|LegalHold/i.test(code))
    return `${code}: the blob is under an immutability policy or legal hold`;
  if (statusOf(e) === 403) return `${code || 'AuthorizationFailure'}: the storage account refused the change`;
  return undefined;
}

/**
 * One pass over a slice of a tenant's content: revives condemned blobs that are referenced again, deletes those
 * condemned at least `graceMs` before the marking began and still unreferenced (If-Match the condemning ETag, so a
 * writer's claim in between wins), and condemns unreferenced blobs older than `graceMs`. Stateless and idempotent:
 * a pass killed at any point and run again decides the same way.
 */
export async function collect(
  container: ContainerClient,
  marks: MarkSet,
  opts: CollectOptions,
): Promise<CollectReport> {
  const report: CollectReport = { scanned: 0, condemned: 0, revived: 0, deleted: 0, deletedBytes: 0, locked: [] };
  const horizon = opts.markStartedAt.getTime() - opts.graceMs;
  const listing = container.listBlobsFlat({ prefix: `${opts.tenantId}/sha256/${opts.prefix}`, includeMetadata: true });
  for await (const item of listing) {
    report.scanned++;
    const sha256 = item.name.slice(item.name.lastIndexOf('/') + 1);
    const blob = container.getBlobClient(item.name);
    const metadata = item.metadata ?? {};
    const condemnedAt = metadata[CONDEMNED] ? Date.parse(metadata[CONDEMNED]) : undefined;
    const etag = item.properties.etag;
    try {
      if (marks.has(sha256)) {
        if (condemnedAt === undefined) continue;
        const { [CONDEMNED]: _mark, ...kept } = metadata;
        await blob.setMetadata(kept, { conditions: { ifMatch: etag } });
        report.revived++;
      } else if (condemnedAt !== undefined) {
        if (!(condemnedAt <= horizon)) continue;
        await blob.delete({ conditions: { ifMatch: etag } });
        report.deleted++;
        report.deletedBytes += item.properties.contentLength ?? 0;
      } else if (item.properties.lastModified.getTime() <= horizon) {
        await blob.setMetadata({ ...metadata, [CONDEMNED]: opts.now.toISOString() }, { conditions: { ifMatch: etag } });
        report.condemned++;
      }
    } catch (e) {
      // Changed since listed (a writer claimed it) or gone: the next pass sees it as it is then.
      if (statusOf(e) === 412 || statusOf(e) === 404) continue;
      const reason = lockReason(e);
      if (!reason) throw e;
      report.locked.push({ sha256, reason });
    }
  }
  return report;
}
