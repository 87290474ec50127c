// Steps of one protected item's recovery point, each the body of one activity.
import { Alarm, itemBusyAlarm, moreSkippedAlarm, skippedItemAlarm } from '../domain/alarms';
import { ContainerReport, pointId, PointStatus, RecoveryPointDoc } from '../catalog/points-store';
import { VersionStore } from '../catalog/version-store';
import { logBlobName } from '../catalog/change-log';
import type { AccountDoc, ProtectedItemDoc } from '../inventory/schemas';
import { recoveryPointEvent } from '../telemetry/events';
import type { Ports } from '../runtime/services';
import type { GraphClient } from '../graph/graph-client';
import type { GraphSession } from '../graph/graph-session';
import { alarmFor } from './failures';
import { RunRef, runHalted } from './run-steps';
import { emptyCounts, syncContainer, SyncCounts } from './sync-container';
import { kindOf } from '../kinds';
import { ContainerRef, REMOVED, SHARING } from '../kinds/kind';
import { BlobContentWriter } from './blob-content-writer';

export type { ContainerRef } from '../kinds/kind';

export interface PointRef extends RunRef {
  protectedItemId: string;
}

const subjectOf = (item: ProtectedItemDoc) => kindOf(item).subject(item);

/** How long a lease lasts unrenewed: a safety net only, since an ended run releases its leases (abortRun, commitPoint). */
export const LEASE_SECONDS = 3600;

export type LeaseOutcome =
  { held: true } | { held: false; holder: string; until: string } | { held: false; runEnded: true };

/**
 * Takes the item for this run, or names the run of another job backing it up now (the caller waits its turn). A run
 * already ended (terminated: Durable does not terminate its sub-orchestrations) takes nothing more.
 */
export async function leaseItem(s: Ports<'inventory' | 'now' | 'points'>, ref: PointRef): Promise<LeaseOutcome> {
  // Ended, or asked to stop: an item not begun yet is not begun at all.
  const ended = (): Promise<boolean> => runHalted(s, ref);
  if (await ended()) return { held: false, runEnded: true };
  const now = s.now();
  const lease = await s.inventory.lease(
    ref.accountId,
    ref.protectedItemId,
    ref.runId,
    now,
    new Date(now.getTime() + LEASE_SECONDS * 1000),
  );
  // Ended while the lease was taken (abortRun ends the run, then releases its leases): give it back.
  if (lease.held && (await ended())) {
    await s.inventory.release(ref.accountId, ref.protectedItemId, ref.runId);
    return { held: false, runEnded: true };
  }
  return lease;
}

/** Renews the lease for a step (and a throttling wait after it); an alarm when another run took it meanwhile. */
async function renewLease(
  s: Ports<'inventory' | 'now'>,
  ref: PointRef,
  item: ProtectedItemDoc,
  extraSeconds = 0,
): Promise<Alarm | undefined> {
  const now = s.now();
  const r = await s.inventory.lease(
    ref.accountId,
    ref.protectedItemId,
    ref.runId,
    now,
    new Date(now.getTime() + (LEASE_SECONDS + extraSeconds) * 1000),
    { renewOnly: true },
  );
  return r.held ? undefined : itemBusyAlarm(r.holder, subjectOf(item));
}

/** Allocates the point's sequence once per run: a retried activity finds the point it already began. */
export async function beginPoint(
  s: Ports<'inventory' | 'log' | 'now' | 'points'>,
  ref: PointRef,
): Promise<{ seq: number }> {
  const existing = await s.points.getPoint(ref.accountId, ref.protectedItemId, ref.runId);
  if (existing) return { seq: existing.seq };
  const seq = await s.inventory.allocateSeq(ref.accountId, ref.protectedItemId, ref.runId);
  const point: RecoveryPointDoc = {
    id: pointId(ref.protectedItemId, ref.runId),
    accountId: ref.accountId,
    protectedItemId: ref.protectedItemId,
    jobId: ref.jobId,
    runId: ref.runId,
    seq,
    status: 'running',
    startedAt: s.now().toISOString(),
    containers: {},
    alarms: [],
  };
  // Logged first: the protected item and its point are what a rebuilt catalog browses by. Not its lease: that is
  // this run's, and a catalog rebuilt later would hand it back to a run long gone.
  const { lease: _lease, ...item } = await s.inventory.getProtectedItem(ref.accountId, ref.protectedItemId);
  await s.log.append(logBlobName(ref.accountId, ref.protectedItemId, seq), [
    { t: 'doc', container: 'inventory', doc: { ...item } },
    { t: 'doc', container: 'recoveryPoints', doc: { ...point } },
  ]);
  await s.points.savePoint(point);
  return { seq };
}

