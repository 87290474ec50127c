// Durable wiring of a backup run. Orchestrators only decide what runs next (deterministic: no I/O, no clock but
// currentUtcDateTime); every step is an activity over shared/backup. Payloads are ids and counts, never content.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, RetryOptions } from 'durable-functions';
import type { Alarm } from '../shared/domain/alarms';
import type { ContainerRef, ContainerResult, LeaseOutcome, ListOutcome, PointRef, StepOutcome } from '../shared/backup/point-steps';
import type { RunSummary } from '../shared/backup/run-steps';
import type { PointStatus } from '../shared/catalog/points-store';

export interface BackupJobInput {
  accountId: string;
  jobId: string;
  trigger: 'schedule' | 'manual' | 'chained';
  /** The schedule's end time: the run stops starting new work then. */
  stopAt?: string;
}

interface BackupItemInput extends PointRef {
  stopAt?: string;
}

/** Transient infrastructure failures (our own stores) get retried; Graph failures come back as values. */
const retry = (): RetryOptions => {
  const r = new df.RetryOptions(5000, 4);
  r.backoffCoefficient = 2;
  return r;
};

/** How often a run waiting for another job's run to finish with an item looks again. */
const LEASE_POLL_SECONDS = 30;

const stopped = (ctx: OrchestrationContext, stopAt?: string): boolean => stopAt !== undefined && ctx.df.currentUtcDateTime >= new Date(stopAt);

interface LaneInput extends Omit<BackupJobInput, 'trigger'> {
  runId: string;
  lane: number;
  lanes: number;
  count: number;
  firstIds: string[];
}

const backupJob: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as BackupJobInput;
  const now = ctx.df.currentUtcDateTime;
  const runId = `${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${ctx.df.newGuid('run').slice(0, 8)}`;
  const ref = { accountId: input.accountId, jobId: input.jobId, runId };
  ctx.df.setCustomStatus({ runId, stage: 'discovering' });
  try {
    return yield* runJob(ctx, input, ref);
  } catch (e) {
    // A step that failed after its retries: the run ends as failed, saying why, before the instance does.
    yield ctx.df.callActivityWithRetry('backupFailRun', retry(), { ...ref, trigger: input.trigger, message: (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 500) });
    throw e;
  }
};

function* runJob(ctx: OrchestrationContext, input: BackupJobInput, ref: { accountId: string; jobId: string; runId: string }): Generator<df.Task, unknown, unknown> {
  const { runId } = ref;
  const { concurrency } = (yield ctx.df.callActivityWithRetry('backupBeginRun', retry(), { ...ref, trigger: input.trigger })) as { concurrency: number };
  yield ctx.df.callActivityWithRetry('backupPreRunHook', retry(), ref);
  const found = (yield ctx.df.callActivityWithRetry('backupDiscover', retry(), ref)) as { count: number; ids: string[]; failure?: Alarm };
  // A bounded window without re-yielding tasks: `concurrency` lanes, lane k backing up items k, k+n, k+2n, … in
  // priority order, each lane one item at a time. Joined by a single Task.all.
  const lanes = Math.max(1, Math.min(concurrency, found.count));
  ctx.df.setCustomStatus({ runId, stage: 'backing up', total: found.count, lanes });
  const laneTasks = found.count === 0 ? [] : Array.from({ length: lanes }, (_, lane) => {
    const laneInput: LaneInput = { accountId: input.accountId, jobId: input.jobId, runId, lane, lanes, count: found.count, firstIds: found.ids, ...(input.stopAt ? { stopAt: input.stopAt } : {}) };
    return ctx.df.callSubOrchestrator('backupLane', laneInput, `${ctx.df.instanceId}:${runId}:lane${lane}`);
  });
  const stoppedLanes = laneTasks.length ? ((yield ctx.df.Task.all(laneTasks)) as boolean[]) : [];
  const summary = (yield ctx.df.callActivityWithRetry('backupFinishRun', retry(), { ...ref, stopped: stoppedLanes.some(Boolean) })) as RunSummary;
  yield ctx.df.callActivityWithRetry('backupNotify', retry(), ref);
  ctx.df.setCustomStatus({ runId, stage: 'finished', total: found.count });
  return { runId, ...summary };
}

