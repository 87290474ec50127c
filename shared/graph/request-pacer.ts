// Paces requests per throttling scope (mailbox, drive, site) to the budget the service allows, instead of sending
// until it answers 429. Exchange counts an app's requests to a mailbox in a sliding window (10,000 per 10 minutes as
// documented; less when the service is busy) and sends no header saying how much is left, so the pacer learns the
// window from the 429 itself: Retry-After says when the oldest request the service counted leaves the window, and
// the pacer's own log of what it sent says which request that was (the first after a pause longer than Retry-After)
// and how many were counted since (the limit). It then keeps the log under that limit, less a margin, in the same
// sliding window. A sliding-window log rather than a token bucket: a bucket of capacity C refilling at rate R lets
// C + R·W requests into a window W, so it must stay well under the limit to be safe, where mirroring the window can
// use nearly all of it. Services that do say what is left (SharePoint's RateLimit-Limit / -Remaining / -Reset, sent
// from 80 % of a budget) are followed as given. Pure: the caller supplies the clock.

export interface PacerOptions {
  now(): number;
  /** Share of a learned limit kept free for what the log cannot see (other workers, the window's edges). */
  margin?: number;
  /** How far back the log goes before a window is known: longer than Exchange's 10-minute window. */
  horizonMs?: number;
}

/** What a 429 taught: the service counts `limit` requests in any `windowMs`. */
export interface LearnedWindow {
  windowMs: number;
  limit: number;
  /** When the last 429 taught or confirmed it. */
  at: number;
}

/**
 * A learned limit is forgotten this long after the last 429 that taught it: budgets shrink while a service is busy
 * and grow back, and a limit kept forever would pace a worker at its worst moment's budget from then on. Relearning
 * costs one 429 per expiry, under 0.2 % of the requests of a window at Exchange's budgets.
 */
const forgetAfter = (windowMs: number): number => Math.max(2 * windowMs, 5_000);

interface Scope {
  /** Times of sent requests the service counts (refused ones are taken back), oldest first, from `head` on. */
  log: number[];
  /** Index of the oldest entry still kept (pruning moves it; the array is compacted now and then). */
  head: number;
  /** The newest pruned entry: the log is complete after it (-Infinity: nothing was ever pruned). */
  since: number;
  window?: LearnedWindow;
  /** From RateLimit-* headers: at most `remaining` more requests until `until`. */
  quota?: { remaining: number; until: number };
}

export class RequestPacer {
  private readonly scopes = new Map<string, Scope>();
  private readonly margin: number;
  private readonly horizonMs: number;
  private sends = 0;

  constructor(private readonly opts: PacerOptions) {
    this.margin = opts.margin ?? 0.03;
    this.horizonMs = opts.horizonMs ?? 15 * 60_000;
  }

  private scope(key: string): Scope {
    let s = this.scopes.get(key);
    if (!s) this.scopes.set(key, (s = { log: [], head: 0, since: -Infinity }));
    return s;
  }

  private prune(s: Scope, now: number): void {
    const keep = Math.max(this.horizonMs, s.window?.windowMs ?? 0);
    const head = firstAfter(s.log, s.head, now - keep);
    if (head > s.head) {
      s.since = s.log[head - 1];
      s.head = head;
      if (s.head > 1024 && s.head * 2 > s.log.length) {
        s.log.splice(0, s.head);
        s.head = 0;
      }
    }
    if (s.quota && s.quota.until <= now) delete s.quota;
    if (s.window && now - s.window.at > forgetAfter(s.window.windowMs)) delete s.window;
  }

  /** The window learned for a scope, if any (diagnostics and tests). */
  learned(key: string): LearnedWindow | undefined {
    const s = this.scopes.get(key);
    if (s) this.prune(s, this.opts.now());
    return s?.window;
  }

  /** Milliseconds until `slots` more requests to the scope fit in what the service allows; 0 when they fit now. */
  delayFor(key: string, slots = 1): number {
    const s = this.scopes.get(key);
    if (!s) return 0;
    const now = this.opts.now();
    this.prune(s, now);
    let wait = 0;
    if (s.quota && slots > s.quota.remaining) wait = s.quota.until - now;
    if (s.window) {
      const { windowMs, limit } = s.window;
      const allowed = Math.max(1, Math.floor(limit * (1 - this.margin)));
      const first = firstAfter(s.log, s.head, now - windowMs);
      const over = s.log.length - first + Math.min(slots, allowed) - allowed;
      // The over-th oldest request in the window must leave it first.
      if (over > 0) wait = Math.max(wait, s.log[first + over - 1] + windowMs - now + 1);
    }
    return Math.max(0, wait);
  }

  /** Records `slots` requests sent now. */
  sent(key: string, slots = 1): void {
    const s = this.scope(key);
    const now = this.opts.now();
    for (let i = 0; i < slots; i++) s.log.push(now);
    if (s.quota) s.quota.remaining -= slots;
    if (++this.sends % 1000 === 0) this.sweep(now);
  }

  /** Takes back `slots` requests the service refused (a 429 is not counted in its window). */
  refused(key: string, slots = 1): void {
    const s = this.scopes.get(key);
    if (!s) return;
    s.log.splice(Math.max(s.head, s.log.length - slots));
    if (s.quota) s.quota.remaining += slots;
  }

  /**
   * A budget 429 now with Retry-After: finds the request whose leaving frees the window (the first after a pause
   * longer than Retry-After, the longest such pause when several qualify) and learns the window and limit from it.
   * Call after `refused`. Returns what was learned, or undefined when the log cannot tell.
   */
  throttled(key: string, retryAfterSeconds: number): LearnedWindow | undefined {
    const s = this.scopes.get(key);
    if (!s || retryAfterSeconds <= 0) return undefined;
    const now = this.opts.now();
    this.prune(s, now);
    if (s.head >= s.log.length) return undefined;
    const retryMs = retryAfterSeconds * 1000;
    // Retry-After is rounded up to whole seconds: the oldest counted request leaves within its last second.
    const minGap = retryMs - 1000;
    let best: { index: number; gap: number } | undefined;
    for (let i = s.head; i < s.log.length; i++) {
      const gap = s.log[i] - (i === s.head ? s.since : s.log[i - 1]);
      if (gap > minGap && (!best || gap > best.gap)) best = { index: i, gap };
    }
    if (!best) return undefined;
    const windowMs = now + retryMs - 500 - s.log[best.index];
    const limit = s.log.length - best.index;
    if (windowMs <= 0 || limit < 1) return undefined;
    s.window = { windowMs, limit, at: now };
    return s.window;
  }

  /** RateLimit-Remaining / RateLimit-Reset (seconds) seen on a response: at most that many more until the reset. */
  rateLimit(key: string, remaining: number, resetSeconds: number): void {
    if (!(remaining >= 0) || !(resetSeconds >= 0)) return;
    this.scope(key).quota = { remaining, until: this.opts.now() + resetSeconds * 1000 };
  }

  /** Forgets scopes with nothing left to remember. */
  private sweep(now: number): void {
    for (const [key, s] of this.scopes) {
      this.prune(s, now);
      if (s.head >= s.log.length && !s.window && !s.quota) this.scopes.delete(key);
    }
  }
}

/** Index of the first entry from `from` on that is later than `t` (the log is sorted). */
function firstAfter(log: readonly number[], from: number, t: number): number {
  let lo = from;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
