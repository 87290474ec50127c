// Run-level steps of a backup job, each the body of one activity: idempotent, so a retried activity is harmless.
import { Alarm, runEndedAlarm } from '../domain/alarms';
import type { RecoveryPointDoc, RunDoc } from '../catalog/points-store';
import { DEFAULT_REPOSITORY, protectedItemId, ProtectedItemDoc } from '../inventory/schemas';
import type { Ports } from '../runtime/services';
import { backupRunEvent } from '../telemetry/events';
import { directoriesFor, discover, repositoryFor } from './discovery';
import { Directory, DIRECTORY_SOURCES, DirectorySource } from './directory';
import { readDirectory, withKnownBelowUnlisted } from './read-directory';
import { kindOf } from '../kinds';
import { alarmFor } from './failures';

export interface RunRef {
  accountId: string;
  jobId: string;
  runId: string;
}

export const ITEM_PAGE = 200;

/** A run's id: when it was asked for (sortable) and 8 characters of a GUID, e.g. `20261123T101500-3f9c2a71`. */
export const runIdOf = (at: Date, guid: string): string =>
  `${at.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${guid.replace(/-/g, '').slice(0, 8)}`;

/**
 * A run as the API shows it: its record without the item list the orchestrator pages through. It says running until
 * the orchestration executing it has ended: after recording the run's end, it still sends the run's notifications,
 * whose failures add alarms, so a client waiting for the end sees the run as it stays.
 */
export function runView(
  { itemIds: _paged, ...run }: RunDoc,
  instance: InstanceState | undefined,
): Omit<RunDoc, 'itemIds'> {
  const finishing =
    run.status !== 'running' && instance?.runId === run.id && ACTIVE_INSTANCE.has(instance.runtimeStatus);
  return finishing ? { ...run, status: 'running' } : run;
}

export async function beginRun(
  s: Ports<'inventory' | 'now' | 'points' | 'telemetry'>,
  ref: RunRef & { trigger: RunDoc['trigger'] },
): Promise<{ concurrency: number }> {
  const job = await s.inventory.getJob(ref.accountId, ref.jobId);
  if (!(await s.points.getRun(ref.accountId, ref.jobId, ref.runId))) {
    await s.points.saveRun({
      id: ref.runId,
      accountId: ref.accountId,
      jobId: ref.jobId,
      trigger: ref.trigger,
      status: 'running',
      startedAt: s.now().toISOString(),
      items: 0,
      alarms: [],
    });
  }
  return { concurrency: job.options.concurrency };
}

/** Reads the directories the job's kinds come from, resolves its sources, records the protected items in the run. */
export async function discoverItems(
  s: Ports<'graph' | 'inventory' | 'points'>,
  ref: RunRef,
): Promise<{ count: number; failure?: Alarm }> {
  const [account, job, run] = await Promise.all([
    s.inventory.getAccount(ref.accountId),
    s.inventory.getJob(ref.accountId, ref.jobId),
    s.points.getRun(ref.accountId, ref.jobId, ref.runId),
  ]);
  if (!run) throw new Error(`run ${ref.runId} was not begun`);
  const subject = { kind: 'tenant' as const, name: account.displayName };
  const directory: Directory = {};
  const existing = new Map((await s.inventory.listProtectedItems(ref.accountId)).map((p) => [p.id, p]));
  for (const id of directoriesFor(job.sources)) {
    const source: DirectorySource = DIRECTORY_SOURCES[id];
    try {
      const listing = await readDirectory(await s.graph(account), source, Date.now() + 300_000);
      const known = [...existing.values()]
        .filter((p) => kindOf(p).discovery.source === id)
        .map((p) => ({ id: p.userId, displayName: p.displayName, webUrl: p.address }));
      directory[id] = withKnownBelowUnlisted(listing, known);
    } catch (e) {
      const alarm = alarmFor(e, source.operation, subject);
      if (!alarm) throw e;
      await s.points.updateRun(run, (r) => ({ ...r, alarms: [alarm] }));
      return { count: 0, failure: alarm };
    }
  }
  const found = discover(job.sources, directory);
  const ids: string[] = [];
  const entries = new Map(
    Object.entries(directory).flatMap(([source, list]) => list.map((e) => [`${source}|${e.id}`, e] as const)),
  );
  for (const item of found.items) {
    const entry = entries.get(`${kindOf(item).discovery.source}|${item.userId}`)!;
    const repository = repositoryFor(job.destination, item.kind, entry);
    const id = protectedItemId(ref.accountId, item.kind, item.userId);
    const prior = existing.get(id);
    const doc: ProtectedItemDoc = {
      id,
      accountId: ref.accountId,
      type: 'protectedItem',
      kind: item.kind,
      userId: item.userId,
      displayName: item.displayName,
      address: item.address,
      lastSeq: prior?.lastSeq ?? 0,
      firstSeenRunId: prior?.firstSeenRunId ?? ref.runId,
      lastSeenRunId: ref.runId,
      ...(repository !== DEFAULT_REPOSITORY ? { repository } : {}),
      ...(prior?.wellKnownFolders ? { wellKnownFolders: prior.wellKnownFolders } : {}),
    };
    await s.inventory.recordDiscovered(doc);
    ids.push(id);
  }
  const alarms: Alarm[] = found.unmatched.map((u) => ({
    code: 'job.itemNotFound',
    severity: 'warning',
    transient: false,
    subject,
    message: `The job lists ${u.kind} '${u.match}', but nothing in the tenant's directory matches it.`,
    fix: 'Check the spelling, or remove the item from the job if the user was deleted.',
  }));
  await s.points.updateRun(run, (r) => ({ ...r, items: ids.length, itemIds: ids, alarms: [...run.alarms, ...alarms] }));
  return { count: ids.length };
}

