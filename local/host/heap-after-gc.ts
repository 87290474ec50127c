// Live heap, for benchmarks: RSS only shows how far V8 let the heap grow before collecting, not what the host holds.
// The heap in use right after a major (mark-compact) collection is what survives it, so a structure that grows with
// the catalog shows there and garbage does not. Observed, not forced: no `--expose-gc`, no added pauses.
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';

/** The line each sample prints, `[host] heap after major gc <bytes>`; benchmarks parse it. */
export const HEAP_LINE = /\[host\] heap after major gc (\d+)/;

/** Prints the heap in use after every major collection (M365V_HOST_HEAP_LOG=1). */
export function logHeapAfterMajorGc(): PerformanceObserver {
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR)
        console.log(`[host] heap after major gc ${process.memoryUsage().heapUsed}`);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return observer;
}
