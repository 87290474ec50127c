// Backup job schedules as administrators know them from comparable products: daily/weekly, monthly/yearly,
// periodic within a window, and chained after another job; several per job, each with an optional effective-from
// date and an end time after which a still-running job is stopped. Pure: the scheduler timer asks what is due.
import { z } from 'zod';
import { addDays, daysInMonth, instantOf, isValidTimeZone, wallClockAt } from './zoned-time';

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');
export const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export const weekday = z.enum(weekdays);
export const timeZone = z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Berlin');
const effectiveFrom = z.iso.date().optional();

const timed = {
  timeZone,
  startAt: clockTime,
  /** The job is stopped if still running at this time (the next day when not after startAt). */
  endAt: clockTime.optional(),
  effectiveFrom,
};

export const dailySchedule = z.object({
  kind: z.literal('daily'),
  ...timed,
  days: z
    .array(weekday)
    .min(1)
    .default([...weekdays]),
});

export const monthlySchedule = z.object({
  kind: z.literal('monthly'),
  ...timed,
  /** Months to run in (1-12); one month makes it a yearly schedule. */
  months: z.array(z.number().int().min(1).max(12)).min(1).default([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
  /** A day of the month (clamped to the month's last day), 'last', or e.g. the last Friday. */
  on: z.union([
    z.object({ day: z.union([z.number().int().min(1).max(31), z.literal('last')]) }),
    z.object({ week: z.enum(['first', 'second', 'third', 'fourth', 'last']), weekday }),
  ]),
});

export const periodicSchedule = z.object({
  kind: z.literal('periodic'),
  ...timed,
  endAt: clockTime,
  everyMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60),
  days: z
    .array(weekday)
    .min(1)
    .default([...weekdays]),
});

export const afterJobSchedule = z.object({
  kind: z.literal('afterJob'),
  jobId: z.string().min(1),
  onSuccess: z.boolean().default(true),
  onFailure: z.boolean().default(false),
  onStopped: z.boolean().default(false),
  delayMinutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .default(0),
  effectiveFrom,
});

export const schedule = z.discriminatedUnion('kind', [
  dailySchedule,
  monthlySchedule,
  periodicSchedule,
  afterJobSchedule,
]);
export type Schedule = z.infer<typeof schedule>;
export type TimedSchedule = Exclude<Schedule, { kind: 'afterJob' }>;

export interface Occurrence {
  at: Date;
  /** When a run started by this occurrence must be stopped, if the schedule has an end time. */
  stopAt?: Date;
}

type Day = { year: number; month: number; day: number; weekday: number };
const minutesOf = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

function isEffective(s: { effectiveFrom?: string | undefined }, day: Day): boolean {
  if (!s.effectiveFrom) return true;
  const iso = `${day.year}-${String(day.month).padStart(2, '0')}-${String(day.day).padStart(2, '0')}`;
  return iso >= s.effectiveFrom;
}

function monthlyMatches(s: z.infer<typeof monthlySchedule>, d: Day): boolean {
  if (!s.months.includes(d.month)) return false;
  const last = daysInMonth(d.year, d.month);
  if ('day' in s.on) return d.day === (s.on.day === 'last' ? last : Math.min(s.on.day, last));
  if (d.weekday !== weekdays.indexOf(s.on.weekday)) return false;
  const ordinal = Math.ceil(d.day / 7);
  return s.on.week === 'last'
    ? d.day + 7 > last
    : ordinal === ['first', 'second', 'third', 'fourth'].indexOf(s.on.week) + 1;
}

/** Start times (minutes after midnight) the schedule has on a given local day. */
function startsOn(s: TimedSchedule, d: Day): number[] {
  if (!isEffective(s, d)) return [];
  if (s.kind === 'monthly') return monthlyMatches(s, d) ? [minutesOf(s.startAt)] : [];
  if (!s.days.includes(weekdays[d.weekday])) return [];
  if (s.kind === 'daily') return [minutesOf(s.startAt)];
  const start = minutesOf(s.startAt);
  let end = minutesOf(s.endAt);
  if (end <= start) end += 24 * 60; // window runs past midnight
  const starts: number[] = [];
  for (let m = start; m < end; m += s.everyMinutes) starts.push(m);
  return starts;
}

/** A periodic run stops when its window closes; any other run at the first `endAt` after it started. */
function stopFor(s: TimedSchedule, windowDay: Day, at: Date): Date | undefined {
  if (!s.endAt) return undefined;
  const end = minutesOf(s.endAt);
  const closeOn = (d: Day): Date => instantOf(d.year, d.month, d.day, Math.floor(end / 60), end % 60, s.timeZone);
  const sameDay = closeOn(windowDay);
  const nextDay = closeOn(addDays(windowDay.year, windowDay.month, windowDay.day, 1));
  if (s.kind === 'periodic') return end <= minutesOf(s.startAt) ? nextDay : sameDay;
  return sameDay > at ? sameDay : nextDay;
}

const LOOKBACK_DAYS = 400;

/**
 * The latest occurrence in (notBefore, notAfter], or null. Missed occurrences collapse into the latest one (a job
 * down for a week runs once, not seven times); an occurrence whose stop time has passed is not due any more.
 */
export function latestOccurrence(s: TimedSchedule, notBefore: Date, notAfter: Date): Occurrence | null {
  const today = wallClockAt(notAfter, s.timeZone);
  for (let back = -1; back <= LOOKBACK_DAYS; back++) {
    // -1 covers a periodic window that began yesterday and runs past midnight into today.
    const d = addDays(today.year, today.month, today.day, -back);
    const starts = startsOn(s, d).sort((a, b) => b - a);
    for (const minute of starts) {
      const shifted = addDays(d.year, d.month, d.day, Math.floor(minute / 1440));
      const at = instantOf(
        shifted.year,
        shifted.month,
        shifted.day,
        Math.floor((minute % 1440) / 60),
        minute % 60,
        s.timeZone,
      );
      if (at > notAfter) continue;
      if (at <= notBefore) return null;
      const stopAt = stopFor(s, d, at);
      if (stopAt && stopAt <= notAfter) return null;
      return stopAt ? { at, stopAt } : { at };
    }
    if (back >= 0 && instantOf(d.year, d.month, d.day, 0, 0, s.timeZone) <= notBefore) return null;
  }
  return null;
}

export type RunOutcome = 'success' | 'warning' | 'failed' | 'stopped';

/** When a chained job should start after another job's run ended, or null when the outcome does not qualify. */
export function chainedStart(
  s: z.infer<typeof afterJobSchedule>,
  previous: { jobId: string; outcome: RunOutcome; endedAt: Date },
): Date | null {
  if (previous.jobId !== s.jobId) return null;
  const qualifies =
    ((previous.outcome === 'success' || previous.outcome === 'warning') && s.onSuccess) ||
    (previous.outcome === 'failed' && s.onFailure) ||
    (previous.outcome === 'stopped' && s.onStopped);
  if (!qualifies) return null;
  const at = new Date(previous.endedAt.getTime() + s.delayMinutes * 60_000);
  if (s.effectiveFrom && at.toISOString().slice(0, 10) < s.effectiveFrom) return null;
  return at;
}
