// The local host's clock, moved forward on request (`--virtual-clock <offsetMs>`, then `POST /admin/clock`): a test runs a year
// of daily backups and retention runs in minutes, with every timestamp the product, its SDKs and the Durable engine
// take from Date on the moved clock, as one process's clock would be in Azure on those days. Timers (setTimeout)
// keep real time; the engine re-arms its durable timers after a jump. TLS certificate checks keep the real time too
// (OpenSSL reads the system clock), which the local certificates' validity covers either way.
const RealDate = Date;
let offsetMs = 0;

/** Replaces the global Date with one `startOffsetMs` ahead: `new Date()` and `Date.now()` move, parsing and UTC do not. */
export function installVirtualClock(startOffsetMs: number): void {
  offsetMs = startOffsetMs;
  class VirtualDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offsetMs);
      else super(...(args as [number]));
    }
    static override now(): number {
      return RealDate.now() + offsetMs;
    }
  }
  globalThis.Date = VirtualDate as DateConstructor;
}

/** Moves the clock forward (never back: Durable histories and leases assume time only grows). */
export function advanceVirtualClock(ms: number): number {
  offsetMs += ms;
  return Date.now();
}
