import { chainedStart, latestOccurrence, schedule, TimedSchedule } from '../../../shared/domain/schedule';
import { instantOf, wallClockAt } from '../../../shared/domain/zoned-time';

const parse = (s: unknown): TimedSchedule => schedule.parse(s) as TimedSchedule;
const utc = (iso: string): Date => new Date(iso);

describe('zoned time', () => {
  it('converts wall time to UTC across DST (Europe/Berlin)', () => {
    expect(instantOf(2026, 1, 15, 22, 0, 'Europe/Berlin').toISOString()).toBe('2026-01-15T21:00:00.000Z');
    expect(instantOf(2026, 7, 15, 22, 0, 'Europe/Berlin').toISOString()).toBe('2026-07-15T20:00:00.000Z');
  });
  it('moves a skipped spring-forward time past the jump and picks the first of a repeated time', () => {
    // 2026-03-29 02:30 does not exist in Berlin; 2026-10-25 02:30 happens twice.
    expect(instantOf(2026, 3, 29, 2, 30, 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(instantOf(2026, 10, 25, 2, 30, 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });
  it('reads the local wall clock and weekday', () => {
    expect(wallClockAt(utc('2026-11-23T23:30:00Z'), 'Asia/Tokyo')).toMatchObject({
      year: 2026,
      month: 11,
      day: 24,
      hour: 8,
      minute: 30,
      weekday: 2,
    });
  });
});

describe('daily/weekly schedule', () => {
  const weekdays = parse({
    kind: 'daily',
    timeZone: 'Europe/Berlin',
    startAt: '22:00',
    endAt: '06:00',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  });

  it('is due at the latest start in the interval, with its stop time the next morning', () => {
    // Monday 2026-11-23 22:00 Berlin = 21:00Z
    const occ = latestOccurrence(weekdays, utc('2026-11-23T12:00:00Z'), utc('2026-11-23T21:00:30Z'));
    expect(occ?.at.toISOString()).toBe('2026-11-23T21:00:00.000Z');
    expect(occ?.stopAt?.toISOString()).toBe('2026-11-24T05:00:00.000Z');
  });
  it('is not due before the start time, nor twice for the same start', () => {
    expect(latestOccurrence(weekdays, utc('2026-11-23T12:00:00Z'), utc('2026-11-23T20:59:00Z'))).toBeNull();
    expect(latestOccurrence(weekdays, utc('2026-11-23T21:00:00Z'), utc('2026-11-23T21:05:00Z'))).toBeNull();
  });
  it('skips days not selected', () => {
    // Saturday 2026-11-28 22:00 Berlin
    expect(latestOccurrence(weekdays, utc('2026-11-28T12:00:00Z'), utc('2026-11-28T21:30:00Z'))).toBeNull();
  });
  it('collapses missed runs into the latest one and drops one whose window has closed', () => {
    const occ = latestOccurrence(weekdays, utc('2026-11-16T00:00:00Z'), utc('2026-11-20T23:00:00Z'));
    expect(occ?.at.toISOString()).toBe('2026-11-20T21:00:00.000Z');
    // Friday's window closed Saturday 06:00 Berlin; nothing due on Saturday noon.
    expect(latestOccurrence(weekdays, utc('2026-11-16T00:00:00Z'), utc('2026-11-21T12:00:00Z'))).toBeNull();
  });
  it('honours effective-from', () => {
    const s = parse({ kind: 'daily', timeZone: 'UTC', startAt: '01:00', effectiveFrom: '2026-12-01' });
    expect(latestOccurrence(s, utc('2026-11-01T00:00:00Z'), utc('2026-11-30T23:00:00Z'))).toBeNull();
    expect(latestOccurrence(s, utc('2026-11-01T00:00:00Z'), utc('2026-12-01T01:00:00Z'))?.at.toISOString()).toBe(
      '2026-12-01T01:00:00.000Z',
    );
  });
  it('keeps local time across the DST change', () => {
    const s = parse({ kind: 'daily', timeZone: 'America/New_York', startAt: '23:00' });
    expect(latestOccurrence(s, utc('2026-10-30T00:00:00Z'), utc('2026-10-31T12:00:00Z'))?.at.toISOString()).toBe(
      '2026-10-31T03:00:00.000Z',
    );
    expect(latestOccurrence(s, utc('2026-11-02T00:00:00Z'), utc('2026-11-03T12:00:00Z'))?.at.toISOString()).toBe(
      '2026-11-03T04:00:00.000Z',
    );
  });
});

describe('monthly/yearly schedule', () => {
  it('runs on the last Friday of the month', () => {
    const s = parse({ kind: 'monthly', timeZone: 'UTC', startAt: '03:00', on: { week: 'last', weekday: 'fri' } });
    expect(latestOccurrence(s, utc('2026-11-01T00:00:00Z'), utc('2026-11-30T00:00:00Z'))?.at.toISOString()).toBe(
      '2026-11-27T03:00:00.000Z',
    );
  });
  it('clamps day 31 to the last day of shorter months', () => {
    const s = parse({ kind: 'monthly', timeZone: 'UTC', startAt: '03:00', on: { day: 31 } });
    expect(latestOccurrence(s, utc('2026-02-01T00:00:00Z'), utc('2026-03-01T00:00:00Z'))?.at.toISOString()).toBe(
      '2026-02-28T03:00:00.000Z',
    );
  });
  it('is yearly with one month', () => {
    const s = parse({ kind: 'monthly', timeZone: 'UTC', startAt: '00:30', months: [1], on: { day: 1 } });
    expect(latestOccurrence(s, utc('2026-01-02T00:00:00Z'), utc('2026-12-31T00:00:00Z'))).toBeNull();
    expect(latestOccurrence(s, utc('2026-01-02T00:00:00Z'), utc('2027-01-01T01:00:00Z'))?.at.toISOString()).toBe(
      '2027-01-01T00:30:00.000Z',
    );
  });
  it('finds the second Tuesday', () => {
    const s = parse({ kind: 'monthly', timeZone: 'UTC', startAt: '12:00', on: { week: 'second', weekday: 'tue' } });
    expect(latestOccurrence(s, utc('2026-12-01T00:00:00Z'), utc('2026-12-31T00:00:00Z'))?.at.toISOString()).toBe(
      '2026-12-08T12:00:00.000Z',
    );
  });
});

describe('periodic schedule', () => {
  it('runs every N minutes inside the window only', () => {
    const s = parse({ kind: 'periodic', timeZone: 'UTC', startAt: '08:00', endAt: '18:00', everyMinutes: 90 });
    expect(latestOccurrence(s, utc('2026-11-23T00:00:00Z'), utc('2026-11-23T10:59:00Z'))?.at.toISOString()).toBe(
      '2026-11-23T09:30:00.000Z',
    );
    const last = latestOccurrence(s, utc('2026-11-23T16:00:00Z'), utc('2026-11-23T17:45:00Z'));
    expect(last?.at.toISOString()).toBe('2026-11-23T17:00:00.000Z');
    expect(last?.stopAt?.toISOString()).toBe('2026-11-23T18:00:00.000Z');
    expect(latestOccurrence(s, utc('2026-11-23T17:00:00Z'), utc('2026-11-23T23:00:00Z'))).toBeNull();
  });
  it('supports a window running past midnight', () => {
    const s = parse({ kind: 'periodic', timeZone: 'UTC', startAt: '22:00', endAt: '02:00', everyMinutes: 60 });
    const occ = latestOccurrence(s, utc('2026-11-23T20:00:00Z'), utc('2026-11-24T01:10:00Z'));
    expect(occ?.at.toISOString()).toBe('2026-11-24T01:00:00.000Z');
    expect(occ?.stopAt?.toISOString()).toBe('2026-11-24T02:00:00.000Z');
  });
});

describe('chained schedule', () => {
  const s = schedule.parse({ kind: 'afterJob', jobId: 'a', onSuccess: true, onFailure: false, delayMinutes: 15 });
  if (s.kind !== 'afterJob') throw new Error('unreachable');
  it('starts after a qualifying run, with the delay', () => {
    expect(
      chainedStart(s, { jobId: 'a', outcome: 'warning', endedAt: utc('2026-11-23T10:00:00Z') })?.toISOString(),
    ).toBe('2026-11-23T10:15:00.000Z');
  });
  it('ignores other jobs and non-qualifying outcomes', () => {
    expect(chainedStart(s, { jobId: 'b', outcome: 'success', endedAt: utc('2026-11-23T10:00:00Z') })).toBeNull();
    expect(chainedStart(s, { jobId: 'a', outcome: 'failed', endedAt: utc('2026-11-23T10:00:00Z') })).toBeNull();
  });
});

describe('schedule validation', () => {
  it('names the bad field', () => {
    const r = schedule.safeParse({ kind: 'daily', timeZone: 'Mars/Olympus', startAt: '25:00' });
    expect(r.success).toBe(false);
    const paths = r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['timeZone', 'startAt']));
  });
  it('rejects a periodic schedule without a window end or with too short an interval', () => {
    expect(schedule.safeParse({ kind: 'periodic', timeZone: 'UTC', startAt: '08:00', everyMinutes: 60 }).success).toBe(
      false,
    );
    expect(
      schedule.safeParse({ kind: 'periodic', timeZone: 'UTC', startAt: '08:00', endAt: '09:00', everyMinutes: 1 })
        .success,
    ).toBe(false);
  });
});
