// Every Graph request goes through here: base URL (absolute next/delta links verbatim), token, User-Agent,
// client-request-id, at most N requests in flight per mailbox, paced to the mailbox's request budget once a 429 or
// RateLimit-* headers have shown it (request-pacer.ts), Retry-After on 429/503/504 (a 429 pauses the whole mailbox
// until it passes), jittered backoff otherwise, bounded attempts, and the deadline hand-back (waits for the budget
// too). Responses stream; the mailbox slot is held until the body has been read or discarded.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { GraphOperation } from '../domain/graph-permissions';
import { GraphRequestError, GraphThrottledError, parseEnvelope } from './graph-errors';
import { headerOf, readBody, Transport } from './https-transport';
import { KeyedSemaphore } from './keyed-semaphore';
import { RequestPacer } from './request-pacer';
import { withOutlookIds } from './outlook-ids';
import { BackoffSettings, decideRetry, parseRetryAfter, RETRIABLE_STATUSES } from './retry-policy';

/**
 * SharePoint and OneDrive count one budget of resource units per app and tenant, per minute, whatever site or drive a
 * request touches (seed 000, graph-semantics.md §2.3): their pacing, RateLimit-* quota and Retry-After pauses are kept
 * under one key. The per-site or per-drive concurrency slots stay the mailbox's. One pipeline serves one tenant.
 */
const SHAREPOINT_BUDGET = 'sharepoint:resource-units';
const isSharePoint = (operation: GraphOperation): boolean =>
  operation.startsWith('files.') || operation.startsWith('sites.');
const budgetKey = (call: Pick<GraphCall, 'mailbox' | 'operation'>): string =>
  isSharePoint(call.operation) ? SHAREPOINT_BUDGET : call.mailbox;

export interface GraphCall {
  method?: string;
  /** A path under the base URL (/users/...), or an absolute URL Graph returned (nextLink, deltaLink), used verbatim. */
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Throttling key: the mailbox, drive or site the request touches. */
  mailbox: string;
  operation: GraphOperation;
  /** Epoch ms by which the caller must return; a longer wait is handed back as GraphThrottledError. */
  deadline: number;
  /** Mailbox slots this request occupies ($batch: one per inner request). */
  slots?: number;
  /** A pre-authenticated URL (download host): sent without the Authorization header. */
  anonymous?: boolean;
  /** Whether a request that may have reached the server can be sent again (default: GET, HEAD, PUT, DELETE). */
  idempotent?: boolean;
  /** Counts this caller's requests apart from others sharing the client (concurrent activities in one worker). */
  tally?: Tally;
}

export interface Tally {
  requests: number;
  throttled: number;
}

export interface GraphResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, streaming. Read it to the end or destroy it: the mailbox slot is held until then. */
  body: IncomingMessage;
  requestId?: string;
}

export interface GraphStats {
  /** HTTP requests sent (a $batch counts once; see batchedRequests). */
  requests: number;
  /** Requests carried inside $batch requests. */
  batchedRequests: number;
  /** 429 responses, including 429s of items inside a $batch. */
  throttled: number;
  /** 503/504 responses, including items inside a $batch. */
  unavailable: number;
  /** Requests (or batch items) sent again after a retriable answer or a network failure. */
  retries: number;
  /** Waits handed back to the caller because they would pass its deadline. */
  handedBack: number;
  /** Seconds spent waiting before retries. */
  waitedSeconds: number;
  /** Seconds spent waiting for a mailbox's budget before sending (pacing instead of a 429). */
  pacedSeconds: number;
}

export interface GraphLogEntry {
  event: 'response' | 'retry' | 'handBack' | 'networkError';
  method: string;
  /** Path without query (never a pre-authenticated URL). */
  target: string;
  mailbox: string;
  operation: GraphOperation;
  attempt: number;
  clientRequestId: string;
  status?: number;
  requestId?: string;
  elapsedMs?: number;
  waitSeconds?: number;
  error?: string;
}

export type GraphLog = (entry: GraphLogEntry) => void;

export interface PipelineOptions {
  baseUrl: string;
  transport: Transport;
  tokens: { token(): Promise<string> };
  userAgent: string;
  log?: GraphLog;
  /** Concurrent requests per mailbox key (Exchange: 4). */
  perMailbox?: number;
  maxAttempts?: number;
  backoff?: BackoffSettings;
  /** Paces requests to each mailbox's learned budget; default: one on the system clock. */
  pacer?: RequestPacer;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Exchange's answer over its concurrency limit (4 per mailbox), which says nothing about the request budget. */
export const isConcurrencyThrottle = (code?: string, message?: string): boolean =>
  code === 'ApplicationThrottled' && /MailboxConcurrency/i.test(message ?? '');

export class HttpPipeline {
  private readonly semaphore: KeyedSemaphore;
  private readonly pacer: RequestPacer;
  /** A 429 for a mailbox holds every request to it until Retry-After passes, not only the one that got it. */
  private readonly pausedUntil = new Map<string, number>();
  private readonly counters: GraphStats = {
    requests: 0,
    batchedRequests: 0,
    throttled: 0,
    unavailable: 0,
    retries: 0,
    handedBack: 0,
    waitedSeconds: 0,
    pacedSeconds: 0,
  };

