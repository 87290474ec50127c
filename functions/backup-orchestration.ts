// Durable wiring of a backup run. Orchestrators only decide what runs next (deterministic: no I/O, no clock but
// currentUtcDateTime); every step is an activity over shared/backup. Payloads are ids and counts, never content.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, RetryOptions } from 'durable-functions';
import type { Alarm } from '../shared/domain/alarms';
import type { ActivityInput, ActivityName, ActivityResult } from './backup-activities';
import type { ContainerRef, ContainerResult, PointRef } from '../shared/backup/point-steps';
import { ITEM_PAGE, runIdOf } from '../shared/backup/run-steps';
import { activityRetry } from './activity-retry';

export interface BackupJobInput {
  accountId: string;
  jobId: string;
  trigger: 'schedule' | 'manual' | 'chained';
  /** The schedule's end time: the run stops starting new work then. */
  stopAt?: string;
  /** Chosen by the starter, so the API can name the run at once; instances started before it existed derive one. */
  runId?: string;
}

interface BackupItemInput extends PointRef {
  stopAt?: string;
  /** Set once the point is begun and its containers listed; `next` is the first container this execution syncs. */
  seq?: number;
  count?: number;
  next?: number;
}

const retry = (): RetryOptions => activityRetry();

/** Calls a backup activity by name with its typed input; its result comes back typed (the one cast is here). */
function* call<N extends ActivityName>(
  ctx: OrchestrationContext,
  name: N,
  input: ActivityInput<N>,
): Generator<df.Task, ActivityResult<N>, unknown> {
  return (yield ctx.df.callActivityWithRetry(name, retry(), input)) as ActivityResult<N>;
}

/** How often a run waiting for another job's run to finish with an item looks again. */
const LEASE_POLL_SECONDS = 30;

/**
 * Two ways a run stops early, both at step boundaries so nothing written is lost or written twice: the schedule's end
 * time (`stopAt`, known to the orchestrator), and an administrator's stop request (POST …/runs/{runId}/stop), kept
 * on the run's record and read by the activities (leaseItem, syncStep), which answer "stopped". Durable's terminate
 * is not used: it ends the job's instance but not its sub-orchestrations, which would go on writing, and it would
 * leave the points open for a settle to close as stopped without their containers' reports. Stopping this way, each
 * item commits its point (partial, or stopped if nothing was reached) with the containers it synced, the lanes start
 * no further item, and the run ends through its normal finish, as stopped.
 */
const stopped = (ctx: OrchestrationContext, stopAt?: string): boolean =>
  stopAt !== undefined && ctx.df.currentUtcDateTime >= new Date(stopAt);

/** The orchestration instance backing up the run's `index`-th protected item. */
export const itemInstanceId = (runId: string, index: number): string => `${runId}:item${index}`;

/** The event the stop route raises on a run's item orchestrations, to wake them from a wait. */
export const STOP_EVENT = 'stop';

/**
 * A durable wait (a throttling Retry-After, a lease poll) that a stop request cuts short: the event only wakes the
 * item, whose next step reads the stop request from the run's record as at any other boundary. Without it, a run
 * throttled for an hour would stop an hour later.
 */
function* pause(ctx: OrchestrationContext, seconds: number): Generator<df.Task, void, unknown> {
  const timer = ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + seconds * 1000));
  const woken = ctx.df.waitForExternalEvent(STOP_EVENT);
  if ((yield ctx.df.Task.any([timer, woken])) === woken) timer.cancel();
}

interface LaneInput extends Omit<BackupJobInput, 'trigger'> {
  runId: string;
  lane: number;
  lanes: number;
  count: number;
  /** The item index this execution starts at (continue-as-new keeps each execution's history short). */
  next?: number;
}

/** Items one lane execution backs up before it continues as new; containers one item execution syncs likewise. */
const LANE_ITEMS_PER_EXECUTION = 25;
const CONTAINERS_PER_EXECUTION = 20;

const backupJob: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as BackupJobInput;
  const now = ctx.df.currentUtcDateTime;
  const runId = input.runId ?? runIdOf(now, ctx.df.newGuid('run'));
  const ref = { accountId: input.accountId, jobId: input.jobId, runId };
  ctx.df.setCustomStatus({ runId, stage: 'discovering' });
  try {
    return yield* runJob(ctx, input, ref);
  } catch (e) {
    // A step that failed after its retries: the run ends as failed, saying why, before the instance does.
    yield* call(ctx, 'backupFailRun', {
      ...ref,
      trigger: input.trigger,
      message: (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 500),
    });
    throw e;
  }
};

