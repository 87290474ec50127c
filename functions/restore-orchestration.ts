// Durable wiring of a restore job: plan, folders, then batches in order (each checking for cancellation), then the
// end. Payloads are ids and counts; the plan lives in a blob beside the job.
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, RetryOptions } from 'durable-functions';
import { finishRestore, planRestore, restoreBatch, restoreFolders, RestoreRef } from '../shared/restore/restore-steps';
import { services } from '../shared/runtime/services';
import { activityRetry } from './activity-retry';
import { claimed } from './operation-jobs';

const retry = (): RetryOptions => activityRetry();

const restoreJob: OrchestrationHandler = function* (ctx: OrchestrationContext) {
  const ref = ctx.df.getInput() as RestoreRef;
  if (!(yield* claimed(ctx, ref, retry()))) return undefined;
  let cancelled = false;
  let failed: string | undefined;
  try {
    const { batches } = (yield ctx.df.callActivityWithRetry('restorePlan', retry(), ref)) as { batches: number };
    const folders = (yield ctx.df.callActivityWithRetry('restoreFolders', retry(), ref)) as { failed?: string };
    failed = folders.failed;
    for (let index = 0; index < batches && !failed && !cancelled; index++) {
      ctx.df.setCustomStatus({ batch: index + 1, batches });
      cancelled = (
        (yield ctx.df.callActivityWithRetry('restoreBatch', retry(), { ...ref, index })) as { cancelled: boolean }
      ).cancelled;
    }
  } catch (e) {
    failed = `The restore failed unexpectedly: ${(e as Error).message.split('\n')[0]}`;
  }
  return (yield ctx.df.callActivityWithRetry('restoreFinish', retry(), {
    ...ref,
    cancelled,
    ...(failed ? { failed } : {}),
  })) as unknown;
};

df.app.orchestration('restoreJob', restoreJob);
df.app.activity('restorePlan', { handler: (input: unknown) => planRestore(services(), input as RestoreRef) });
df.app.activity('restoreFolders', { handler: (input: unknown) => restoreFolders(services(), input as RestoreRef) });
df.app.activity('restoreBatch', {
  handler: (input: unknown) => restoreBatch(services(), input as RestoreRef & { index: number }),
});
df.app.activity('restoreFinish', {
  handler: (input: unknown) => finishRestore(services(), input as RestoreRef & { cancelled: boolean; failed?: string }),
});
