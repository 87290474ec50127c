// Steps of a retention run of one account, each the body of one activity: prune each protected item (prune-item.ts),
// mark the content the tenant's versions still reference, and collect the rest slice by slice (collector.ts).
// Idempotent: a retried step or a re-run of the same run redoes nothing harmful. Results are small; per-item
// reports go to a blob beside the run.
import { RestError, type ContainerClient } from '@azure/storage-blob';
import { ACTIVE_INSTANCE } from '../backup/run-steps';
import { classifyStorageFailure } from '../domain/alarms';
import type { Ports } from '../runtime/services';
import { DEFAULT_REPOSITORY } from '../inventory/schemas';
import { withoutSystem } from '../inventory/inventory-store';
import { retentionRunEvent } from '../telemetry/events';
import { collect, CollectReport, referencedHashes, SAMPLE } from './collector';
import { bitsFor, MarkSet, SlicedMarkSet, SLICES } from './mark-set';
import { ItemRetentionReport, pruneItem } from './prune-item';

export interface RetentionRef {
  accountId: string;
  runId: string;
}

export interface RetentionTotals {
  items: number;
  pointsMarked: number;
  pointsRemoved: number;
  versionsRemoved: number;
  itemsSkipped: number;
  blobsScanned: number;
  blobsCondemned: number;
  blobsRevived: number;
  blobsDeleted: number;
  bytesFreed: number;
  blobsLocked: number;
  /** Referenced content whose immutability was extended, and content whose extension was refused. */
  blobsLockExtended: number;
  blobsUnprotected: number;
}

export const emptyTotals = (): RetentionTotals => ({
  items: 0,
  pointsMarked: 0,
  pointsRemoved: 0,
  versionsRemoved: 0,
  itemsSkipped: 0,
  blobsScanned: 0,
  blobsCondemned: 0,
  blobsRevived: 0,
  blobsDeleted: 0,
  bytesFreed: 0,
  blobsLocked: 0,
  blobsLockExtended: 0,
  blobsUnprotected: 0,
});

export interface RetentionRunDoc {
  id: string;
  accountId: string;
  /** Retention runs sit beside backup runs in the `runs` container, under a job id of their own. */
  jobId: typeof RETENTION_JOB;
  type: 'retention';
  trigger: 'schedule' | 'manual';
  requestedBy?: { id: string; name: string };
  status: 'running' | 'success' | 'warning' | 'failed';
  startedAt: string;
  endedAt?: string;
  totals: RetentionTotals;
  /** Content Storage would not let go (immutability, legal hold, refusal), a sample with reasons. */
  locked?: Array<{ sha256: string; reason: string }>;
  /** Referenced content in an immutable repository whose lock could not be extended, a sample with reasons. */
  unprotected?: Array<{ sha256: string; reason: string }>;
  /** A storage refusal that stopped collection in a repository this run. */
  refused?: StorageRefusal;
  message?: string;
}

export const RETENTION_JOB = '_retention';
/** Protected items per page of a run (one orchestration execution prunes one page, then continues as new). */
export const ITEM_PAGE = 100;

const runBlob = (ref: RetentionRef, name: string): string => `retention/${ref.accountId}/${ref.runId}/${name}`;

export async function getRetentionRun(s: Ports<'points'>, ref: RetentionRef): Promise<RetentionRunDoc | undefined> {
  const { resource } = await s.points.runs.item(ref.runId, [ref.accountId, RETENTION_JOB]).read<RetentionRunDoc>();
  return resource?.type === 'retention' ? withoutSystem(resource) : undefined;
}

/** The account's runs, newest first; only those whose records say running if asked (a crashed orchestration's may). */
export async function listRetentionRuns(
  s: Ports<'points'>,
  accountId: string,
  opts: { running?: boolean } = {},
): Promise<RetentionRunDoc[]> {
  const { resources } = await s.points.runs.items
    .query<RetentionRunDoc>(
      {
        query: `SELECT * FROM c WHERE c.accountId = @a AND c.jobId = @j${opts.running ? " AND c.status = 'running'" : ''} ORDER BY c.startedAt DESC`,
        parameters: [
          { name: '@a', value: accountId },
          { name: '@j', value: RETENTION_JOB },
        ],
      },
      { partitionKey: [accountId, RETENTION_JOB] },
    )
    .fetchAll();
  return resources.map(withoutSystem);
}

export async function beginRetention(
  s: Ports<'points' | 'now'>,
  ref: RetentionRef & Pick<RetentionRunDoc, 'trigger' | 'requestedBy'>,
): Promise<void> {
  if (await getRetentionRun(s, ref)) return;
  const doc: RetentionRunDoc = {
    id: ref.runId,
    accountId: ref.accountId,
    jobId: RETENTION_JOB,
    type: 'retention',
    trigger: ref.trigger,
    status: 'running',
    startedAt: s.now().toISOString(),
    totals: emptyTotals(),
    ...(ref.requestedBy ? { requestedBy: ref.requestedBy } : {}),
  };
  await s.points.runs.items.upsert(doc);
}