function* runJob(
  ctx: OrchestrationContext,
  input: BackupJobInput,
  ref: { accountId: string; jobId: string; runId: string },
): Generator<df.Task, unknown, unknown> {
  const { runId } = ref;
  const { concurrency } = yield* call(ctx, 'backupBeginRun', { ...ref, trigger: input.trigger });
  yield* call(ctx, 'backupPreRunHook', ref);
  const found = yield* call(ctx, 'backupDiscover', ref);
  // A bounded window without re-yielding tasks: `concurrency` lanes, lane k backing up items k, k+n, k+2n, … in
  // priority order, each lane one item at a time. Joined by a single Task.all.
  const lanes = Math.max(1, Math.min(concurrency, found.count));
  ctx.df.setCustomStatus({ runId, stage: 'backing up', total: found.count, lanes });
  const laneTasks =
    found.count === 0
      ? []
      : Array.from({ length: lanes }, (_, lane) => {
          const laneInput: LaneInput = {
            accountId: input.accountId,
            jobId: input.jobId,
            runId,
            lane,
            lanes,
            count: found.count,
            ...(input.stopAt ? { stopAt: input.stopAt } : {}),
          };
          return ctx.df.callSubOrchestrator('backupLane', laneInput, `${ctx.df.instanceId}:${runId}:lane${lane}`);
        });
  const stoppedLanes = laneTasks.length ? ((yield ctx.df.Task.all(laneTasks)) as boolean[]) : [];
  const summary = yield* call(ctx, 'backupFinishRun', { ...ref, stopped: stoppedLanes.some(Boolean) });
  yield* call(ctx, 'backupNotify', ref);
  ctx.df.setCustomStatus({ runId, stage: 'finished', total: found.count });
  return { runId, ...summary };
}

/**
 * One lane of a run's window: its items in order, each as its own sub-orchestration, reading the run's item ids a
 * page at a time. Continues as new every few items so its history stays short. Returns whether it stopped early.
 */
const backupLane: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as LaneInput;
  const ref = { accountId: input.accountId, jobId: input.jobId, runId: input.runId };
  let page: { offset: number; ids: string[] } | undefined;
  const first = input.next ?? input.lane;
  for (let i = first; i < input.count; i += input.lanes) {
    if (i >= first + LANE_ITEMS_PER_EXECUTION * input.lanes) {
      ctx.df.continueAsNew({ ...input, next: i });
      return undefined;
    }
    const offset = i - (i % ITEM_PAGE);
    if (page?.offset !== offset) page = { offset, ids: yield* call(ctx, 'backupItemIds', { ...ref, offset }) };
    if (stopped(ctx, input.stopAt)) return true;
    const itemInput: BackupItemInput = {
      ...ref,
      protectedItemId: page.ids[i - offset],
      ...(input.stopAt ? { stopAt: input.stopAt } : {}),
    };
    ctx.df.setCustomStatus({ current: itemInput.protectedItemId, done: (i - input.lane) / input.lanes });
    const done = (yield ctx.df.callSubOrchestrator('backupItem', itemInput, itemInstanceId(input.runId, i))) as {
      status: string;
    };
    if (done.status === 'stopped') return true;
  }
  return false;
};

/**
 * One protected item's recovery point: its lease, its sequence, its containers, then the commit. Containers are
 * listed into the point and synced a chunk per execution, each chunk's reports recorded before it continues as new:
 * history and payloads stay small however many folders a mailbox has.
 */
const backupItem: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as BackupItemInput;
  const { stopAt, seq: begun, count: listed, next = 0, ...ref } = input;
  let failure: Alarm | undefined;
  let seq = begun;
  let count = listed;
  let stopRequested = false;
  try {
    if (seq === undefined) {
      // Another job may be backing this item up: wait for its run to finish with it (both jobs then get their
      // point, in order), polling on a durable timer that costs nothing meanwhile.
      for (;;) {
        const lease = yield* call(ctx, 'backupLeaseItem', ref);
        if (lease.held) break;
        if ('runEnded' in lease || stopped(ctx, stopAt))
          return { protectedItemId: ref.protectedItemId, status: 'stopped' };
        ctx.df.setCustomStatus({ waitingFor: lease.holder, until: lease.until });
        yield* pause(ctx, LEASE_POLL_SECONDS);
      }
      seq = (yield* call(ctx, 'backupBeginPoint', ref)).seq;
    }
    while (count === undefined && !failure && !stopRequested) {
      const outcome = yield* call(ctx, 'backupListContainers', { ...ref, seq });
      if ('count' in outcome) count = outcome.count;
      else if ('failure' in outcome) failure = outcome.failure;
      else if ('stopped' in outcome) stopRequested = true;
      else if (outcome.retryAfterSeconds > 0) yield* pause(ctx, outcome.retryAfterSeconds);
    }
    if (count !== undefined && next < count && !stopped(ctx, stopAt)) {
      const end = Math.min(count, next + CONTAINERS_PER_EXECUTION);
      const containers = yield* call(ctx, 'backupContainerPage', { ...ref, offset: next, limit: end - next });
      const { results, fatal } = yield* syncContainers(ctx, { ...ref, seq }, containers, stopAt, next === 0);
      yield* call(ctx, 'backupRecordResults', { ...ref, results });
      const halted = results.some((r) => r.report.status === 'stopped');
      if (!fatal && !halted && end < count && !stopped(ctx, stopAt)) {
        ctx.df.continueAsNew({ ...input, seq, count, next: end });
        return undefined;
      }
    }
  } catch (e) {
    failure = {
      code: 'unexpected',
      severity: 'error',
      transient: true,
      message: `The backup of this item failed unexpectedly: ${(e as Error).message.split('\n')[0]}`,
      fix: 'The next run retries it. If it repeats, check the run in Application Insights.',
    };
  }
  const status = yield* call(ctx, 'backupCommitPoint', {
    ...ref,
    ...(failure ? { failure } : {}),
    ...(stopRequested ? { stopped: true } : {}),
  });
  return { protectedItemId: ref.protectedItemId, status };
};