async function context(
  s: Ports<'graph' | 'inventory'>,
  ref: PointRef,
): Promise<{ account: AccountDoc; item: ProtectedItemDoc; graph: GraphClient }> {
  const [account, item] = await Promise.all([
    s.inventory.getAccount(ref.accountId),
    s.inventory.getProtectedItem(ref.accountId, ref.protectedItemId),
  ]);
  return { account, item, graph: await s.graph(account) };
}

async function classify(e: unknown, graph: GraphSession | undefined, item: ProtectedItemDoc): Promise<Alarm> {
  const roles = await graph?.grantedRoles().catch(() => undefined);
  const alarm = alarmFor(e, kindOf(item).operation, subjectOf(item), roles);
  if (!alarm) throw e;
  return alarm;
}

export type ListOutcome = { count: number } | { retryAfterSeconds: number } | { failure: Alarm } | { stopped: true };

/** The containers to back up, as the item's kind finds them, kept in the point. */
export async function listContainers(
  s: Ports<
    'contentStores' | 'cursors' | 'graph' | 'inventory' | 'log' | 'now' | 'points' | 'settings' | 'skips' | 'versions'
  >,
  ref: PointRef & { seq: number },
): Promise<ListOutcome> {
  // Listing waits out throttling between steps as syncing does: a stop request ends the wait here too.
  if (await runHalted(s, ref)) return { stopped: true };
  let ctx: Awaited<ReturnType<typeof context>> | undefined;
  const item = await s.inventory.getProtectedItem(ref.accountId, ref.protectedItemId);
  try {
    ctx = await context(s, ref);
    const { account, graph } = ctx;
    const deadline = Date.now() + s.settings.M365V_SYNC_TIME_BOX_SECONDS * 1000;
    const listed = await kindOf(item).listContainers({
      item,
      graph,
      deadline,
      syncHierarchy: async (containerId, workload) =>
        syncContainer(await deps(s, graph, item), { ...target(ref, item, account), containerId }, workload, deadline),
      heads: (containerId) => s.versions.allHeads(ref.protectedItemId, containerId),
      syncedContainers: async () => (await s.cursors.list(ref.protectedItemId)).map((c) => c.containerId),
      watermarks: async () =>
        new Map(
          (await s.cursors.list(ref.protectedItemId)).flatMap((c) =>
            c.watermark?.mark ? [[c.containerId, c.watermark.mark]] : [],
          ),
        ),
      update: async (change) =>
        void (await s.inventory.updateProtectedItem(ref.accountId, ref.protectedItemId, change)),
    });
    if (!('containers' in listed)) return listed;
    // A job that keeps sharing permissions says so on each drive it reads (workloads get their container only).
    const job = await s.inventory.getJob(ref.accountId, ref.jobId, { withDeleted: true });
    const sharing = job.options.sharingPermissions === true;
    return await listInto(
      s,
      ref,
      listed.containers.map((c) => (sharing && c.type === 'drive' ? { ...c, [SHARING]: 'yes' } : c)),
    );
  } catch (e) {
    return { failure: await classify(e, ctx?.graph, item) };
  }
}

/** Kept in the point, not returned: a mailbox with hundreds of folders would cross Durable's message limit. */
async function listInto(s: Ports<'points'>, ref: PointRef, containers: ContainerRef[]): Promise<ListOutcome> {
  const point = await s.points.getPoint(ref.accountId, ref.protectedItemId, ref.runId);
  if (!point) throw new Error(`recovery point of ${ref.protectedItemId} in run ${ref.runId} was not begun`);
  await s.points.savePoint({ ...point, containerRefs: containers });
  return { count: containers.length };
}

/** Counts and Graph requests are the container's totals in this point so far (each step says them again, grown). */
export type StepOutcome =
  | { status: 'done' | 'continue'; counts: SyncCounts; graph: { requests: number; throttled: number } }
  | { status: 'wait'; retryAfterSeconds: number; counts: SyncCounts; graph: { requests: number; throttled: number } }
  | { status: 'failed'; alarm: Alarm }
  | { status: 'stopped' };

/**
 * Works on one container until it is done, the time box ends, or Graph asks to wait longer than the box allows.
 * A run asked to stop does no more: each step starts from the cursor the previous one saved with its writes, so the
 * container's items written so far stay in the catalog, counted once, and the next run goes on from there.
 */
