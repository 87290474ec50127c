// At most `limit` slots held per key (Exchange allows an app 4 concurrent requests per mailbox). A holder may take
// several slots at once (a $batch to one mailbox counts each inner request). Waiters are served in arrival order,
// so a batch waiting for 4 slots is not starved by a stream of single requests.

interface Waiter {
  slots: number;
  grant(): void;
}

interface Lane {
  held: number;
  queue: Waiter[];
}

export class KeyedSemaphore {
  private readonly lanes = new Map<string, Lane>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  }

  /** Resolves with a release function once `slots` (capped at the limit) are held for `key`. */
  async acquire(key: string, slots = 1): Promise<() => void> {
    const n = Math.max(1, Math.min(this.limit, Math.floor(slots)));
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { held: 0, queue: [] }));
    const l = lane;
    if (l.queue.length || l.held + n > this.limit)
      await new Promise<void>((grant) => l.queue.push({ slots: n, grant }));
    else l.held += n;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      l.held -= n;
      this.grantWaiting(key, l);
    };
  }

  /** Slots held for `key` now (for tests and diagnostics). */
  held(key: string): number {
    return this.lanes.get(key)?.held ?? 0;
  }

  private grantWaiting(key: string, l: Lane): void {
    while (l.queue.length && l.held + l.queue[0].slots <= this.limit) {
      const w = l.queue.shift()!;
      l.held += w.slots;
      w.grant();
    }
    if (l.held === 0 && !l.queue.length) this.lanes.delete(key);
  }
}
