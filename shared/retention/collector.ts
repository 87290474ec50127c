// Collection of content no version references any more, for one tenant in one content container. The protocol is
// written down in COLLECTION.md beside this file; in short: mark, condemn, wait, mark again, delete if unchanged.
import { RestError, type BlobClient, type BlobItem, type ContainerClient } from '@azure/storage-blob';
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
  /**
   * The repository is under version-level immutability (WORM) for this many days: every referenced blob stays
   * locked (a Locked per-blob policy, which nobody can shorten) until at least that long from now, so a stolen
   * credential cannot delete content any point within the period reads, however old the content is.
   */
  lockDays?: number;
}

/**
 * Blobs per listing page. The SDK's default (the service's most, 5,000 with metadata) parses into tens of MiB per
 * page, held by every slice collected at once: 50–70 MiB for four slices, measured. 500 keeps that under 15 MiB for
 * ten times the list requests, a few hundred for a repository of a million blobs.
 */
export const LIST_PAGE = 500;

/** A lock is extended to `lockDays + LOCK_STEP_DAYS` once it has less than `lockDays` left: a request per blob per step. */
export const LOCK_STEP_DAYS = 7;

export interface LockedBlob {
  sha256: string;
  reason: string;
}

/** A sample is enough for a report; counts are exact. */
export const SAMPLE = 20;

/** Blobs of one kind: how many, and a sample with reasons (a repository may hold millions). */
export interface BlobTally {
  count: number;
  sample: LockedBlob[];
}

/** Counts a blob into a tally, keeping it in the sample while there is room. */
function tally(t: BlobTally, blob: LockedBlob): void {
  t.count++;
  if (t.sample.length < SAMPLE) t.sample.push(blob);
}

export interface CollectReport {
  scanned: number;
  condemned: number;
  /** Condemned before, referenced again (a later backup stored the same content). */
  revived: number;
  deleted: number;
  deletedBytes: number;
  /** Referenced blobs whose immutability was extended. */
  lockExtended: number;
  /** Unreferenced but not deletable now: immutability, a legal hold, the account's refusal. */
  locked: BlobTally;
  /** Referenced, in a repository under immutability, but its lock could not be extended. */
  unprotected: BlobTally;
}

/** Every content hash a version's pointer reads: the blob, or a split message's skeleton and parts. */
export function referencedHashes(pointer: ContentPointer): string[] {
  if ('blob' in pointer) return [pointer.blob.sha256];
  return [pointer.mime.skeleton.sha256, ...pointer.mime.parts.map((p) => p.ref.sha256)];
}

const DAY = 86_400_000;
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

/** Locks a referenced blob further; a refusal leaves it unprotected, said in the report, and the pass goes on. */
async function extendLock(blob: BlobClient, floor: number, sha256: string, report: CollectReport): Promise<void> {
  try {
    await blob.setImmutabilityPolicy({ expiriesOn: new Date(floor + LOCK_STEP_DAYS * DAY), policyMode: 'Locked' });
    report.lockExtended++;
  } catch (e) {
    if (statusOf(e) === 404) return;
    tally(report.unprotected, {
      sha256,
      reason:
        statusOf(e) === 403
          ? `${codeOf(e) || 'AuthorizationFailure'}: the Function App's identity may not set immutability policies; grant it the data action Microsoft.Storage/storageAccounts/blobServices/containers/blobs/immutableStorage/runAsSuperUser/action on the repository`
          : `${codeOf(e) || statusOf(e) || (e as Error).name}: the immutability policy could not be extended`,
    });
  }
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
  const report: CollectReport = {
    scanned: 0,
    condemned: 0,
    revived: 0,
    deleted: 0,
    deletedBytes: 0,
    lockExtended: 0,
    locked: { count: 0, sample: [] },
    unprotected: { count: 0, sample: [] },
  };
  const horizon = opts.markStartedAt.getTime() - opts.graceMs;
  const lockDays = opts.lockDays ?? 0;
  const lockFloor = opts.now.getTime() + lockDays * DAY;
  const pages = container
    .listBlobsFlat({
      prefix: `${opts.tenantId}/sha256/${opts.prefix}`,
      includeMetadata: true,
      ...(lockDays > 0 ? { includeImmutabilityPolicy: true } : {}),
    })
    .byPage({ maxPageSize: LIST_PAGE });
  for await (const page of pages) for (const item of page.segment.blobItems) await visit(item);
  return report;

  async function visit(item: BlobItem): Promise<void> {
    report.scanned++;
    const sha256 = item.name.slice(item.name.lastIndexOf('/') + 1);
    const blob = container.getBlobClient(item.name);
    const metadata = item.metadata ?? {};
    const condemnedAt = metadata[CONDEMNED] ? Date.parse(metadata[CONDEMNED]) : undefined;
    const etag = item.properties.etag;
    try {
      if (marks.has(sha256)) {
        // Revived before it is locked: a blob under a policy refuses metadata changes.
        if (condemnedAt !== undefined) {
          const { [CONDEMNED]: _mark, ...kept } = metadata;
          await blob.setMetadata(kept, { conditions: { ifMatch: etag } });
          report.revived++;
        }
        const lockedUntil = item.properties.immutabilityPolicyExpiresOn?.getTime() ?? 0;
        if (lockDays > 0 && lockedUntil < lockFloor) await extendLock(blob, lockFloor, sha256, report);
      } else if (condemnedAt !== undefined) {
        if (!(condemnedAt <= horizon)) return;
        await blob.delete({ conditions: { ifMatch: etag } });
        report.deleted++;
        report.deletedBytes += item.properties.contentLength ?? 0;
      } else if (item.properties.lastModified.getTime() <= horizon) {
        await blob.setMetadata({ ...metadata, [CONDEMNED]: opts.now.toISOString() }, { conditions: { ifMatch: etag } });
        report.condemned++;
      }
    } catch (e) {
      // Changed since listed (a writer claimed it) or gone: the next pass sees it as it is then.
      if (statusOf(e) === 412 || statusOf(e) === 404) return;
      const reason = lockReason(e);
      if (!reason) throw e;
      tally(report.locked, { sha256, reason });
    }
  }
}
