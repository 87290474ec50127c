import fc from 'fast-check';
import type { PointStatus } from '../../../shared/catalog/points-store';
import { jobInput } from '../../../shared/inventory/schemas';
import {
  applyGfs,
  jobRetention,
  GfsPolicy,
  KeepReason,
  PointFacts,
  RetentionDecision,
  Weekday,
} from '../../../shared/retention/gfs-policy';

const NOW = new Date('2026-12-02T09:00:00Z');
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'America/St_Johns',
];
const NONE: GfsPolicy = { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 };
const YEAR_MS = 365 * 86_400_000;

const statuses: PointStatus[] = ['success', 'success', 'success', 'warning', 'partial', 'stopped', 'failed'];
/** Points over three years before NOW, with unique sequence numbers in time order (as backups allocate them). */
const pointsArb = fc
  .array(fc.record({ offset: fc.integer({ min: 0, max: 3 * YEAR_MS }), status: fc.constantFrom(...statuses) }), {
    maxLength: 120,
  })
  .map((raw) =>
    raw
      .sort((a, b) => b.offset - a.offset)
      .map((r, i): PointFacts => ({
        seq: i + 1,
        status: r.status,
        startedAt: new Date(NOW.getTime() - r.offset).toISOString(),
      })),
  );
const policyArb = fc.record({
  keepLast: fc.integer({ min: 0, max: 12 }),
  keepDaily: fc.integer({ min: 0, max: 40 }),
  keepWeekly: fc.integer({ min: 0, max: 10 }),
  keepMonthly: fc.integer({ min: 0, max: 14 }),
  keepYearly: fc.integer({ min: 0, max: 4 }),
});
const optsArb = fc.record({
  now: fc.constant(NOW),
  timeZone: fc.constantFrom(...ZONES),
  weekStartsOn: fc.constantFrom<Weekday>(0, 1, 6),
});

const kept = (d: RetentionDecision): number[] => [...d.keep.keys()].sort((a, b) => a - b);
const localDay = (iso: string, timeZone: string): string =>
  new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(iso),
  );

describe('GFS retention policy (properties)', () => {
  it('splits every point into kept or pruned, once', () => {
    fc.assert(
      fc.property(pointsArb, policyArb, optsArb, (points, policy, opts) => {
        const d = applyGfs(points, policy, opts);
        expect([...kept(d), ...d.prune].sort((a, b) => a - b)).toEqual(points.map((p) => p.seq).sort((a, b) => a - b));
      }),
    );
  });

  it('never prunes a point that any single rule keeps', () => {
    fc.assert(
      fc.property(pointsArb, policyArb, optsArb, (points, policy, opts) => {
        const all = applyGfs(points, policy, opts);
        for (const rule of Object.keys(NONE) as Array<keyof GfsPolicy>) {
          for (const seq of kept(applyGfs(points, { ...NONE, [rule]: policy[rule] }, opts)))
            expect(all.keep.has(seq)).toBe(true);
        }
      }),
    );
  });

  it('does not depend on the order of its input', () => {
    fc.assert(
      fc.property(pointsArb, policyArb, optsArb, fc.integer(), (points, policy, opts, seed) => {
        const shuffled = fc.sample(
          fc.shuffledSubarray(points, { minLength: points.length, maxLength: points.length }),
          { seed, numRuns: 1 },
        )[0];
        const a = applyGfs(points, policy, opts);
        const b = applyGfs(shuffled, policy, opts);
        expect(kept(b)).toEqual(kept(a));
        expect(b.prune).toEqual(a.prune);
        for (const [seq, reasons] of a.keep) expect([...b.keep.get(seq)!].sort()).toEqual([...reasons].sort());
      }),
    );
  });

  it('prunes nothing more when applied again', () => {
    fc.assert(
      fc.property(pointsArb, policyArb, optsArb, (points, policy, opts) => {
        const first = applyGfs(points, policy, opts);
        const again = applyGfs(
          points.filter((p) => first.keep.has(p.seq)),
          policy,
          opts,
        );
        expect(again.prune).toEqual([]);
      }),
    );
  });

  it('keeps more, never less, when a count grows', () => {
    fc.assert(
      fc.property(
        pointsArb,
        policyArb,
        optsArb,
        fc.constantFrom<keyof GfsPolicy>('keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'),
        (points, policy, opts, rule) => {
          const before = applyGfs(points, policy, opts);
          const after = applyGfs(points, { ...policy, [rule]: policy[rule] + 1 }, opts);
          for (const seq of before.keep.keys()) expect(after.keep.has(seq)).toBe(true);
        },
      ),
    );
  });

  it('always keeps the newest successful point and everything after it, whatever the policy', () => {
    fc.assert(
      fc.property(pointsArb, optsArb, (points, opts) => {
        const d = applyGfs(points, NONE, opts);
        const newestGood = Math.max(
          0,
          ...points.filter((p) => p.status === 'success' || p.status === 'warning').map((p) => p.seq),
        );
        expect(kept(d)).toEqual(
          points
            .map((p) => p.seq)
            .filter((s) => s >= newestGood)
            .sort((a, b) => a - b),
        );
      }),
    );
  });

  it('keeps at most one point per local day under the daily rule, the latest successful one of that day', () => {
    fc.assert(
      fc.property(pointsArb, fc.integer({ min: 1, max: 40 }), optsArb, (points, days, opts) => {
        const d = applyGfs(points, { ...NONE, keepDaily: days }, opts);
        const daily = points.filter((p) => d.keep.get(p.seq)?.includes('daily'));
        const dayOf = (p: PointFacts): string => localDay(p.startedAt, opts.timeZone);
        expect(new Set(daily.map(dayOf)).size).toBe(daily.length);
        expect(daily.length).toBeLessThanOrEqual(days);
        for (const p of daily) {
          const sameDay = points.filter(
            (q) => dayOf(q) === dayOf(p) && (q.status === 'success' || q.status === 'warning'),
          );
          if (sameDay.length > 0) expect(p.seq).toBe(Math.max(...sameDay.map((q) => q.seq)));
        }
      }),
    );
  });
});