  constructor(private readonly opts: PipelineOptions) {
    this.semaphore = new KeyedSemaphore(opts.perMailbox ?? 4);
    this.pacer = opts.pacer ?? new RequestPacer({ now: () => Date.now() });
  }

  get perMailbox(): number {
    return this.semaphore.limit;
  }

  stats(): GraphStats {
    return { ...this.counters };
  }

  /** Adds to the counters what happened inside $batch responses. */
  countBatchItems(c: Partial<Pick<GraphStats, 'batchedRequests' | 'throttled' | 'unavailable'>>): void {
    for (const [k, v] of Object.entries(c) as Array<[keyof GraphStats, number]>) this.counters[k] += v;
  }

  /** Holds a 429's Retry-After for every request to the mailbox (for SharePoint and OneDrive: to any of them). */
  pause(call: Pick<GraphCall, 'mailbox' | 'operation'>, seconds: number): void {
    const key = budgetKey(call);
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, Date.now() + seconds * 1000));
  }

  /** Until when the budget the call counts against (its mailbox's, or SharePoint's) is held. */
  private heldUntil(call: Pick<GraphCall, 'mailbox' | 'operation'>): number {
    return this.pausedUntil.get(budgetKey(call)) ?? 0;
  }

  /** Waits out a pause of the mailbox, or hands it back when it would pass the deadline. */
  async waitForMailbox(call: Pick<GraphCall, 'mailbox' | 'deadline' | 'operation'>): Promise<void> {
    const pause = this.heldUntil(call) - Date.now();
    if (pause <= 0) return;
    if (Date.now() + pause > call.deadline) {
      this.counters.handedBack++;
      throw new GraphThrottledError(pause / 1000, 429, call.operation);
    }
    await sleep(pause);
  }

  /**
   * A mailbox slot, once no pause holds the mailbox (a 429 may arrive while this request waits for its slot) and the
   * mailbox's budget has room (pre-authenticated URLs are not Graph and count against no budget). A wait for the
   * budget that would pass the deadline is handed back like a Retry-After.
   */
  private async acquire(call: GraphCall): Promise<() => void> {
    const slots = call.slots ?? 1;
    for (;;) {
      await this.waitForMailbox(call);
      const release = await this.semaphore.acquire(call.mailbox, slots);
      if (this.heldUntil(call) > Date.now()) {
        release();
        continue;
      }
      const budgetWait = call.anonymous ? 0 : this.pacer.delayFor(budgetKey(call), slots);
      if (budgetWait <= 0) {
        if (!call.anonymous) this.pacer.sent(budgetKey(call), slots);
        return release;
      }
      release();
      if (Date.now() + budgetWait > call.deadline) {
        this.counters.handedBack++;
        throw new GraphThrottledError(budgetWait / 1000, 429, call.operation);
      }
      this.counters.pacedSeconds += budgetWait / 1000;
      await sleep(budgetWait);
    }
  }

  /**
   * `refused` requests to the mailbox (a single one, or items of a $batch) were answered 429: the service did not
   * count them, and unless the 429 is about concurrency its Retry-After teaches the pacer the mailbox's window.
   */
  throttledBy(
    call: Pick<GraphCall, 'mailbox' | 'operation'>,
    refused: number,
    retryAfterSeconds: number | undefined,
    concurrency: boolean,
  ): void {
    const key = budgetKey(call);
    this.pacer.refused(key, refused);
    // SharePoint's budget is a minute's resource units, told by RateLimit-* headers and Retry-After: nothing to learn.
    if (!concurrency && retryAfterSeconds !== undefined && key === call.mailbox)
      this.pacer.throttled(key, retryAfterSeconds);
  }

  url(pathOrUrl: string): string {
    return /^https?:\/\//i.test(pathOrUrl)
      ? pathOrUrl
      : `${this.opts.baseUrl.replace(/\/$/, '')}/${pathOrUrl.replace(/^\//, '')}`;
  }

  /** Sends with the throttling discipline; resolves any status below 400 (3xx included: redirects are the caller's). */
  async send(call: GraphCall): Promise<GraphResponse> {
    const method = (call.method ?? 'GET').toUpperCase();
    const url = this.url(call.url);
    const target = call.anonymous ? `${new URL(url).origin} (pre-authenticated URL)` : new URL(url).pathname;
    const maxAttempts = this.opts.maxAttempts ?? 6;
    for (let attempt = 1; ; attempt++) {
      const release = await this.acquire(call);
      const clientRequestId = randomUUID();
      const entry = { method, target, mailbox: call.mailbox, operation: call.operation, attempt, clientRequestId };
      const started = Date.now();
      let res: IncomingMessage;
      try {
        // Pre-authenticated URLs are not Graph: no Graph preference goes there either.
        const headers: Record<string, string> = {
          'user-agent': this.opts.userAgent,
          'client-request-id': clientRequestId,
          ...(call.anonymous ? call.headers : withOutlookIds(call.operation, call.headers)),
        };
        if (!call.anonymous) headers.authorization = `Bearer ${await this.opts.tokens.token()}`;
        this.counters.requests++;
        if (call.tally) call.tally.requests++;
        res = await this.opts.transport({
          method,
          url,
          headers,
          ...(call.body !== undefined ? { body: call.body } : {}),
        });
      } catch (e) {
        release();
        const code = (e as NodeJS.ErrnoException).code;
        // Only failures to reach Graph are retried here; sign-in failures and the like are the caller's.
        if (!code || !(call.idempotent ?? IDEMPOTENT.has(method))) throw e;
        this.opts.log?.({ ...entry, event: 'networkError', error: code });
        await this.retryOrThrow(entry, { maxAttempts, deadline: call.deadline, status: 0 }, () => e as Error);
        continue;
      }
      const status = res.statusCode ?? 0;
      const requestId = headerOf(res, 'request-id');
      if (!call.anonymous) this.followRateLimit(budgetKey(call), res.headers);
      this.opts.log?.({ ...entry, event: 'response', status, requestId, elapsedMs: Date.now() - started });
      if (status < 400) {
        res.once('end', release);
        res.once('close', release);
        return { status, headers: res.headers, body: res, requestId };
      }
      const body = await readBody(res, 1024 * 1024).catch(() => Buffer.alloc(0));
      release();
      const envelope = parseEnvelope(body);
      const retryAfterSeconds = parseRetryAfter(res.headers['retry-after'], Date.now());
      const failure = (): GraphRequestError =>
        new GraphRequestError({
          status,
          operation: call.operation,
          code: envelope.code,
          innerCode: envelope.innerCode,
          graphMessage: envelope.message,
          requestId: requestId ?? envelope.requestId,
          clientRequestId,
          retryAfterSeconds,
          location: headerOf(res, 'location'),
        });
      if (!RETRIABLE_STATUSES.has(status)) throw failure();
      if (status === 429) {
        this.counters.throttled++;
        if (call.tally) call.tally.throttled++;
        if (!call.anonymous)
          this.throttledBy(
            call,
            call.slots ?? 1,
            retryAfterSeconds,
            isConcurrencyThrottle(envelope.code, envelope.message),
          );
        if (retryAfterSeconds !== undefined) this.pause(call, retryAfterSeconds);
      } else {
        this.counters.unavailable++;
      }
      await this.retryOrThrow(
        { ...entry, status, requestId },
        { maxAttempts, deadline: call.deadline, status, retryAfterSeconds },
        failure,
      );
    }
  }

  /** RateLimit-Remaining and RateLimit-Reset (seconds), as SharePoint sends them near a budget, pace the scope. */
  private followRateLimit(mailbox: string, headers: IncomingHttpHeaders): void {
    const remaining = headers['ratelimit-remaining'];
    const reset = headers['ratelimit-reset'];
    if (typeof remaining === 'string' && typeof reset === 'string')
      this.pacer.rateLimit(mailbox, Number(remaining), Number(reset));
  }

  /** Sends and parses a JSON answer. */
  async json<T>(call: GraphCall): Promise<T> {
    const res = await this.send(call);
    const text = (await readBody(res.body)).toString('utf8');
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * After a retriable answer (or a network failure, status 0) to `resent` requests (default 1): waits, or throws — GraphThrottledError when the wait
   * would pass the deadline, the failure itself when the attempts are spent.
   */
  async retryOrThrow(
    entry: Omit<GraphLogEntry, 'event'>,
    a: { maxAttempts: number; deadline: number; status: number; retryAfterSeconds?: number; resent?: number },
    failure: () => Error,
  ): Promise<void> {
    const d = decideRetry({
      ...a,
      attempt: entry.attempt,
      nowMs: Date.now(),
      random: Math.random(),
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
    });
    if (d.kind === 'fail') throw failure();
    this.opts.log?.({ ...entry, event: d.kind === 'handBack' ? 'handBack' : 'retry', waitSeconds: d.waitSeconds });
    if (d.kind === 'handBack') {
      this.counters.handedBack++;
      throw new GraphThrottledError(d.waitSeconds, a.status, entry.operation, entry.requestId);
    }
    this.counters.retries += a.resent ?? 1;
    this.counters.waitedSeconds += d.waitSeconds;
    await sleep(d.waitSeconds * 1000);
  }
}
