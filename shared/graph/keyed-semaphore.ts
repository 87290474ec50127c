/** At most `limit` holders per key (Exchange allows an app 4 concurrent requests per mailbox). */
export class KeyedSemaphore {
  private readonly lanes = new Map<string, { active: number; waiting: Array<() => void> }>();

  constructor(private readonly limit: number) {}

  async acquire(key: string): Promise<() => void> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { active: 0, waiting: [] };
      this.lanes.set(key, lane);
    }
    const l = lane;
    if (l.active >= this.limit) await new Promise<void>((resolve) => l.waiting.push(resolve));
    l.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      l.active--;
      const next = l.waiting.shift();
      if (next) next();
      else if (l.active === 0) this.lanes.delete(key);
    };
  }
}