export async function retentionItemIds(
  s: Ports<'inventory'>,
  ref: RetentionRef & { offset: number },
): Promise<string[]> {
  const items = await s.inventory.listProtectedItems(ref.accountId);
  return items
    .map((i) => i.id)
    .sort()
    .slice(ref.offset, ref.offset + ITEM_PAGE);
}

/** Prunes one item and files its report beside the run (appended: a retried step may file it twice, harmlessly). */
export async function retentionPruneItem(
  s: Ports<'inventory' | 'points' | 'versions' | 'operations' | 'log' | 'artifacts' | 'settings' | 'now'>,
  ref: RetentionRef & { protectedItemId: string },
): Promise<Pick<ItemRetentionReport, 'marked' | 'removed' | 'versionsRemoved'> & { skipped: boolean }> {
  const report = await pruneItem(s, ref, { graceMs: s.settings.M365V_RETENTION_GRACE_SECONDS * 1000 });
  const line = Buffer.from(JSON.stringify(report) + '\n');
  const blob = s.artifacts.getAppendBlobClient(runBlob(ref, 'items.jsonl'));
  await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: 'application/x-ndjson' } });
  await blob.appendBlock(line, line.length);
  return {
    marked: report.marked,
    removed: report.removed,
    versionsRemoved: report.versionsRemoved,
    skipped: report.skipped !== undefined,
  };
}

/** Per-item reports of a run, as filed. */
export async function* retentionItemReports(
  s: Ports<'artifacts'>,
  ref: RetentionRef,
): AsyncGenerator<ItemRetentionReport> {
  const blob = s.artifacts.getBlobClient(runBlob(ref, 'items.jsonl'));
  if (!(await blob.exists())) return;
  const text = (await blob.downloadToBuffer()).toString('utf8');
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as ItemRetentionReport;
    if (seen.has(r.protectedItemId)) continue;
    seen.add(r.protectedItemId);
    yield r;
  }
}

/** Content hashes per version, on average, with room: one for a blob, a skeleton and its parts for a message. */
const KEYS_PER_VERSION = 3;

interface MarkState {
  startedAt: string;
  /** Protected items of the tenant's accounts, in order, and how many are marked. */
  done: number;
  /**
   * Bytes of each slice's filter (SlicedMarkSet). Absent in a marking begun before filters were sliced: its bits are
   * one filter, read whole, so a run in flight across an update still collects against what it marked.
   */
  sliceBytes?: number;
}

const marksFrom = (state: MarkState, bits: Buffer): MarkSet | SlicedMarkSet =>
  state.sliceBytes === undefined ? MarkSet.from(bits) : SlicedMarkSet.from(bits);

/**
 * Marks the content every version of the tenant's protected items references (all of the tenant's accounts, all
 * repositories: a hash referenced in one repository keeps its namesake in another, which only delays collection).
 * Works for about `timeBoxSeconds`, then checkpoints; `done` once every item is marked.
 */
export async function retentionMark(
  s: Ports<'inventory' | 'versions' | 'artifacts' | 'settings' | 'now'>,
  ref: RetentionRef,
): Promise<{ done: boolean }> {
  const stateBlob = s.artifacts.getBlockBlobClient(runBlob(ref, 'marks.json'));
  const bitsBlob = s.artifacts.getBlockBlobClient(runBlob(ref, 'marks.bin'));
  const items = await tenantItems(s, ref.accountId);
  let state: MarkState;
  let marks: MarkSet | SlicedMarkSet;
  if (await stateBlob.exists()) {
    state = JSON.parse((await stateBlob.downloadToBuffer()).toString('utf8')) as MarkState;
    if (state.done >= items.length) return { done: true };
    marks = marksFrom(state, await bitsBlob.downloadToBuffer());
  } else {
    // The marking's start: versions written before it are seen (COLLECTION.md, section 2).
    const startedAt = s.now().toISOString();
    // Sized for what the versions reference (a split message references its skeleton and a few parts): a filter
    // filled past its size keeps garbage (false "referenced"), never deletes what a version needs.
    let versions = 0;
    for (const id of items) versions += await s.versions.countWithContent(id);
    const sliced = SlicedMarkSet.empty(bitsFor(versions * KEYS_PER_VERSION));
    marks = sliced;
    state = { startedAt, done: 0, sliceBytes: sliced.sliceBytes };
  }
  const until = Date.now() + s.settings.M365V_SYNC_TIME_BOX_SECONDS * 1000;
  while (state.done < items.length && Date.now() < until) {
    for await (const page of s.versions.contentPointers(items[state.done]))
      for (const pointer of page) for (const h of referencedHashes(pointer)) marks.add(h);
    state.done++;
  }
  // Bits first: a state blob never names more items than the bits hold.
  await bitsBlob.uploadData(marks.bits);
  const body = JSON.stringify(state);
  await stateBlob.upload(body, Buffer.byteLength(body));
  return { done: state.done >= items.length };
}

