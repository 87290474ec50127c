// JSON batching over the pipeline: ≤20 requests per $batch, each inner request holding a mailbox slot (Exchange
// counts them one by one), and the items Graph throttled (429/503/504) sent again after the longest of their own
// Retry-After values, alone. Results are final per item: an item still throttled when the deadline or the attempt
// bound stops the retries keeps its 429/503/504 answer and Retry-After header, so the caller keeps what succeeded.
import type { GraphOperation } from '../domain/graph-permissions';
import { GraphRequestError, GraphThrottledError, parseEnvelope } from './graph-errors';
import {
  BatchRequest,
  BatchResult,
  correlate,
  encodeBatch,
  longestRetryAfter,
  requestsToRetry,
  splitIntoBatches,
} from './batch-plan';
import { type HttpPipeline, isConcurrencyThrottle } from './http-pipeline';
import { withOutlookIds } from './outlook-ids';
import { readBody } from './https-transport';
import { parseRetryAfter } from './retry-policy';

export interface BatchOptions {
  /** Throttling key of the mailbox (drive, site) the inner requests touch. */
  mailbox: string;
  operation: GraphOperation;
  deadline: number;
  /** Rounds per batch: the first send plus retries of throttled items. */
  maxAttempts?: number;
}

/** Stops the retry loop without failing the batch: the remaining items keep their last answer. */
class StopRetrying extends Error {}

async function runOne(p: HttpPipeline, batch: BatchRequest[], o: BatchOptions): Promise<BatchResult[]> {
  const results = new Map<string, BatchResult>();
  const readOnly = batch.every((r) => r.method.toUpperCase() === 'GET');
  let pending = batch;
  for (let attempt = 1; pending.length; attempt++) {
    const res = await p.send({
      // Each item carries its own Prefer: Graph does not apply the batch's to the requests inside it.
      method: 'POST',
      url: '/$batch',
      headers: { 'content-type': 'application/json' },
      body: encodeBatch(pending.map((r) => ({ ...r, headers: withOutlookIds(o.operation, r.headers) }))),
      mailbox: o.mailbox,
      operation: o.operation,
      deadline: o.deadline,
      slots: pending.length,
      idempotent: readOnly,
    });
    const items = correlate(pending, JSON.parse((await readBody(res.body)).toString('utf8')));
    for (const item of items) results.set(item.id.toLowerCase(), item);
    p.countBatchItems({
      batchedRequests: pending.length,
      throttled: items.filter((i) => i.status === 429).length,
      unavailable: items.filter((i) => i.status === 503 || i.status === 504).length,
    });
    const refused = items.filter((i) => i.status === 429);
    if (refused.length) {
      // Only a 429 about the request budget teaches the pacer; the longest Retry-After among those is the window's.
      const budget = refused.filter((i) => {
        const e = parseEnvelope(i.body);
        return !isConcurrencyThrottle(e.code, e.message);
      });
      p.throttledBy(o, refused.length, longestRetryAfter(budget, Date.now()), !budget.length);
    }
    const again = requestsToRetry(pending, items);
    if (!again.length) break;
    const retryAfterSeconds = longestRetryAfter(items, Date.now());
    const throttled = refused[0];
    if (throttled && retryAfterSeconds !== undefined) p.pause(o, retryAfterSeconds);
    const status = (throttled ?? items.find((i) => i.status >= 500))?.status ?? 429;
    try {
      await p.retryOrThrow(
        {
          method: 'POST',
          target: '/$batch',
          mailbox: o.mailbox,
          operation: o.operation,
          attempt,
          clientRequestId: '',
          ...(res.requestId ? { requestId: res.requestId } : {}),
        },
        {
          maxAttempts: o.maxAttempts ?? 6,
          deadline: o.deadline,
          status,
          resent: again.length,
          ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
        },
        () => new StopRetrying(),
      );
    } catch (e) {
      if (e instanceof StopRetrying || e instanceof GraphThrottledError) break;
      throw e;
    }
    pending = again;
  }
  return batch.map((r) => results.get(r.id.toLowerCase())!);
}

/** Sends the requests in as few $batch calls as the 20-per-batch limit allows; results in request order. */
export async function runBatch(
  p: HttpPipeline,
  requests: readonly BatchRequest[],
  o: BatchOptions,
): Promise<BatchResult[]> {
  const out: BatchResult[] = [];
  for (const batch of splitIntoBatches(requests)) out.push(...(await runOne(p, batch, o)));
  return out;
}

/** An item's failure as the error a single request would have raised. */
export function itemError(r: BatchResult, operation: GraphOperation): GraphRequestError | undefined {
  if (r.status < 400) return undefined;
  const e = parseEnvelope(r.body);
  return new GraphRequestError({
    status: r.status,
    operation,
    code: e.code,
    innerCode: e.innerCode,
    graphMessage: e.message,
    requestId: r.headers['request-id'] ?? e.requestId,
    retryAfterSeconds: parseRetryAfter(r.headers['retry-after'], Date.now()),
    location: r.headers.location,
  });
}