/** One lane of a run's window: its items in order, each as its own sub-orchestration. Returns whether it stopped early. */
const backupLane: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as LaneInput;
  const ref = { accountId: input.accountId, jobId: input.jobId, runId: input.runId };
  const ids = [...input.firstIds];
  for (let i = input.lane; i < input.count; i += input.lanes) {
    while (i >= ids.length) ids.push(...((yield ctx.df.callActivityWithRetry('backupItemIds', retry(), { ...ref, offset: ids.length })) as string[]));
    if (stopped(ctx, input.stopAt)) return true;
    const itemInput: BackupItemInput = { ...ref, protectedItemId: ids[i]!, ...(input.stopAt ? { stopAt: input.stopAt } : {}) };
    ctx.df.setCustomStatus({ current: ids[i], done: (i - input.lane) / input.lanes });
    const done = (yield ctx.df.callSubOrchestrator('backupItem', itemInput, `${input.runId}:item${i}`)) as { status: string };
    if (done.status === 'stopped') return true;
  }
  return false;
};

const backupItem: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as BackupItemInput;
  const { stopAt, ...ref } = input;
  const results: ContainerResult[] = [];
  let failure: Alarm | undefined;
  // Another job may be backing this item up: wait for its run to finish with it (both jobs then get their point, in
  // order), polling on a durable timer that costs nothing meanwhile.
  for (;;) {
    const lease = (yield ctx.df.callActivityWithRetry('backupLeaseItem', retry(), ref)) as LeaseOutcome;
    if (lease.held) break;
    if ('runEnded' in lease || stopped(ctx, stopAt)) return { protectedItemId: ref.protectedItemId, status: 'stopped' };
    ctx.df.setCustomStatus({ waitingFor: lease.holder, until: lease.until });
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + LEASE_POLL_SECONDS * 1000));
  }
  try {
    const { seq } = (yield ctx.df.callActivityWithRetry('backupBeginPoint', retry(), ref)) as { seq: number };
    let containers: ContainerRef[] | undefined;
    while (!containers && !failure) {
      const listed = (yield ctx.df.callActivityWithRetry('backupListContainers', retry(), { ...ref, seq })) as ListOutcome;
      if ('containers' in listed) containers = listed.containers;
      else if ('failure' in listed) failure = listed.failure;
      else if (listed.retryAfterSeconds > 0) yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + listed.retryAfterSeconds * 1000));
    }
    for (const container of containers ?? []) {
      const report = { status: 'done' as ContainerResult['report']['status'], written: 0, deleted: 0, bytes: 0, storedBytes: 0, graphRequests: 0, throttled: 0, skipped: 0 };
      let alarm: Alarm | undefined;
      for (;;) {
        if (stopped(ctx, stopAt)) {
          report.status = 'stopped';
          break;
        }
        const step = (yield ctx.df.callActivityWithRetry('backupSyncStep', retry(), { ...ref, seq, container })) as StepOutcome;
        if (step.status === 'failed') {
          report.status = 'failed';
          alarm = step.alarm;
          break;
        }
        report.written += step.counts.written;
        report.deleted += step.counts.deleted;
        report.bytes += step.counts.bytes;
        report.storedBytes += step.counts.storedBytes;
        report.skipped += step.counts.skipped;
        report.graphRequests += step.graph.requests;
        report.throttled += step.graph.throttled;
        if (step.status === 'done') break;
        // Throttled for longer than an activity may wait: sleep on a durable timer, costing nothing meanwhile.
        if (step.status === 'wait') yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + step.retryAfterSeconds * 1000));
      }
      results.push({ id: container.id, report, ...(alarm ? { alarm } : {}) });
      // A missing permission or a locked site fails every other container the same way: stop early and say so once.
      if (alarm && !alarm.transient && alarm.severity === 'error') break;
    }
  } catch (e) {
    failure = { code: 'unexpected', severity: 'error', transient: true, message: `The backup of this item failed unexpectedly: ${(e as Error).message.split('\n')[0]}`, fix: 'The next run retries it. If it repeats, check the run in Application Insights.' };
  }
  const status = (yield ctx.df.callActivityWithRetry('backupCommitPoint', retry(), { ...ref, results, ...(failure ? { failure } : {}) })) as PointStatus;
  return { protectedItemId: ref.protectedItemId, status };
};

df.app.orchestration('backupJob', backupJob);
df.app.orchestration('backupItem', backupItem);
df.app.orchestration('backupLane', backupLane);
