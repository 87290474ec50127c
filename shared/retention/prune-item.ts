// Retention of one protected item's recovery points: choose (GFS per job), mark, and after a grace period remove
// the marked points and the versions no remaining point sees. The body of one activity; idempotent, so a retried or
// re-run step finishes what a killed one began. Protocol: COLLECTION.md, section 1.
import type { RecoveryPointDoc } from '../catalog/points-store';
import { logBlobName, LogRecord } from '../catalog/change-log';
import type { JobDoc, ProtectedItemDoc } from '../inventory/schemas';
import type { Ports } from '../runtime/services';
import { applyGfs, jobRetention, KeepReason } from './gfs-policy';

export interface PruneRef {
  accountId: string;
  protectedItemId: string;
  /** The retention run: it holds the item's lease while it works, as a backup run does. */
  runId: string;
}

export interface ItemRetentionReport {
  protectedItemId: string;
  name: string;
  /** Points kept, with the rules that keep them. */
  kept: Array<{ seq: number; reasons: Array<KeepReason | 'noPolicy'> }>;
  /** Points chosen by this run (marked `pruning`; removed by a later run after the grace period). */
  marked: number[];
  /** Points removed by this run, and the item versions that went with them. */
  removed: number[];
  versionsRemoved: number;
  /** Why nothing (or not everything) was pruned: a hold, a backup holding the item, an operation reading a point. */
  skipped?: string;
  waiting?: Array<{ seq: number; reason: string }>;
}

type PrunePorts = Ports<'inventory' | 'points' | 'versions' | 'operations' | 'log' | 'now'>;

/** How long the item may stay leased by a retention step (a backup waiting for it sees the holder). */
const LEASE_SECONDS = 900;
/** Versions deleted per query page. */
const PAGE = 500;

export async function pruneItem(s: PrunePorts, ref: PruneRef, opts: { graceMs: number }): Promise<ItemRetentionReport> {
  const [account, item] = await Promise.all([
    s.inventory.getAccount(ref.accountId, { withDeleted: true }),
    s.inventory.getProtectedItem(ref.accountId, ref.protectedItemId),
  ]);
  const report: ItemRetentionReport = {
    protectedItemId: item.id,
    name: item.displayName,
    kept: [],
    marked: [],
    removed: [],
    versionsRemoved: 0,
  };
  const hold = item.hold ?? account.hold;
  if (hold) return { ...report, skipped: `on hold since ${hold.at} (${hold.reason}), set by ${hold.by}` };
  const now = s.now();
  const lease = await s.inventory.lease(
    ref.accountId,
    item.id,
    ref.runId,
    now,
    new Date(now.getTime() + LEASE_SECONDS * 1000),
  );
  if (!lease.held)
    return {
      ...report,
      skipped: `run ${lease.holder} (a backup, or another retention run) holds the item; retention tries again on its next run`,
    };
  try {
    const points = await s.points.listPoints(ref.accountId, item.id);
    const jobs = new Map((await s.inventory.listJobs(ref.accountId, { withDeleted: true })).map((j) => [j.id, j]));
    const live = points.filter((p) => p.status !== 'pruning');
    const decision = decide(live, jobs, now);
    report.kept = [...decision].map(([seq, reasons]) => ({ seq, reasons })).sort((a, b) => a.seq - b.seq);
    const current: RecoveryPointDoc[] = [];
    for (const p of [...points].sort((a, b) => a.seq - b.seq)) {
      if (p.status === 'pruning' || decision.has(p.seq)) {
        current.push(p);
        continue;
      }
      const marked: RecoveryPointDoc = { ...p, status: 'pruning', prunedAt: now.toISOString() };
      await s.points.savePoint(marked);
      current.push(marked);
      report.marked.push(p.seq);
    }
    const due = current.filter(
      (p) => p.status === 'pruning' && Date.parse(p.prunedAt ?? '') + opts.graceMs <= now.getTime(),
    );
    if (due.length === 0) return report;
    const reading = await seqsInUse(s, ref.accountId, item.id);
    const waiting = due.filter((p) => reading.has(p.seq));
    if (waiting.length)
      report.waiting = waiting.map((p) => ({ seq: p.seq, reason: `a running ${reading.get(p.seq)} reads it` }));
    const removing = due.filter((p) => !reading.has(p.seq));
    if (removing.length === 0) return report;
    const remaining = current.filter((p) => !removing.includes(p)).map((p) => p.seq);
    const newest = Math.max(...current.map((p) => p.seq));
    report.versionsRemoved = await removeVersions(s, ref.accountId, item, removing, remaining, newest);
    for (const p of removing) {
      await s.log.append(logBlobName(ref.accountId, item.id, newest), [
        { t: 'dropDoc', container: 'recoveryPoints', id: p.id, partitionKey: [ref.accountId, item.id] },
      ]);
      await s.points.deletePoint(p);
      report.removed.push(p.seq);
    }
    return report;
  } finally {
    await s.inventory.release(ref.accountId, item.id, ref.runId);
  }
}

