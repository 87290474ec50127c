import fs from 'node:fs';

/** A process's resident set size in bytes, as Linux reports it. */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * Samples a process's RSS every `everyMs` while `work` runs: its RSS before, and the highest seen during. Sampling
 * (not a clock) decides nothing: the test bounds the growth, however long the work takes.
 */
export async function peakRss<T>(
  pid: number,
  work: () => Promise<T>,
  everyMs = 25,
): Promise<{ result: T; before: number; peak: number; grewMiB: number }> {
  const before = rssOf(pid);
  let peak = before;
  const timer = setInterval(() => {
    // The process may be gone (a test that timed out stops it while this still runs): nothing left to sample.
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      clearInterval(timer);
    }
  }, everyMs);
  try {
    const result = await work();
    peak = Math.max(peak, rssOf(pid));
    return { result, before, peak, grewMiB: (peak - before) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}