const at = (iso: string, seq: number, status: PointStatus = 'success'): PointFacts => ({ seq, status, startedAt: iso });
const reasons = (d: RetentionDecision): Record<number, KeepReason[]> =>
  Object.fromEntries([...d.keep].map(([s, r]) => [s, [...r].sort()]));

describe('GFS retention policy (calendar cases)', () => {
  it('counts days in the job time zone across the spring DST change (Europe/Berlin, 29 March 2026)', () => {
    // 22:30Z is 23:30 on the 28th (CET); 23:30Z is 01:30 on the 29th: two days, both kept.
    const points = [at('2026-03-28T22:30:00Z', 1), at('2026-03-28T23:30:00Z', 2), at('2026-03-29T21:30:00Z', 3)];
    const d = applyGfs(
      points,
      { ...NONE, keepDaily: 7 },
      { now: new Date('2026-03-30T12:00:00Z'), timeZone: 'Europe/Berlin', weekStartsOn: 1 },
    );
    // 21:30Z on the 29th is 23:30 CEST, still the 29th: the 29th keeps its latest (3), the 28th its only one (1).
    expect(reasons(d)).toEqual({ 1: ['daily'], 3: ['base', 'daily'] });
    expect(d.prune).toEqual([2]);
  });

  it('keeps one point for the 25-hour autumn day (Europe/Berlin, 25 October 2026)', () => {
    const points = [at('2026-10-24T22:30:00Z', 1), at('2026-10-25T22:30:00Z', 2)]; // 00:30 CEST and 23:30 CET, both the 25th
    const d = applyGfs(
      points,
      { ...NONE, keepDaily: 3 },
      { now: new Date('2026-10-26T08:00:00Z'), timeZone: 'Europe/Berlin', weekStartsOn: 1 },
    );
    expect(reasons(d)).toEqual({ 2: ['base', 'daily'] });
    expect(d.prune).toEqual([1]);
  });

  it('keeps one point for a week that spans new year, and one per year on each side', () => {
    // Wednesday 31 Dec 2025 and Friday 2 Jan 2026 share the ISO week that starts on Monday 29 December.
    const points = [at('2025-12-31T12:00:00Z', 1), at('2026-01-02T12:00:00Z', 2), at('2026-01-05T12:00:00Z', 3)];
    const opts = { now: new Date('2026-01-06T12:00:00Z'), timeZone: 'UTC', weekStartsOn: 1 as Weekday };
    expect(reasons(applyGfs(points, { ...NONE, keepWeekly: 4 }, opts))).toEqual({
      2: ['weekly'],
      3: ['base', 'weekly'],
    });
    expect(reasons(applyGfs(points, { ...NONE, keepYearly: 2 }, opts))).toEqual({
      1: ['yearly'],
      3: ['base', 'yearly'],
    });
    // Weeks starting on Saturday: Sat 27 Dec – Fri 2 Jan, then Sat 3 Jan – Fri 9 Jan.
    expect(reasons(applyGfs(points, { ...NONE, keepWeekly: 4 }, { ...opts, weekStartsOn: 6 }))).toEqual({
      2: ['weekly'],
      3: ['base', 'weekly'],
    });
    // Weeks starting on Sunday: Sun 28 Dec – Sat 3 Jan holds points 1 and 2; Sun 4 Jan holds 3.
    expect(reasons(applyGfs(points, { ...NONE, keepWeekly: 1 }, { ...opts, weekStartsOn: 0 }))).toEqual({
      3: ['base', 'weekly'],
    });
  });

  it('puts a point in the year its time zone shows (23:30 UTC on 31 December is already 2026 in Berlin)', () => {
    const points = [at('2025-12-31T20:00:00Z', 1), at('2025-12-31T23:30:00Z', 2), at('2026-06-01T12:00:00Z', 3)];
    const opts = { now: new Date('2026-07-01T00:00:00Z'), weekStartsOn: 1 as Weekday };
    expect(reasons(applyGfs(points, { ...NONE, keepYearly: 2 }, { ...opts, timeZone: 'Europe/Berlin' }))).toEqual({
      1: ['yearly'],
      3: ['base', 'yearly'],
    });
    expect(reasons(applyGfs(points, { ...NONE, keepYearly: 2 }, { ...opts, timeZone: 'UTC' }))).toEqual({
      2: ['yearly'],
      3: ['base', 'yearly'],
    });
  });

  it('prefers a successful point for a period and falls back to a partial one only when none succeeded', () => {
    const points = [
      at('2026-11-01T08:00:00Z', 1),
      at('2026-11-01T20:00:00Z', 2, 'partial'),
      at('2026-11-02T20:00:00Z', 3, 'partial'),
      at('2026-11-03T08:00:00Z', 4, 'failed'),
      at('2026-11-04T08:00:00Z', 5),
    ];
    const d = applyGfs(
      points,
      { ...NONE, keepDaily: 10 },
      { now: new Date('2026-11-05T00:00:00Z'), timeZone: 'UTC', weekStartsOn: 1 },
    );
    expect(reasons(d)).toEqual({ 1: ['daily'], 3: ['daily'], 5: ['base', 'daily'] });
    expect(d.prune).toEqual([2, 4]);
  });

  it('keeps the last N successful points, and a failed run after the newest success as the base of the next one', () => {
    const points = [
      at('2026-11-01T00:00:00Z', 1),
      at('2026-11-02T00:00:00Z', 2),
      at('2026-11-03T00:00:00Z', 3),
      at('2026-11-04T00:00:00Z', 4, 'failed'),
      at('2026-11-05T00:00:00Z', 5, 'running'),
    ];
    const d = applyGfs(points, { ...NONE, keepLast: 2 }, { now: NOW, timeZone: 'UTC', weekStartsOn: 1 });
    expect(reasons(d)).toEqual({ 2: ['last'], 3: ['base', 'last'], 4: ['base'], 5: ['base'] });
    expect(d.prune).toEqual([1]);
  });

  it('counts a day from today back: "7 days" on 2 December keeps 26 November to 2 December', () => {
    const points = Array.from({ length: 10 }, (_, i) =>
      at(new Date(Date.UTC(2026, 10, 23 + i, 12)).toISOString(), i + 1),
    );
    const d = applyGfs(
      points,
      { ...NONE, keepDaily: 7 },
      { now: new Date('2026-12-02T13:00:00Z'), timeZone: 'UTC', weekStartsOn: 1 },
    );
    expect(d.prune).toEqual([1, 2, 3]);
  });
});