/** Each job's policy over its own points (the union); points of a job that no longer exists are kept. */
function decide(
  points: readonly RecoveryPointDoc[],
  jobs: ReadonlyMap<string, JobDoc>,
  now: Date,
): Map<number, Array<KeepReason | 'noPolicy'>> {
  const keep = new Map<number, Array<KeepReason | 'noPolicy'>>();
  const byJob = new Map<string, RecoveryPointDoc[]>();
  for (const p of points) byJob.set(p.jobId, [...(byJob.get(p.jobId) ?? []), p]);
  for (const [jobId, own] of byJob) {
    const job = jobs.get(jobId);
    if (!job) {
      for (const p of own) keep.set(p.seq, ['noPolicy']);
      continue;
    }
    const { policy, timeZone, weekStartsOn } = jobRetention(job);
    for (const [seq, reasons] of applyGfs(own, policy, { now, timeZone, weekStartsOn }).keep)
      keep.set(seq, [...(keep.get(seq) ?? []), ...reasons]);
  }
  // The item's newest successful point and all after it, whichever job made them: the next backup builds on them.
  for (const [seq, reasons] of applyGfs(
    points,
    { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 },
    { now, timeZone: 'UTC', weekStartsOn: 1 },
  ).keep) {
    if (!keep.get(seq)?.includes('base')) keep.set(seq, [...(keep.get(seq) ?? []), ...reasons]);
  }
  return keep;
}

/** Points of the item that a running restore or difference report reads, with the operation's kind. */
async function seqsInUse(
  s: Pick<PrunePorts, 'operations'>,
  accountId: string,
  protectedItemId: string,
): Promise<Map<number, string>> {
  const inUse = new Map<number, string>();
  for (const kind of ['restore', 'differenceReport'] as const) {
    for (const op of await s.operations.list(accountId, kind)) {
      if (op.status !== 'running' || op.request.protectedItemId !== protectedItemId) continue;
      for (const seq of [op.request.seq, op.request.fromSeq, op.request.toSeq])
        if (typeof seq === 'number') inUse.set(seq, kind === 'restore' ? 'restore' : 'difference report');
    }
  }
  return inUse;
}

/**
 * Deletes the closed versions no remaining point sees, gap by gap between consecutive remaining points around the
 * removed ones (deleting, then asking again, so no paging state survives a deletion). Each deletion is logged, in
 * the newest point's log (replayed after every record it undoes), before Cosmos sees it.
 */
async function removeVersions(
  s: PrunePorts,
  accountId: string,
  item: ProtectedItemDoc,
  removing: readonly RecoveryPointDoc[],
  remaining: readonly number[],
  newest: number,
): Promise<number> {
  const kept = [0, ...[...remaining].sort((a, b) => a - b)];
  let removed = 0;
  for (let i = 1; i < kept.length; i++) {
    const [after, upTo] = [kept[i - 1], kept[i]];
    if (!removing.some((p) => p.seq > after && p.seq < upTo)) continue;
    for (;;) {
      const gone = await s.versions.unseenBetween(item.id, after, upTo, PAGE);
      if (gone.length === 0) break;
      const records: Array<Extract<LogRecord, { t: 'version' }>> = gone.map((v) => ({
        t: 'version',
        drop: { id: v.id, protectedItemId: v.protectedItemId, containerId: v.containerId },
      }));
      await s.log.append(logBlobName(accountId, item.id, newest), records);
      for (const r of records) await s.versions.apply(r);
      removed += gone.length;
    }
  }
  return removed;
}
