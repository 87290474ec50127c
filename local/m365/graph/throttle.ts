// Exchange's limits per app and mailbox: at most `concurrency` requests in flight and `budget` requests in any
// `windowSeconds` window. Over either, Graph answers 429 TooManyRequests with Retry-After in seconds.

export interface ThrottleSettings {
  concurrency: number;
  budget: number;
  windowSeconds: number;
}

export const EXCHANGE_LIMITS: ThrottleSettings = { concurrency: 4, budget: 10_000, windowSeconds: 600 };

interface Lane {
  inFlight: number;
  times: number[];
}

export class Throttle {
  private readonly lanes = new Map<string, Lane>();

  constructor(public settings: ThrottleSettings, private readonly now: () => number = Date.now) {}

  /** Admits a request or returns how many seconds to wait; admitted requests must call `release`. */
  admit(key: string): { admitted: true; release: () => void } | { admitted: false; retryAfterSeconds: number; reason: string } {
    const lane = this.lanes.get(key) ?? { inFlight: 0, times: [] };
    this.lanes.set(key, lane);
    const now = this.now();
    const windowMs = this.settings.windowSeconds * 1000;
    while (lane.times.length && lane.times[0]! <= now - windowMs) lane.times.shift();
    if (lane.times.length >= this.settings.budget) {
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((lane.times[0]! + windowMs - now) / 1000)), reason: 'request budget' };
    }
    if (lane.inFlight >= this.settings.concurrency) return { admitted: false, retryAfterSeconds: 1, reason: 'concurrency' };
    lane.times.push(now);
    lane.inFlight++;
    return { admitted: true, release: () => void lane.inFlight-- };
  }
}