describe("a job's retention calendar", () => {
  it('uses the retention time zone, else the first timed schedule, else UTC; weeks start on Monday unless set', () => {
    const job = (input: unknown) =>
      jobInput.parse({ name: 'j', accountId: 'a', sources: { scope: 'account' }, ...(input as object) });
    expect(jobRetention(job({}))).toEqual({
      policy: { keepLast: 10, keepDaily: 30, keepWeekly: 4, keepMonthly: 12, keepYearly: 3 },
      timeZone: 'UTC',
      weekStartsOn: 1,
    });
    const daily = { kind: 'daily', timeZone: 'Asia/Tokyo', startAt: '22:00', days: ['mon'] };
    expect(jobRetention(job({ schedules: [daily] })).timeZone).toBe('Asia/Tokyo');
    const r = jobRetention(
      job({ schedules: [daily], retention: { keepDaily: 7, timeZone: 'America/Chicago', weekStartsOn: 'sun' } }),
    );
    expect(r).toMatchObject({ timeZone: 'America/Chicago', weekStartsOn: 0, policy: { keepDaily: 7, keepLast: 10 } });
    expect(
      jobInput.safeParse({
        name: 'j',
        accountId: 'a',
        sources: { scope: 'account' },
        retention: { timeZone: 'Mars/Olympus' },
      }).success,
    ).toBe(false);
  });
});
