// Grandfather-father-son retention of one protected item's recovery points. Pure: the retention orchestration reads
// the points, calls this, and prunes what it returns; holds and immutability are applied by the caller.
//
// Periods are calendar periods in the job's time zone, counted back from `now` (today is the first of "30 days"),
// as "keep one recovery point per day for 30 days" reads. Weeks start on the job's `weekStartsOn` day (ISO 8601's
// Monday by default): time zones carry no week convention of their own (that belongs to a locale), so the job says.
import type { PointStatus } from '../catalog/points-store';
import { weekdays } from '../domain/schedule';
import { wallClockAt } from '../domain/zoned-time';
import type { JobInput } from '../inventory/schemas';

export interface GfsPolicy {
  keepLast: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
  keepYearly: number;
}

/** 0 = Sunday … 6 = Saturday. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface PointFacts {
  seq: number;
  status: PointStatus;
  /** When the backup of the point started: the moment the point stands for. */
  startedAt: string;
}

export type KeepReason = 'last' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'base';

export interface RetentionDecision {
  /** Kept points with every reason that keeps them. */
  keep: Map<number, KeepReason[]>;
  /** Points to prune, oldest first. */
  prune: number[];
}

/** A job's policy and calendar: its retention's own time zone, else its first timed schedule's, else UTC. */
export function jobRetention(job: Pick<JobInput, 'retention' | 'schedules'>): {
  policy: GfsPolicy;
  timeZone: string;
  weekStartsOn: Weekday;
} {
  const { timeZone, weekStartsOn, ...policy } = job.retention;
  const scheduled = job.schedules.flatMap((s) => ('timeZone' in s ? [s.timeZone] : []))[0];
  return { policy, timeZone: timeZone ?? scheduled ?? 'UTC', weekStartsOn: weekdays.indexOf(weekStartsOn) as Weekday };
}

/** Completed without loss: what the rules keep first. */
const SUCCESSFUL: ReadonlySet<PointStatus> = new Set(['success', 'warning']);
/** Completed with items missing: kept by a rule only for a period that has no successful point. */
const USABLE: ReadonlySet<PointStatus> = new Set(['success', 'warning', 'partial', 'stopped']);

type Period = 'daily' | 'weekly' | 'monthly' | 'yearly';

/** A calendar period's index in the time zone: consecutive periods have consecutive indexes. */
function periodIndex(period: Period, at: Date, timeZone: string, weekStartsOn: Weekday): number {
  const w = wallClockAt(at, timeZone);
  const dayNumber = Math.floor(Date.UTC(w.year, w.month - 1, w.day) / 86_400_000);
  switch (period) {
    case 'daily':
      return dayNumber;
    case 'weekly':
      // 1970-01-01 was a Thursday (weekday 4): shift so that each week begins on weekStartsOn.
      return Math.floor((dayNumber + ((4 - weekStartsOn + 7) % 7)) / 7);
    case 'monthly':
      return w.year * 12 + (w.month - 1);
    case 'yearly':
      return w.year;
  }
}

const newestFirst = (a: PointFacts, b: PointFacts): number =>
  Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.seq - a.seq;

/**
 * Which points to keep and which to prune. Each rule keeps, for each of its most recent periods, the latest
 * successful point of the period (the latest usable one when none succeeded); `keepLast` keeps the newest successful
 * points; the rules combine as a union. Whatever the policy, the newest successful point and every point after it
 * (running, failed or partial) are kept: the next incremental backup builds on their versions, so pruning them would
 * break every later point.
 */
export function applyGfs(
  points: readonly PointFacts[],
  policy: GfsPolicy,
  opts: { now: Date; timeZone: string; weekStartsOn: Weekday },
): RetentionDecision {
  const keep = new Map<number, KeepReason[]>();
  const mark = (seq: number, reason: KeepReason): void => {
    const reasons = keep.get(seq) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
    keep.set(seq, reasons);
  };
  const sorted = [...points].sort(newestFirst);
  const bySeq = [...points].sort((a, b) => b.seq - a.seq);
  const newestGood = bySeq.find((p) => SUCCESSFUL.has(p.status));
  for (const p of bySeq) {
    if (newestGood && p.seq < newestGood.seq) break;
    mark(p.seq, 'base');
  }
  for (const p of sorted.filter((x) => SUCCESSFUL.has(x.status)).slice(0, policy.keepLast)) mark(p.seq, 'last');
  const rules: Array<[Period, number]> = [
    ['daily', policy.keepDaily],
    ['weekly', policy.keepWeekly],
    ['monthly', policy.keepMonthly],
    ['yearly', policy.keepYearly],
  ];
  for (const [period, count] of rules) {
    if (count <= 0) continue;
    const current = periodIndex(period, opts.now, opts.timeZone, opts.weekStartsOn);
    const chosen = new Map<number, PointFacts>();
    for (const p of sorted) {
      if (!USABLE.has(p.status)) continue;
      const index = Math.min(periodIndex(period, new Date(p.startedAt), opts.timeZone, opts.weekStartsOn), current);
      if (index <= current - count) continue;
      const held = chosen.get(index);
      // Newest first: the first seen wins, unless a successful point follows an unsuccessful first pick.
      if (!held || (!SUCCESSFUL.has(held.status) && SUCCESSFUL.has(p.status))) chosen.set(index, p);
    }
    for (const p of chosen.values()) mark(p.seq, period);
  }
  const prune = points
    .filter((p) => !keep.has(p.seq))
    .map((p) => p.seq)
    .sort((a, b) => a - b);
  return { keep, prune };
}