export async function itemIds(s: Ports<'points'>, ref: RunRef & { offset: number }): Promise<string[]> {
  const run = await s.points.getRun(ref.accountId, ref.jobId, ref.runId);
  return (run?.itemIds ?? []).slice(ref.offset, ref.offset + ITEM_PAGE);
}

export interface RunSummary {
  status: RunDoc['status'];
  items: number;
  itemsFailed: number;
  written: number;
  deleted: number;
  bytes: number;
  storedBytes: number;
  graphRequests: number;
  throttled: number;
  /** Items not backed up (named in their recovery points), tried again next run. */
  skipped: number;
}

/** A run succeeds when every point did; warns when some points carry warnings or are partial; fails when all failed. */
export function runStatus(
  points: readonly RecoveryPointDoc[],
  runAlarms: readonly Alarm[],
  stopped: boolean,
): RunDoc['status'] {
  if (stopped) return 'stopped';
  if (runAlarms.some((a) => a.severity === 'error') && points.length === 0) return 'failed';
  if (points.length > 0 && points.every((p) => p.status === 'failed')) return 'failed';
  const warned = runAlarms.length > 0 || points.some((p) => p.status !== 'success');
  return warned ? 'warning' : 'success';
}

/** Every alarm of a run: its own (discovery) and its recovery points', each said once. */
export async function runAlarms(s: Ports<'points'>, ref: RunRef): Promise<Alarm[]> {
  const run = await s.points.getRun(ref.accountId, ref.jobId, ref.runId);
  const points = await s.points.pointsOfRun(ref.accountId, ref.runId);
  return [...(run?.alarms ?? []), ...points.flatMap((p) => p.alarms)];
}

export async function finishRun(
  s: Ports<'inventory' | 'now' | 'points' | 'telemetry'>,
  ref: RunRef & { stopped: boolean },
): Promise<RunSummary> {
  const run = await s.points.getRun(ref.accountId, ref.jobId, ref.runId);
  if (!run) throw new Error(`run ${ref.runId} was not begun`);
  // Asked to stop while it ran: it ended at a step boundary, whatever was left for it to do.
  const stopped = ref.stopped || run.stopRequested !== undefined;
  const reason = run.stopRequested
    ? `stopped by ${run.stopRequested.by.name ?? run.stopRequested.by.id} at ${run.stopRequested.at}`
    : "stopped at the schedule's end time";
  return endRun(s, run, (points) => runStatus(points, run.alarms, stopped), stopped ? { reason } : {});
}

/**
 * Asks a running run to stop: its activities read the request at their step boundaries (leaseItem, syncStep).
 * Undefined when the run has no record; the run as it stands when it has already ended.
 */
export async function requestStop(
  s: Ports<'now' | 'points'>,
  ref: RunRef,
  by: { id: string; name?: string },
): Promise<RunDoc | undefined> {
  return s.points.updateRun({ accountId: ref.accountId, jobId: ref.jobId, id: ref.runId }, (r) =>
    r.status === 'running' && !r.stopRequested ? { ...r, stopRequested: { at: s.now().toISOString(), by } } : undefined,
  );
}

