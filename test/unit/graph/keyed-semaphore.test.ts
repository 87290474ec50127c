import { KeyedSemaphore } from '../../../shared/graph/keyed-semaphore';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('keyed semaphore', () => {
  it('holds at most the limit per key and keys apart', async () => {
    const s = new KeyedSemaphore(4);
    let active = 0;
    let peak = 0;
    const work = async (key: string): Promise<void> => {
      const release = await s.acquire(key);
      active++;
      peak = Math.max(peak, active);
      await tick();
      active--;
      release();
    };
    await Promise.all(Array.from({ length: 40 }, () => work('a')));
    expect(peak).toBe(4);
    const holds = await Promise.all([s.acquire('a'), s.acquire('a'), s.acquire('a'), s.acquire('a'), s.acquire('b')]);
    expect([s.held('a'), s.held('b')]).toEqual([4, 1]);
    holds.forEach((r) => r());
    expect([s.held('a'), s.held('b')]).toEqual([0, 0]);
  });

  it('takes several slots at once, capped at the limit', async () => {
    const s = new KeyedSemaphore(4);
    const one = await s.acquire('m');
    let batchHeld = false;
    const batch = s.acquire('m', 20).then((r) => {
      batchHeld = true;
      return r;
    });
    await tick();
    expect(batchHeld).toBe(false);
    one();
    const release = await batch;
    expect(s.held('m')).toBe(4);
    release();
    expect(s.held('m')).toBe(0);
  });

  it('serves waiters in arrival order so a batch is not starved by single requests', async () => {
    const s = new KeyedSemaphore(4);
    const first = await s.acquire('m', 2);
    const order: string[] = [];
    const batch = s.acquire('m', 4).then((r) => {
      order.push('batch');
      return r;
    });
    const single = s.acquire('m').then((r) => {
      order.push('single');
      return r;
    });
    await tick();
    expect(order).toEqual([]); // 2 slots are free, but the single request queues behind the batch
    first();
    (await batch)();
    (await single)();
    expect(order).toEqual(['batch', 'single']);
  });

  it('ignores a second release of the same hold', async () => {
    const s = new KeyedSemaphore(2);
    const a = await s.acquire('k');
    const b = await s.acquire('k');
    a();
    a();
    expect(s.held('k')).toBe(1);
    b();
  });
});
