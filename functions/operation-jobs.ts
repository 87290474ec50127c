// What restore and difference-report orchestrations share: their instance ids, the first step (the job claims its
// account's lock, and does no work if it lost it), and the probe that tells a start whether a holder still runs.
import * as df from 'durable-functions';
import type { DurableClient, OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import type { Liveness, OperationKind } from '../shared/operations/operation-store';
import { services } from '../shared/runtime/services';

export interface OperationRef {
  accountId: string;
  operationId: string;
}

export const operationInstanceId = (kind: OperationKind, operationId: string): string =>
  `${kind === 'differenceReport' ? 'difference' : kind}-${operationId}`;

df.app.activity('operationClaim', {
  handler: (input: unknown) => {
    const ref = input as OperationRef;
    return services().operations.claim({ accountId: ref.accountId, id: ref.operationId }, services().now());
  },
});

/** Yields whether the job holds its lock; a job that does not must end without a step. */
export function* claimed(
  ctx: OrchestrationContext,
  ref: OperationRef,
  retry: RetryOptions,
): Generator<Task, boolean, unknown> {
  return (yield ctx.df.callActivityWithRetry('operationClaim', retry, ref)) as boolean;
}

/** States after which an orchestration runs no more steps. */
const OVER = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

/**
 * A job is over when its orchestration says so, or no longer exists (purged: it ran, since it claimed its lock); a
 * status that cannot be read (an outage) counts as running. The client reports a 404 only in its message.
 */
export const orchestrationAlive =
  (client: DurableClient): Liveness =>
  async (job) => {
    try {
      return !OVER.has(String((await client.getStatus(operationInstanceId(job.kind, job.id))).runtimeStatus));
    } catch (e) {
      return !/HTTP 404 response/.test((e as Error).message);
    }
  };