/** Whether the run has ended or been asked to stop: a step boundary then starts nothing more. */
export async function runHalted(s: Ports<'points'>, ref: RunRef): Promise<boolean> {
  const run = await s.points.getRun(ref.accountId, ref.jobId, ref.runId);
  return run?.status !== 'running' || run.stopRequested !== undefined;
}

/** Records the run's end with its summary, counted from its recovery points (what was stored, however often retried). */
async function endRun(
  s: Ports<'inventory' | 'now' | 'points' | 'telemetry'>,
  run: RunDoc,
  status: (points: RecoveryPointDoc[]) => RunDoc['status'],
  extra: { alarms?: Alarm[]; reason?: string },
): Promise<RunSummary> {
  const points = await s.points.pointsOfRun(run.accountId, run.id);
  const sum = (f: (c: RecoveryPointDoc['containers'][string]) => number): number =>
    points.reduce((t, p) => t + Object.values(p.containers).reduce((u, c) => u + f(c), 0), 0);
  const summary: RunSummary = {
    status: status(points),
    items: points.length,
    itemsFailed: points.filter((p) => p.status === 'failed').length,
    written: sum((c) => c.written),
    deleted: sum((c) => c.deleted),
    bytes: sum((c) => c.bytes),
    storedBytes: sum((c) => c.storedBytes),
    graphRequests: sum((c) => c.graphRequests ?? 0),
    throttled: sum((c) => c.throttled ?? 0),
    skipped: points.reduce((t, p) => t + (p.skipped?.length ?? 0), 0),
  };
  const { status: final, ...numbers } = summary;
  const ended = (r: RunDoc): RunDoc => ({
    ...r,
    status: final,
    endedAt: s.now().toISOString(),
    summary: numbers,
    alarms: [...r.alarms, ...(extra.alarms ?? [])],
    ...(extra.reason ? { reason: extra.reason } : {}),
  });
  // A run failed before its first step wrote its record (failRun) has none to update yet.
  let written = await s.points.updateRun(run, ended);
  if (!written) {
    written = ended(run);
    await s.points.saveRun(written);
  }
  await trackRun(s, written);
  return summary;
}

/** The run's record for Azure Monitor (telemetry/events.ts); telemetry never fails a run. */
async function trackRun(s: Ports<'inventory' | 'telemetry'>, run: RunDoc): Promise<void> {
  const lookup = { withDeleted: true };
  const [job, account] = await Promise.all([
    s.inventory.getJob(run.accountId, run.jobId, lookup).catch(() => undefined),
    s.inventory.getAccount(run.accountId, lookup).catch(() => undefined),
  ]);
  s.telemetry.track(backupRunEvent(run, job, account));
}

/**
 * A run whose orchestration ended abnormally (failed after its retries, terminated): the run and the recovery
 * points it left open end now, saying why, so nothing shows "running" forever.
 */
export async function abortRun(
  s: Ports<'inventory' | 'now' | 'points' | 'telemetry'>,
  run: RunDoc,
  how: 'failed' | 'terminated',
  detail: string | undefined,
): Promise<RunSummary> {
  for (const p of await s.points.pointsOfRun(run.accountId, run.id)) {
    if (p.status !== 'running') continue;
    await s.points.savePoint({
      ...p,
      status: how === 'terminated' ? 'stopped' : 'failed',
      completedAt: s.now().toISOString(),
    });
  }
  // Ended first, then released: an orphaned sub-orchestration that takes a lease meanwhile finds the run ended.
  const summary = await endRun(s, run, () => (how === 'terminated' ? 'stopped' : 'failed'), {
    alarms: [runEndedAlarm(how, detail)],
    reason: how === 'terminated' ? 'terminated' : 'failed',
  });
  await s.inventory.releaseAll(run.accountId, run.id);
  return summary;
}

/** The orchestrator's last word when a step failed for good: ends the run (begun or not) as failed. */
export async function failRun(
  s: Ports<'inventory' | 'now' | 'points' | 'telemetry'>,
  ref: RunRef & { trigger: RunDoc['trigger']; message: string },
): Promise<void> {
  const run = (await s.points.getRun(ref.accountId, ref.jobId, ref.runId)) ?? {
    id: ref.runId,
    accountId: ref.accountId,
    jobId: ref.jobId,
    trigger: ref.trigger,
    status: 'running' as const,
    startedAt: s.now().toISOString(),
    items: 0,
    alarms: [],
  };
  if (run.status === 'running') await abortRun(s, run, 'failed', ref.message);
}

