// The recovery point objective a job's schedules promise: the longest wait between two of its starts, as an upper
// bound. The missed-RPO alert (infra/) fires when a job has not succeeded for longer than this, so the bound errs
// long: a false "missed" page at night is worse than one a few hours late.
import type { Schedule } from './schedule';
import { weekdays } from './schedule';

const DAY_MINUTES = 24 * 60;
const minutesOf = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/** Largest cyclic step between sorted positions on a circle of `size` (a lone position: a whole turn). */
function largestStep(positions: readonly number[], size: number): number {
  const sorted = [...new Set(positions)].sort((a, b) => a - b);
  return Math.max(...sorted.map((p, i) => (i + 1 < sorted.length ? sorted[i + 1] : sorted[0] + size) - p));
}

/** Longest gap in minutes between two starts of one timed schedule. */
function longestGapMinutes(s: Exclude<Schedule, { kind: 'afterJob' }>): number {
  if (s.kind === 'monthly')
    // The same rule in each chosen month: at most a month of 31 days per month apart, plus a week for "the first
    // Monday" landing late in one month and early in the next.
    return (largestStep(s.months, 12) * 31 + 6) * DAY_MINUTES;
  const days = s.days.map((d) => weekdays.indexOf(d));
  const dayGap = largestStep(days, 7) * DAY_MINUTES;
  if (s.kind === 'daily') return dayGap;
  // Periodic: every `everyMinutes` inside the window, then from the window's last start to the next day's first.
  const start = minutesOf(s.startAt);
  let end = minutesOf(s.endAt);
  if (end <= start) end += DAY_MINUTES;
  const lastStart = start + Math.floor((end - 1 - start) / s.everyMinutes) * s.everyMinutes;
  return Math.max(s.everyMinutes, dayGap - (lastStart - start));
}

/**
 * Hours between two starts at most, over all of a job's timed schedules (several schedules start more often than
 * any one, so the shortest bound holds for all); undefined for a job only chained after others or run on demand.
 * Daylight-saving shifts of an hour are left to the alert's margin.
 */
export function rpoHours(schedules: readonly Schedule[]): number | undefined {
  const gaps = schedules.flatMap((s) => (s.kind === 'afterJob' ? [] : [longestGapMinutes(s)]));
  return gaps.length ? Math.min(...gaps) / 60 : undefined;
}
