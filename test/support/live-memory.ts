import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Memory a test's code still holds, for bounds that hold on any machine: RSS (and heap in use between collections)
 * also counts garbage V8 has not collected yet, which on a loaded machine reaches hundreds of MiB in a jest worker
 * that ran other files before (185 MiB seen in CI for a stream whose buffers are 12 MiB). After a full collection,
 * only what is reachable remains: the heap in use plus the memory outside it (Buffers), which is what a stream that
 * held its content would show growing.
 */

/** V8's full collection. Jest's workers are not started with --expose-gc; the flag can still be set at run time. */
function collector(): () => void {
  const exposed = global.gc;
  if (exposed)
    return () => {
      exposed();
    };
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Samples live memory. Each sample is a full collection of the whole worker (tens of milliseconds): sample every second
 * or every few tens of MiB, not per chunk; content held by mistake only grows, so sparse samples still see it. */
export class LiveMemory {
  private readonly gc = collector();
  readonly before: number;
  private peak: number;

  constructor() {
    this.before = this.peak = this.live();
  }

  private live(): number {
    this.gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  }

  sample(): void {
    this.peak = Math.max(this.peak, this.live());
  }

  /** The most the live memory grew above where it was at construction, in MiB. */
  get grewMiB(): number {
    return (this.peak - this.before) / 2 ** 20;
  }
}

/**
 * Runs `work`, sampling live memory every `everyMs` while it runs and once at its end. Work that never yields to the
 * event loop (microtasks only) is not sampled by the timer: call `sample()` from inside it instead.
 */
export async function peakLiveMemory<T>(
  work: (memory: LiveMemory) => Promise<T>,
  everyMs = 1000,
): Promise<{ result: T; grewMiB: number }> {
  const memory = new LiveMemory();
  const timer = setInterval(() => memory.sample(), everyMs);
  try {
    const result = await work(memory);
    memory.sample();
    return { result, grewMiB: memory.grewMiB };
  } finally {
    clearInterval(timer);
  }
}