async function tenantItems(s: Ports<'inventory'>, accountId: string): Promise<string[]> {
  const { tenantId } = await s.inventory.getAccount(accountId, { withDeleted: true });
  const accounts = (await s.inventory.listAccounts({ withDeleted: true })).filter((a) => a.tenantId === tenantId);
  const ids: string[] = [];
  for (const a of accounts) for (const item of await s.inventory.listProtectedItems(a.id)) ids.push(item.id);
  return ids.sort();
}

/** The content containers the account's repositories use, each once, with the days their content stays locked. */
async function contentContainers(
  s: Ports<'inventory' | 'contentStores' | 'settings'>,
  accountId: string,
): Promise<Array<{ container: ContainerClient; lockDays: number }>> {
  const repos = [
    { name: DEFAULT_REPOSITORY, lockDays: s.settings.M365V_CONTENT_IMMUTABILITY_DAYS },
    ...(await s.inventory.listRepositories(accountId)).map((r) => ({
      name: r.name,
      lockDays: r.immutabilityDays ?? 0,
    })),
  ];
  const byUrl = new Map<string, { container: ContainerClient; lockDays: number }>();
  for (const { name, lockDays } of repos) {
    const { container } = await s.contentStores.get(accountId, name);
    byUrl.set(container.url, { container, lockDays: Math.max(lockDays, byUrl.get(container.url)?.lockDays ?? 0) });
  }
  return [...byUrl.values()];
}

/** A storage refusal that stopped collection in a container: the repository alarm's cause and fix. */
export interface StorageRefusal {
  code: string;
  message: string;
  fix: string;
}

/** What one collection slice did, in every container; blobs left alone come as counts and a sample with reasons. */
export interface SliceReport extends CollectReport {
  refused?: StorageRefusal;
}

/**
 * Storage refusing a whole container (quota, a disabled account, a missing role, throttling beyond the SDK's
 * retries): collection there stops for this run, which is safe (it only ever deletes what it condemned earlier and
 * the catalog is not touched), and the run says why. Anything else is a fault of the step.
 */
export function storageRefusal(e: unknown): StorageRefusal | undefined {
  if (!(e instanceof RestError) || e.statusCode === undefined) return undefined;
  const { code, message, fix } = classifyStorageFailure(e.statusCode, e.code);
  return { code, message, fix };
}

/** Collects one slice of the tenant's content in every container the account uses, against the finished marking. */
export async function retentionCollect(
  s: Ports<'inventory' | 'contentStores' | 'artifacts' | 'settings' | 'now'>,
  ref: RetentionRef & { slice: string },
): Promise<SliceReport> {
  const state = JSON.parse(
    (await s.artifacts.getBlobClient(runBlob(ref, 'marks.json')).downloadToBuffer()).toString('utf8'),
  ) as MarkState;
  const bits = s.artifacts.getBlobClient(runBlob(ref, 'marks.bin'));
  // Only this slice's filter (or, for a marking begun before filters were sliced, the whole one).
  const size = state.sliceBytes;
  const marks = MarkSet.from(
    size === undefined
      ? await bits.downloadToBuffer()
      : await bits.downloadToBuffer(SLICES.indexOf(ref.slice) * size, size),
  );
  const { tenantId } = await s.inventory.getAccount(ref.accountId, { withDeleted: true });
  const total: SliceReport = {
    scanned: 0,
    condemned: 0,
    revived: 0,
    deleted: 0,
    deletedBytes: 0,
    lockExtended: 0,
    locked: { count: 0, sample: [] },
    unprotected: { count: 0, sample: [] },
  };
  for (const { container, lockDays } of await contentContainers(s, ref.accountId)) {
    let r: CollectReport;
    try {
      r = await collect(container, marks, {
        tenantId,
        prefix: ref.slice,
        markStartedAt: new Date(state.startedAt),
        graceMs: s.settings.M365V_RETENTION_GRACE_SECONDS * 1000,
        now: s.now(),
        lockDays,
      });
    } catch (e) {
      const refused = storageRefusal(e);
      if (!refused) throw e;
      total.refused ??= refused;
      continue;
    }
    total.scanned += r.scanned;
    total.condemned += r.condemned;
    total.revived += r.revived;
    total.deleted += r.deleted;
    total.deletedBytes += r.deletedBytes;
    total.lockExtended += r.lockExtended;
    for (const key of ['locked', 'unprotected'] as const) {
      total[key].count += r[key].count;
      total[key].sample.push(...r[key].sample.slice(0, SAMPLE - total[key].sample.length));
    }
  }
  return total;
}

