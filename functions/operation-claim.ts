// The first step of every restore and difference-report orchestration: the job claims its account's lock, and does
// no work if it lost it (its start lease expired and another job took the account).
import * as df from 'durable-functions';
import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import { services } from '../shared/runtime/services';

export interface OperationRef { accountId: string; operationId: string }

df.app.activity('operationClaim', {
  handler: (input: unknown) => {
    const ref = input as OperationRef;
    return services().operations.claim({ accountId: ref.accountId, id: ref.operationId }, services().now());
  },
});

/** Yields whether the job holds its lock; a job that does not must end without a step. */
export function* claimed(ctx: OrchestrationContext, ref: OperationRef, retry: RetryOptions): Generator<Task, boolean, unknown> {
  return (yield ctx.df.callActivityWithRetry('operationClaim', retry, ref)) as boolean;
}