export async function syncStep(
  s: Ports<
    'contentStores' | 'cursors' | 'graph' | 'inventory' | 'log' | 'now' | 'points' | 'settings' | 'skips' | 'versions'
  >,
  ref: PointRef & { seq: number; container: ContainerRef },
): Promise<StepOutcome> {
  if (await runHalted(s, ref)) return { status: 'stopped' };
  const item = await s.inventory.getProtectedItem(ref.accountId, ref.protectedItemId);
  let ctx: Awaited<ReturnType<typeof context>> | undefined;
  try {
    const lost = await renewLease(s, ref, item);
    if (lost) return { status: 'failed', alarm: lost };
    ctx = await context(s, ref);
    const deadline = Date.now() + s.settings.M365V_SYNC_TIME_BOX_SECONDS * 1000;
    const t = { ...target(ref, item, ctx.account), containerId: ref.container.id };
    if (ref.container.type === REMOVED) {
      const counts = await sweepRemoved(s, t);
      return { status: 'done', counts, graph: { requests: 0, throttled: 0 } };
    }
    // This step's own requests: the client's counters also count concurrent activities of the same worker.
    const outcome = await syncContainer(
      { ...(await deps(s, ctx.graph, item)), tally: { requests: 0, throttled: 0 } },
      t,
      kindOf(item).workload(item, ref.container),
      deadline,
    );
    if (outcome.status === 'done') return { status: outcome.status, counts: outcome.counts, graph: outcome.graph };
    await noteInFlight(s, ref, outcome.counts);
    if (outcome.status !== 'wait') return { status: outcome.status, counts: outcome.counts, graph: outcome.graph };
    await renewLease(s, ref, item, outcome.retryAfterSeconds);
    return {
      status: 'wait',
      retryAfterSeconds: outcome.retryAfterSeconds,
      counts: outcome.counts,
      graph: outcome.graph,
    };
  } catch (e) {
    return { status: 'failed', alarm: await classify(e, ctx?.graph, item) };
  }
}

/**
 * A container taking more than one step: its totals so far go into the point at this step boundary (one write per
 * time box, none per item), so the run's live progress moves while it syncs.
 */
async function noteInFlight(
  s: Ports<'points'>,
  ref: PointRef & { container: ContainerRef },
  counts: SyncCounts,
): Promise<void> {
  const point = await s.points.getPoint(ref.accountId, ref.protectedItemId, ref.runId);
  if (point?.status === 'running')
    await s.points.savePoint({
      ...point,
      inFlight: { containerId: ref.container.id, written: counts.written, bytes: counts.bytes },
    });
}

/**
 * A folder deleted in Microsoft 365: every message version in it ends with this recovery point, then its cursor and
 * skipped items go (so later runs stop listing it). A retry after a crash finds the heads already closed.
 */
async function sweepRemoved(
  s: Ports<'cursors' | 'log' | 'skips' | 'versions'>,
  t: ReturnType<typeof target> & { containerId: string },
): Promise<SyncCounts> {
  const records = [];
  for await (const h of s.versions.allHeads(t.protectedItemId, t.containerId))
    records.push(VersionStore.deleteRecord(h, t.seq));
  await s.log.append(logBlobName(t.accountId, t.protectedItemId, t.seq), records);
  for (const r of records) await s.versions.apply(r as Parameters<VersionStore['apply']>[0]);
  await s.skips.forget(t.protectedItemId, t.containerId);
  await s.cursors.delete(t.protectedItemId, t.containerId);
  return { ...emptyCounts(), changes: records.length, deleted: records.length };
}

export interface ContainerResult {
  id: string;
  report: ContainerReport;
  alarm?: Alarm;
}

/** A page of the containers listed into the point. */
export async function containerPage(
  s: Ports<'points'>,
  ref: PointRef & { offset: number; limit: number },
): Promise<ContainerRef[]> {
  const point = await s.points.getPoint(ref.accountId, ref.protectedItemId, ref.runId);
  return (point?.containerRefs ?? []).slice(ref.offset, ref.offset + ref.limit);
}

/** Records a chunk's container reports in the point (a retried recording writes the same values). */
export async function recordResults(s: Ports<'points'>, ref: PointRef & { results: ContainerResult[] }): Promise<void> {
  const point = await s.points.getPoint(ref.accountId, ref.protectedItemId, ref.runId);
  if (!point) throw new Error(`recovery point of ${ref.protectedItemId} in run ${ref.runId} was not begun`);
  const alarms = { ...point.containerAlarms };
  for (const r of ref.results) if (r.alarm) alarms[r.id] = r.alarm;
  await s.points.savePoint({
    ...point,
    containers: { ...point.containers, ...Object.fromEntries(ref.results.map((r) => [r.id, r.report])) },
    containerAlarms: alarms,
  });
}

/**
 * Complete only when every container is; partial when some failed or were stopped; failed when none succeeded;
 * a complete point with skipped items or alarms warns.
 */
