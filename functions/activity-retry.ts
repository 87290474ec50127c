// How orchestrations call their activities: transient failures of our own stores (Cosmos DB, Blob Storage) are
// retried with exponential backoff; Graph failures come back as values, not as retries.
import * as df from 'durable-functions';
import type { OrchestrationContext, RetryOptions } from 'durable-functions';

/** First retry after 5 s, doubling: 5, 10, 20 s for the default 4 attempts. */
export function activityRetry(attempts = 4): RetryOptions {
  const r = new df.RetryOptions(5000, attempts);
  r.backoffCoefficient = 2;
  return r;
}

/**
 * A typed caller for a set of activities (name → function of (services, input)): the input is checked against the
 * activity's own parameter and the result comes back typed (the one cast is here).
 */
export function activityCaller<A extends Record<string, (s: never, input: never, ...rest: never[]) => unknown>>() {
  return function* call<N extends keyof A & string>(
    ctx: OrchestrationContext,
    name: N,
    input: Parameters<A[N]>[1],
  ): Generator<df.Task, Awaited<ReturnType<A[N]>>, unknown> {
    return (yield ctx.df.callActivityWithRetry(name, activityRetry(), input)) as Awaited<ReturnType<A[N]>>;
  };
}