/** A running run's progress, as GET …/runs/{runId} shows it. */
export interface RunProgress {
  /** Protected items whose recovery point is committed. */
  itemsDone: number;
  /** The run's protected items, once discovery has found them. */
  itemsTotal?: number;
  /** Items written and bytes read so far: committed points, chunks recorded, and large containers' last step. */
  written: number;
  bytes: number;
  /** The protected items being backed up now (one per lane). */
  current: Array<{ protectedItemId: string; displayName?: string }>;
}

/**
 * Computed from what the run's steps record anyway (points, their chunk reports, a long container's step totals):
 * reading it costs one query of the run's points, and the backup writes nothing per item for it.
 */
export async function runProgress(s: Ports<'inventory' | 'points'>, run: RunDoc): Promise<RunProgress> {
  const points = await s.points.pointsOfRun(run.accountId, run.id);
  let written = 0;
  let bytes = 0;
  for (const p of points) {
    for (const c of Object.values(p.containers)) {
      written += c.written;
      bytes += c.bytes;
    }
    if (p.inFlight && !p.containers[p.inFlight.containerId]) {
      written += p.inFlight.written;
      bytes += p.inFlight.bytes;
    }
  }
  const running = points.filter((p) => p.status === 'running');
  const current = await Promise.all(
    running.map(async (p) => {
      const item = await s.inventory.getProtectedItem(p.accountId, p.protectedItemId).catch(() => undefined);
      return { protectedItemId: p.protectedItemId, ...(item ? { displayName: item.displayName } : {}) };
    }),
  );
  return {
    itemsDone: points.length - running.length,
    ...(run.itemIds ? { itemsTotal: run.items } : {}),
    written,
    bytes,
    current,
  };
}

/** What the job's orchestration instance says now (undefined: it does not exist). */
export interface InstanceState {
  runtimeStatus: string;
  /** The run it is (or was last) executing, from its custom status. */
  runId?: string;
  /** A failed instance's reason. */
  output?: unknown;
}

export const ACTIVE_INSTANCE = new Set(['Running', 'Pending', 'Suspended', 'ContinuedAsNew']);

/** Ends those of `runs` still marked running that the job's instance is not running; true if it ended one. */
async function settleOpen(
  s: Ports<'inventory' | 'now' | 'points' | 'telemetry'>,
  runs: readonly RunDoc[],
  instance: () => Promise<InstanceState | undefined>,
): Promise<boolean> {
  const open = runs.filter((r) => r.status === 'running');
  if (open.length === 0) return false;
  let ended = false;
  const state = await instance();
  for (const run of open) {
    const own = state?.runId === run.id;
    if (own && ACTIVE_INSTANCE.has(state.runtimeStatus)) continue;
    const said =
      own && state.output !== undefined && state.output !== null
        ? typeof state.output === 'string'
          ? state.output
          : JSON.stringify(state.output)
        : undefined;
    const detail = said ? said.split('\n')[0].slice(0, 500) : undefined;
    await abortRun(
      s,
      run,
      own && state.runtimeStatus === 'Terminated' ? 'terminated' : 'failed',
      detail ?? (own ? undefined : 'its orchestration is no longer running it'),
    );
    ended = true;
  }
  return ended;
}

/**
 * Ends the job's runs still marked running that its orchestration instance is not running (terminated, failed,
 * gone); returns the job's runs as they stand then (read again only when one was ended).
 */
export async function settleRuns(
  s: Ports<'inventory' | 'now' | 'points' | 'telemetry'>,
  accountId: string,
  jobId: string,
  instance: () => Promise<InstanceState | undefined>,
): Promise<RunDoc[]> {
  const runs = await s.points.listRuns(accountId, jobId);
  return (await settleOpen(s, runs, instance)) ? s.points.listRuns(accountId, jobId) : runs;
}

/** The same for one run: undefined when it has no record (yet: its orchestration writes it in its first step). */
export async function settleRun(
  s: Ports<'inventory' | 'now' | 'points' | 'telemetry'>,
  ref: RunRef,
  instance: () => Promise<InstanceState | undefined>,
): Promise<RunDoc | undefined> {
  const run = await s.points.getRun(ref.accountId, ref.jobId, ref.runId);
  return run && (await settleOpen(s, [run], instance)) ? s.points.getRun(ref.accountId, ref.jobId, ref.runId) : run;
}
