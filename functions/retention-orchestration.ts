// Durable wiring of retention runs: a daily timer starts one per account, and administrators start one on demand
// (retention-api.ts). Orchestrators only decide what runs next; every step is an activity over shared/retention.
// Payloads are ids and counts; each execution prunes one page of items, then continues as new (bounded history).
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, RetryOptions } from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { SLICES } from '../shared/retention/mark-set';
import {
  beginRetention,
  emptyTotals,
  finishRetention,
  ITEM_PAGE,
  RetentionRef,
  RetentionRunDoc,
  RetentionTotals,
  retentionCollect,
  retentionItemIds,
  retentionMark,
  retentionPruneItem,
  type RetentionInstance,
  listRetentionRuns,
  settleRetention,
} from '../shared/retention/retention-steps';
import { services } from '../shared/runtime/services';
import { alarmEvent, retentionRunEvent } from '../shared/telemetry/events';
import { activityCaller, activityRetry } from './activity-retry';

type Services = ReturnType<typeof services>;

const steps = {
  retentionBegin: beginRetention,
  retentionItemIds,
  retentionPruneItem,
  retentionMark,
  retentionCollect,
  retentionFinish: async (s: Services, ref: Parameters<typeof finishRetention>[1], context: InvocationContext) => {
    const run = await finishRetention(s, ref);
    // The shape the alert rules read (infra/): one line per run, and the storage-limit alarm when content was locked.
    context.log(
      `RetentionRun ${JSON.stringify({ accountId: run.accountId, runId: run.id, status: run.status, ...run.totals })}`,
    );
    const account = await s.inventory.getAccount(run.accountId, { withDeleted: true }).catch(() => undefined);
    s.telemetry.track(retentionRunEvent(run, account));
    // The "backup repository hit a storage API limit" alarm, once per cause the run met.
    const storageLimit = (severity: 'warning' | 'error', cause: string, fix: string): void => {
      const message = `The backup repository hit a storage API limit: ${cause}`;
      context.warn(
        `VaultAlarm ${JSON.stringify({ severity, code: 'repository.storageLimit', accountId: run.accountId, runId: run.id, message, fix })}`,
      );
      s.telemetry.track(
        alarmEvent(
          { code: 'repository.storageLimit', severity, message, fix, subject: { kind: 'repository', name: 'content' } },
          { runType: 'retention', runId: run.id, accountId: run.accountId },
        ),
      );
    };
    if (run.totals.blobsLocked > 0)
      storageLimit(
        'warning',
        `${run.totals.blobsLocked} content blob(s) retention freed could not be deleted (${run.locked?.[0]?.reason ?? 'refused'}).`,
        'Content under an immutability policy or legal hold is deleted by a later run once it unlocks; if the repository is not meant to be immutable, check its policies, and check the storage account is enabled and reachable by the app.',
      );
    if (run.refused)
      storageLimit(
        'error',
        `${run.refused.message} Retention stopped collecting there for this run; nothing was lost and the catalog is unchanged.`,
        run.refused.fix,
      );
    if (run.totals.blobsUnprotected > 0)
      storageLimit(
        'warning',
        `the immutability of ${run.totals.blobsUnprotected} content blob(s) still in use could not be extended (${run.unprotected?.[0]?.reason ?? 'refused'}); a stolen credential could delete them once their current lock ends.`,
        "Grant the Function App's managed identity the data action Microsoft.Storage/storageAccounts/blobServices/containers/blobs/immutableStorage/runAsSuperUser/action on the repository (infra/ does for the deployment's own storage when immutabilityDays > 0), then run retention again.",
      );
    return run.status;
  },
};

type Activities = typeof steps;
type Name = keyof Activities;

const call = activityCaller<Activities>();
const retry = (): RetryOptions => activityRetry();

export interface RetentionInput extends RetentionRef {
  trigger: RetentionRunDoc['trigger'];
  requestedBy?: RetentionRunDoc['requestedBy'];
  /** Where a continued execution resumes: the next page of items to prune. */
  offset?: number;
  totals?: RetentionTotals;
}

/** Items pruned at once, and collection slices at once. */
const FAN_OUT = 4;

