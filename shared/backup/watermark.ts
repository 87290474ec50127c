// Rounds of a container Graph tracks no changes of (ContainerWorkload.watermark): which round is a full one, what
// of a listing is new since the last round, and what a completed round records. Pure; sync-container applies it.
import type { Watermark } from '../catalog/cursor-store';
import type { GraphItem, Watermarked } from './workloads/workload';

/** When a watermark container is listed whole again (a reconciliation that records what is gone). */
export interface ReconcilePolicy {
  /** Every this many rounds (1: every round). */
  everyRounds: number;
  /** Or once the last full round is this old. */
  afterMs: number;
}

export const DEFAULT_RECONCILE: ReconcilePolicy = { everyRounds: 7, afterMs: 7 * 86_400_000 };

const time = (iso: string | undefined): number => (iso === undefined ? NaN : Date.parse(iso));

const later = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined || time(a) >= time(b) ? a : b;

/** Whether the round about to start lists everything. */
export function fullRoundDue(
  w: Watermarked,
  state: Watermark | undefined,
  policy: ReconcilePolicy,
  now: Date,
): boolean {
  if (w.everyRound || state?.reconciledAt === undefined) return true;
  if ((state.rounds ?? 0) + 1 >= policy.everyRounds) return true;
  return now.getTime() - time(state.reconciledAt) >= policy.afterMs;
}

/**
 * What of a page a round takes: all of it in a full round; in a watermark round, what was delivered at or after the
 * last round's mark (at: a delivery in the same second as the mark may have come after that listing). The round stops
 * at an older item when the page comes newest first, as Exchange lists threads; a page out of that order (nothing
 * documents it) is taken in full and the listing goes on, so nothing newer is missed behind it.
 */
export function sinceMark(
  w: Watermarked,
  items: GraphItem[],
  state: Watermark | undefined,
  full: boolean,
): { items: GraphItem[]; stop: boolean } {
  const mark = state?.mark;
  if (full || mark === undefined) return { items, stop: false };
  const fresh = items.filter((i) => {
    const m = w.markOf(i);
    return m === undefined || time(m) >= time(mark);
  });
  const marks = items.map((i) => time(w.markOf(i)));
  const newestFirst = marks.every((m, i) => i === 0 || !(m > marks[i - 1]));
  return { items: fresh, stop: newestFirst && fresh.length < items.length };
}

/** The round's state after a page: the highest mark listed so far. */
export function afterPage(w: Watermarked, state: Watermark | undefined, listed: GraphItem[]): Watermark {
  const roundMark = listed.map((i) => w.markOf(i)).reduce(later, state?.roundMark);
  return { ...state, ...(roundMark !== undefined ? { roundMark } : {}) };
}

/** What a completed round leaves for the next. */
export function completed(w: Watermarked, state: Watermark, full: boolean, now: Date): Watermark {
  const { roundMark, mark: before, reconciledAt, rounds } = state;
  const mark = w.mark ?? (full ? roundMark : later(before, roundMark));
  return {
    ...(mark !== undefined ? { mark } : {}),
    ...(full ? { reconciledAt: now.toISOString(), rounds: 0 } : { rounds: (rounds ?? 0) + 1 }),
    ...(!full && reconciledAt !== undefined ? { reconciledAt } : {}),
  };
}
