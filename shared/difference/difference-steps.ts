// The difference-report job's steps. Each step reads one page of changed versions (and the same items at the other
// point), and appends its entries to the report, kept as numbered chunks of CHUNK entries beside the job: a page of
// the report reads only the chunks it spans. Between steps only a small cursor travels (well under the 45 KB of a
// Durable message). A step that fails throws, so the orchestration retries it; it never ends the job on its own.
import type { Services } from '../runtime/services';
import { DifferenceEntry, Edge, pageEntries } from './difference';

export interface DifferenceRef {
  accountId: string;
  operationId: string;
}
export interface DifferenceRequest {
  protectedItemId: string;
  fromSeq: number;
  toSeq: number;
}
export type DifferenceServices = Pick<Services, 'versions' | 'operations' | 'artifacts' | 'now'>;

/** Where the computation stands: everything a step needs besides the job's record, whatever the report's size. */
export interface DifferenceCursor extends DifferenceRef {
  edge: Edge;
  continuation?: string;
  /** Full chunks written, and the entries already in the partly filled chunk after them. */
  chunks: number;
  carried: number;
  counts: { added: number; removed: number; changed: number };
  done: boolean;
}

/** Versions read per step. */
export const PAGE = 250;
/** Entries per report chunk: a report page of n entries reads at most n / CHUNK + 2 chunks. */
export const CHUNK = 250;

const chunkBlob = (ref: DifferenceRef, index: number): string =>
  `exports/operations/${ref.accountId}/${ref.operationId}/differences/${String(index).padStart(8, '0')}.json`;

export const firstCursor = (ref: DifferenceRef): DifferenceCursor => ({
  accountId: ref.accountId,
  operationId: ref.operationId,
  edge: 'ended',
  chunks: 0,
  carried: 0,
  counts: { added: 0, removed: 0, changed: 0 },
  done: false,
});

async function readChunk(s: DifferenceServices, ref: DifferenceRef, index: number): Promise<DifferenceEntry[]> {
  return JSON.parse(
    (await s.artifacts.getBlobClient(chunkBlob(ref, index)).downloadToBuffer()).toString('utf8'),
  ) as DifferenceEntry[];
}

async function writeChunk(
  s: DifferenceServices,
  ref: DifferenceRef,
  index: number,
  entries: DifferenceEntry[],
): Promise<void> {
  const body = JSON.stringify(entries);
  const headers = { blobHTTPHeaders: { blobContentType: 'application/json' } };
  await s.artifacts.getBlockBlobClient(chunkBlob(ref, index)).upload(body, Buffer.byteLength(body), headers);
}

async function requestOf(s: DifferenceServices, ref: DifferenceRef): Promise<DifferenceRequest> {
  const op = await s.operations.find(ref.accountId, ref.operationId);
  if (!op) throw new Error(`difference report ${ref.operationId} not found`);
  return op.request as unknown as DifferenceRequest;
}

/**
 * One step. Deterministic for a given cursor: a retried step rewrites the same chunks with the same entries (the
 * partly filled chunk is only ever appended to, and its first `carried` entries are the ones the cursor counts).
 */
export async function differenceStep(s: DifferenceServices, c: DifferenceCursor): Promise<DifferenceCursor> {
  const req = await requestOf(s, c);
  const page = await s.versions.edgePage(req.protectedItemId, c.edge, req.fromSeq, req.toSeq, PAGE, c.continuation);
  const other = c.edge === 'ended' ? req.toSeq : req.fromSeq;
  const atOther = await s.versions.versionsAt(req.protectedItemId, other, [
    ...new Set(page.value.map((d) => d.itemId)),
  ]);
  const entries = pageEntries(c.edge, page.value, atOther);
  const counts = { ...c.counts };
  for (const e of entries) counts[e.change]++;
  let { chunks, carried } = c;
  if (entries.length) {
    const pending = [...(carried ? (await readChunk(s, c, chunks)).slice(0, carried) : []), ...entries];
    for (let i = 0; i < pending.length; i += CHUNK)
      await writeChunk(s, c, chunks + i / CHUNK, pending.slice(i, i + CHUNK));
    chunks += Math.floor(pending.length / CHUNK);
    carried = pending.length % CHUNK;
  }
  const edge: Edge = !page.continuation && c.edge === 'ended' ? 'started' : c.edge;
  const { continuation: _read, ...rest } = c;
  return {
    ...rest,
    edge,
    chunks,
    carried,
    counts,
    done: !page.continuation && c.edge === 'started',
    ...(page.continuation ? { continuation: page.continuation } : {}),
  };
}

/** Ends the job: completed with its counts once every step has run, or failed with the reason. */
export async function endDifferences(s: DifferenceServices, c: DifferenceCursor & { failed?: string }): Promise<void> {
  const op = await s.operations.find(c.accountId, c.operationId);
  if (!op || op.status !== 'running') return;
  if (c.failed || !c.done) {
    const reason = c.failed ?? 'it did not finish';
    await s.operations.finish(
      op,
      'failed',
      s.now(),
      `The difference report failed: ${reason}. Retry it, or narrow it to fewer recovery points.`,
    );
    return;
  }
  const total = c.counts.added + c.counts.removed + c.counts.changed;
  await s.operations.finish({ ...op, summary: c.counts, counts: { ...op.counts, total } }, 'completed', s.now());
}

/** Entries [offset, offset + size) of a completed report of `total` entries, reading only the chunks they span. */
export async function reportPage(
  s: DifferenceServices,
  ref: DifferenceRef,
  total: number,
  offset: number,
  size: number,
): Promise<DifferenceEntry[]> {
  const end = Math.min(total, offset + size);
  const out: DifferenceEntry[] = [];
  for (let index = Math.floor(offset / CHUNK); index * CHUNK < end; index++) {
    const chunk = await readChunk(s, ref, index);
    out.push(...chunk.slice(Math.max(0, offset - index * CHUNK), end - index * CHUNK));
  }
  return out;
}