export function pointStatus(
  results: readonly ContainerResult[],
  itemFailure: Alarm | undefined,
  skipped = 0,
): PointStatus {
  if (itemFailure) return 'failed';
  if (results.length === 0) return 'success';
  const done = results.filter((r) => r.report.status === 'done').length;
  if (done === 0) return results.some((r) => r.report.status === 'stopped') ? 'stopped' : 'failed';
  if (done < results.length) return 'partial';
  return skipped > 0 || results.some((r) => r.alarm) ? 'warning' : 'success';
}

/** Alarms name the first skipped items one by one; the point's list holds them all. */
const NAMED_SKIPS = 20;

/**
 * Ends the point from what its chunks recorded; listed containers never reached (the schedule's end, a failure that
 * stopped the item early) count as stopped.
 */
export async function commitPoint(
  s: Ports<'inventory' | 'log' | 'now' | 'points' | 'skips' | 'telemetry'>,
  ref: PointRef & { failure?: Alarm; stopped?: boolean },
): Promise<PointStatus> {
  const point = await s.points.getPoint(ref.accountId, ref.protectedItemId, ref.runId);
  if (!point) throw new Error(`recovery point of ${ref.protectedItemId} in run ${ref.runId} was not begun`);
  const item = await s.inventory.getProtectedItem(ref.accountId, ref.protectedItemId);
  const skipped = await s.skips.skippedIn(ref.protectedItemId, point.seq);
  // Not reached because a failure stopped the item early: the failure says it all, no 'stopped' entries beside it.
  const fatal =
    ref.failure !== undefined ||
    Object.values(point.containerAlarms ?? {}).some((a) => !a.transient && a.severity === 'error');
  const unreached = fatal ? [] : (point.containerRefs ?? []).filter((c) => !point.containers[c.id]);
  const stoppedReport: ContainerReport = { status: 'stopped', written: 0, deleted: 0, bytes: 0, storedBytes: 0 };
  const containers = { ...point.containers, ...Object.fromEntries(unreached.map((c) => [c.id, stoppedReport])) };
  const results: ContainerResult[] = Object.entries(containers).map(([id, report]) => ({
    id,
    report,
    ...(point.containerAlarms?.[id] ? { alarm: point.containerAlarms[id] } : {}),
  }));
  // Stopped before its containers were even listed: nothing of it was reached.
  const status =
    ref.stopped && results.length === 0 && !ref.failure ? 'stopped' : pointStatus(results, ref.failure, skipped.length);
  const { containerRefs: _listed, containerAlarms: _recorded, inFlight: _progress, ...rest } = point;
  const done: RecoveryPointDoc = {
    ...rest,
    status,
    completedAt: s.now().toISOString(),
    containers,
    alarms: [
      ...(ref.failure ? [ref.failure] : []),
      ...results.flatMap((r) => (r.alarm ? [r.alarm] : [])),
      ...skipped.slice(0, NAMED_SKIPS).map((k) => skippedItemAlarm(k, subjectOf(item))),
      ...(skipped.length > NAMED_SKIPS ? [moreSkippedAlarm(skipped.length - NAMED_SKIPS, subjectOf(item))] : []),
    ],
    ...(skipped.length
      ? {
          skipped: skipped.map((k) => ({
            containerId: k.containerId,
            itemId: k.itemId,
            name: k.name,
            code: k.code,
            reason: k.reason,
          })),
        }
      : {}),
  };
  await s.log.append(logBlobName(ref.accountId, ref.protectedItemId, point.seq), [
    { t: 'doc', container: 'recoveryPoints', doc: { ...done } },
  ]);
  await s.points.savePoint(done);
  await s.inventory.release(ref.accountId, ref.protectedItemId, ref.runId);
  const job = await s.inventory.getJob(ref.accountId, point.jobId, { withDeleted: true }).catch(() => undefined);
  s.telemetry.track(recoveryPointEvent(done, item, job));
  return status;
}

function target(ref: PointRef & { seq: number }, item: ProtectedItemDoc, account: AccountDoc) {
  return {
    accountId: ref.accountId,
    tenantId: account.tenantId,
    protectedItemId: ref.protectedItemId,
    mailbox: item.userId,
    seq: ref.seq,
  };
}

async function deps(
  s: Ports<'contentStores' | 'cursors' | 'log' | 'now' | 'settings' | 'skips' | 'versions'>,
  graph: GraphSession,
  item: ProtectedItemDoc,
) {
  const content = new BlobContentWriter(await s.contentStores.get(item.accountId, item.repository), item.repository);
  return {
    graph,
    content,
    versions: s.versions,
    cursors: s.cursors,
    skips: s.skips,
    log: s.log,
    now: s.now,
    resumableFrom: s.settings.M365V_RESUMABLE_FILE_BYTES,
    reconcile: {
      everyRounds: s.settings.M365V_RECONCILE_EVERY_RUNS,
      afterMs: s.settings.M365V_RECONCILE_AFTER_DAYS * 86_400_000,
    },
  };
}
