// When to retry a Graph request and how long to wait: Retry-After when Graph gives one (seconds, possibly
// fractional, or an HTTP date), jittered exponential backoff when it does not, a bounded number of attempts, and a
// hand-back when the wait would pass the calling activity's deadline. Pure: the caller supplies clock and dice.

/** Statuses Graph documents as "wait and retry": throttled, unavailable, gateway timeout. */
export const RETRIABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

/** Retry-After in seconds; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  // An HTTP date names its month; anything else (a negative number, "soon") is not a Retry-After.
  const date = /[a-z]{3}/i.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, (date - nowMs) / 1000);
}

export interface BackoffSettings {
  /** First wait, seconds. */
  baseSeconds: number;
  /** Cap of one wait, seconds. */
  maxSeconds: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseSeconds: 1, maxSeconds: 60 };

/**
 * Exponential backoff with "equal jitter" (half fixed, half random) so that clients throttled together do not
 * retry together, yet every wait grows: attempt 1 → [0.5, 1] × base, attempt n → [0.5, 1] × base × 2^(n-1), capped.
 */
export function backoffSeconds(attempt: number, random: number, s: BackoffSettings = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(s.maxSeconds, s.baseSeconds * 2 ** Math.max(0, attempt - 1));
  return ceiling * (0.5 + random / 2);
}

export interface Attempt {
  /** 1 for the first try. */
  attempt: number;
  maxAttempts: number;
  /** Retry-After of the response, seconds. */
  retryAfterSeconds?: number;
  nowMs: number;
  /** Epoch ms by which the caller must have returned. */
  deadline: number;
  /** A number in [0, 1). */
  random: number;
  backoff?: BackoffSettings;
}

export type RetryDecision =
  /** Wait this long, then try again. */
  | { kind: 'retry'; waitSeconds: number }
  /** The wait would pass the deadline: hand it to the caller (a durable timer). */
  | { kind: 'handBack'; waitSeconds: number }
  /** Attempts exhausted: surface the failure. */
  | { kind: 'fail'; waitSeconds: number };

/** What to do after a retriable response (or a network failure, with no Retry-After). */
export function decideRetry(a: Attempt): RetryDecision {
  const waitSeconds = a.retryAfterSeconds ?? backoffSeconds(a.attempt, a.random, a.backoff);
  if (a.attempt >= a.maxAttempts) return { kind: 'fail', waitSeconds };
  if (a.nowMs + waitSeconds * 1000 > a.deadline) return { kind: 'handBack', waitSeconds };
  return { kind: 'retry', waitSeconds };
}