/** Containers of one item synced side by side once the first has gone through (see syncContainers). */
const CONTAINER_LANES = 3;

const emptyReport = (): ContainerResult['report'] => ({
  status: 'done',
  written: 0,
  deleted: 0,
  bytes: 0,
  storedBytes: 0,
  graphRequests: 0,
  throttled: 0,
  skipped: 0,
});

/**
 * A page of one item's containers, each until it is done, failed, or stopped; the results in page order.
 *
 * Containers are independent (their own cursors, versions and skips; the point's change log takes appends from
 * several), so once one container has gone through, up to CONTAINER_LANES sync side by side: a mailbox's dozens of
 * unchanged folders, or a site's libraries and lists, cost a few rounds of activities instead of one after another
 * (each activity pays the Durable dispatch latency). The first goes alone because a missing permission or a locked
 * site fails every container the same way: the item stops there and says so once. The Graph client keeps each
 * mailbox within Exchange's 4 concurrent requests. Each round is a Task.all of fresh activity calls (durable-functions
 * cannot yield a pending task to a second Task.any); throttling waits are taken between rounds on one durable timer,
 * as long as the longest Retry-After asked, which a stop request cuts short.
 */
function* syncContainers(
  ctx: OrchestrationContext,
  point: PointRef & { seq: number },
  containers: readonly ContainerRef[],
  stopAt: string | undefined,
  /** The item's first page: its first container goes alone. */
  firstAlone: boolean,
): Generator<df.Task, { results: ContainerResult[]; fatal: boolean }, unknown> {
  const results: Array<ContainerResult | undefined> = containers.map(() => undefined);
  const active = new Map<number, ContainerResult['report']>();
  let next = 0;
  let fatal = false;
  let halted = false;
  for (;;) {
    const width = !firstAlone || results.some((r) => r?.report.status === 'done') ? CONTAINER_LANES : 1;
    while (!fatal && !halted && active.size < width && next < containers.length) active.set(next++, emptyReport());
    if (active.size === 0) break;
    if (stopped(ctx, stopAt)) {
      for (const [i, report] of active) results[i] = { id: containers[i].id, report: { ...report, status: 'stopped' } };
      break;
    }
    const round = [...active.keys()];
    const outcomes = (yield ctx.df.Task.all(
      round.map((i) => ctx.df.callActivityWithRetry('backupSyncStep', retry(), { ...point, container: containers[i] })),
    )) as Array<ActivityResult<'backupSyncStep'>>;
    let waitSeconds = 0;
    round.forEach((i, k) => {
      const outcome = outcomes[k];
      const id = containers[i].id;
      const report = active.get(i)!;
      if (outcome.status === 'stopped' || outcome.status === 'failed') {
        active.delete(i);
        results[i] =
          outcome.status === 'stopped'
            ? { id, report: { ...report, status: 'stopped' } }
            : { id, report: { ...report, status: 'failed' }, alarm: outcome.alarm };
        halted ||= outcome.status === 'stopped';
        fatal ||= outcome.status === 'failed' && !outcome.alarm.transient && outcome.alarm.severity === 'error';
        return;
      }
      // Each step reports the container's totals so far, kept with its cursor: work of a step retried after a crash
      // is counted once.
      const { written, deleted, bytes, storedBytes, skipped } = outcome.counts;
      const now = {
        status: 'done' as const,
        written,
        deleted,
        bytes,
        storedBytes,
        skipped,
        graphRequests: outcome.graph.requests,
        throttled: outcome.graph.throttled,
      };
      if (outcome.status === 'done') {
        active.delete(i);
        results[i] = { id, report: now };
        return;
      }
      active.set(i, now);
      if (outcome.status === 'wait') waitSeconds = Math.max(waitSeconds, outcome.retryAfterSeconds);
    });
    // Throttled for longer than an activity may wait: sleep on a durable timer, costing nothing meanwhile.
    if (waitSeconds > 0 && active.size > 0) yield* pause(ctx, waitSeconds);
  }
  return { results: results.filter((r): r is ContainerResult => r !== undefined), fatal };
}

df.app.orchestration('backupJob', backupJob);
df.app.orchestration('backupItem', backupItem);
df.app.orchestration('backupLane', backupLane);