const retentionJob: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const input = ctx.df.getInput() as RetentionInput;
  const ref: RetentionRef = { accountId: input.accountId, runId: input.runId };
  const totals = input.totals ?? emptyTotals();
  const locked: NonNullable<RetentionRunDoc['locked']> = [];
  const unprotected: NonNullable<RetentionRunDoc['unprotected']> = [];
  let refused: RetentionRunDoc['refused'];
  try {
    if (input.offset === undefined)
      yield* call(ctx, 'retentionBegin', {
        ...ref,
        trigger: input.trigger,
        ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
      });
    const offset = input.offset ?? 0;
    const ids = yield* call(ctx, 'retentionItemIds', { ...ref, offset });
    for (let i = 0; i < ids.length; i += FAN_OUT) {
      const tasks = ids
        .slice(i, i + FAN_OUT)
        .map((protectedItemId) =>
          ctx.df.callActivityWithRetry('retentionPruneItem', retry(), { ...ref, protectedItemId }),
        );
      for (const r of (yield ctx.df.Task.all(tasks)) as Array<Awaited<ReturnType<Activities['retentionPruneItem']>>>) {
        totals.items++;
        totals.pointsMarked += r.marked.length;
        totals.pointsRemoved += r.removed.length;
        totals.versionsRemoved += r.versionsRemoved;
        if (r.skipped) totals.itemsSkipped++;
      }
    }
    if (ids.length === ITEM_PAGE) {
      ctx.df.continueAsNew({ ...input, offset: offset + ITEM_PAGE, totals });
      return;
    }
    while (!(yield* call(ctx, 'retentionMark', ref)).done);
    for (let i = 0; i < SLICES.length; i += FAN_OUT) {
      const tasks = SLICES.slice(i, i + FAN_OUT).map((slice) =>
        ctx.df.callActivityWithRetry('retentionCollect', retry(), { ...ref, slice }),
      );
      for (const r of (yield ctx.df.Task.all(tasks)) as Array<Awaited<ReturnType<Activities['retentionCollect']>>>) {
        totals.blobsScanned += r.scanned;
        totals.blobsCondemned += r.condemned;
        totals.blobsRevived += r.revived;
        totals.blobsDeleted += r.deleted;
        totals.bytesFreed += r.deletedBytes;
        totals.blobsLockExtended += r.lockExtended;
        totals.blobsLocked += r.locked.count;
        totals.blobsUnprotected += r.unprotected.count;
        locked.push(...r.locked.sample);
        unprotected.push(...r.unprotected.sample);
        refused ??= r.refused;
      }
    }
    return yield* call(ctx, 'retentionFinish', {
      ...ref,
      totals,
      locked: locked.slice(0, 20),
      unprotected: unprotected.slice(0, 20),
      ...(refused ? { refused } : {}),
    });
  } catch (e) {
    return yield* call(ctx, 'retentionFinish', {
      ...ref,
      totals,
      locked: locked.slice(0, 20),
      unprotected: unprotected.slice(0, 20),
      failed: (e as Error).message.split('\n')[0],
    });
  }
};

for (const [name, step] of Object.entries(steps) as Array<
  [Name, (s: Services, input: unknown, context: InvocationContext) => Promise<unknown>]
>) {
  df.app.activity(name, { handler: (input: unknown, context) => step(services(), input, context) });
}
df.app.orchestration('retentionJob', retentionJob);

/** One scheduled run per account per day: the instance id is the day's, so a second start the same day is a no-op. */
export const retentionInstanceId = (accountId: string, runId: string): string => `retention-${accountId}-${runId}`;

/** Where a run's orchestration stands, or undefined when it has none (yet). */
export async function retentionInstance(
  client: df.DurableClient,
  accountId: string,
  runId: string,
): Promise<RetentionInstance | undefined> {
  const status = await client.getStatus(retentionInstanceId(accountId, runId)).catch(() => undefined);
  return status?.runtimeStatus ? { runtimeStatus: String(status.runtimeStatus), output: status.output } : undefined;
}

/**
 * The account's retention run still going, if any, and where its orchestration stands (`Pending` for a record whose
 * orchestration is about to start): one run of an account at a time. Open runs that ended unfinished are settled on
 * the way.
 */
export async function runningRetention(
  client: df.DurableClient,
  accountId: string,
): Promise<{ id: string; state: string } | undefined> {
  const s = services();
  for (const open of await listRetentionRuns(s, accountId, { running: true })) {
    let state: RetentionInstance | undefined;
    const run = await settleRetention(s, { accountId, runId: open.id }, async () => {
      state = await retentionInstance(client, accountId, open.id);
      return state;
    });
    if (run?.status === 'running') return { id: run.id, state: state?.runtimeStatus ?? 'Pending' };
  }
  return undefined;
}

df.app.client.timer('retentionScheduler', {
  // 02:30 UTC daily: after most nightly backups have begun, before the working day in Europe and the Americas.
  schedule: '0 30 2 * * *',
  handler: async (_timer, client, context) => {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    // Deleted accounts too: their recovery points age out by their deleted jobs' policies.
    for (const account of await services().inventory.listAccounts({ withDeleted: true })) {
      const runId = `${day}-daily`;
      const instanceId = retentionInstanceId(account.id, runId);
      const existing = await client.getStatus(instanceId).catch(() => undefined);
      if (existing?.runtimeStatus) continue;
      const running = await runningRetention(client, account.id);
      if (running) {
        context.warn(
          `retention run ${runId} of account ${account.id} not started: run ${running.id} is still going (${running.state})`,
        );
        continue;
      }
      const input: RetentionInput = { accountId: account.id, runId, trigger: 'schedule' };
      await client.startNew('retentionJob', { instanceId, input });
      context.log(`retention run ${runId} started for account ${account.id}`);
    }
  },
});