export async function finishRetention(
  s: Ports<'points' | 'now'>,
  ref: RetentionRef & {
    totals: RetentionTotals;
    locked: RetentionRunDoc['locked'];
    unprotected?: RetentionRunDoc['unprotected'];
    refused?: StorageRefusal;
    failed?: string;
  },
): Promise<RetentionRunDoc> {
  const run = await getRetentionRun(s, ref);
  if (!run) throw new Error(`retention run ${ref.runId} was not begun`);
  const status: RetentionRunDoc['status'] = ref.failed
    ? 'failed'
    : ref.totals.blobsLocked > 0 || ref.totals.itemsSkipped > 0 || ref.totals.blobsUnprotected > 0 || ref.refused
      ? 'warning'
      : 'success';
  const done: RetentionRunDoc = {
    ...run,
    status,
    endedAt: s.now().toISOString(),
    totals: ref.totals,
    ...(ref.locked?.length ? { locked: ref.locked } : {}),
    ...(ref.unprotected?.length ? { unprotected: ref.unprotected } : {}),
    ...(ref.refused ? { refused: ref.refused } : {}),
    ...(ref.failed ? { message: ref.failed } : {}),
  };
  await s.points.runs.items.upsert(done);
  return done;
}

/** Where a run's orchestration stands: its Durable runtime status and output, as the client reports them. */
export interface RetentionInstance {
  runtimeStatus: string;
  output?: unknown;
}

/** A record with no orchestration this long after it was written lost it: the start failed, or history was purged. */
export const ORPHANED_AFTER_MS = 10 * 60_000;

/**
 * Why a run recorded as running has ended without finishing, or undefined if it has not. A `Completed` orchestration
 * always recorded its end first (its last step), so a record still running beside one is a stale read, never an
 * unfinished run; a run with no orchestration is one only once the start has had time to happen.
 */
export function unfinishedReason(
  run: Pick<RetentionRunDoc, 'status' | 'startedAt'>,
  instance: RetentionInstance | undefined,
  now: Date,
): string | undefined {
  if (run.status !== 'running') return undefined;
  if (!instance)
    return now.getTime() - Date.parse(run.startedAt) > ORPHANED_AFTER_MS
      ? "The run's orchestration never started, or its history was purged."
      : undefined;
  const { runtimeStatus, output } = instance;
  if (ACTIVE_INSTANCE.has(runtimeStatus) || runtimeStatus === 'Completed') return undefined;
  const said = typeof output === 'string' && output ? ` (${output.split('\n')[0].slice(0, 300)})` : '';
  const how =
    runtimeStatus === 'Terminated' ? 'was terminated' : runtimeStatus === 'Failed' ? 'failed' : 'was canceled';
  return `The run's orchestration ${how}${said} before the run finished. What it pruned or deleted stays so (its items' reports say what; the totals were not recorded), and the next run goes on from there.`;
}

/**
 * Settles a run recorded as running whose orchestration ended without finishing it (terminated by an operator,
 * failed outside its own handling, never started): it is recorded as failed, so it neither shows as running forever
 * nor blocks the next start, and its end reaches the workbook and alerts like any run's. Nothing it did needs undoing:
 * each step is idempotent. The instance is asked before the record is read again under its ETag, so a run that
 * recorded its own end meanwhile keeps it. Returns the run as it stands then.
 */
export async function settleRetention(
  s: Ports<'points' | 'inventory' | 'telemetry' | 'now'>,
  ref: RetentionRef,
  instance: () => Promise<RetentionInstance | undefined>,
): Promise<RetentionRunDoc | undefined> {
  const seen = await getRetentionRun(s, ref);
  if (seen?.status !== 'running') return seen;
  const state = await instance();
  const now = s.now();
  let settled: RetentionRunDoc | undefined;
  const run = await s.points.updateRun<RetentionRunDoc>({ ...ref, id: ref.runId, jobId: RETENTION_JOB }, (cur) => {
    const why = unfinishedReason(cur, state, now);
    settled = why ? { ...cur, status: 'failed', endedAt: now.toISOString(), message: why } : undefined;
    return settled;
  });
  if (settled) {
    const account = await s.inventory.getAccount(ref.accountId, { withDeleted: true }).catch(() => undefined);
    s.telemetry.track(retentionRunEvent(settled, account));
  }
  return run;
}
