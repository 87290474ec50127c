import { rpoHours } from '../../../shared/domain/schedule-rpo';
import { schedule, type Schedule } from '../../../shared/domain/schedule';

const s = (o: Record<string, unknown>): Schedule =>
  schedule.parse({ timeZone: 'Europe/Berlin', startAt: '02:00', ...o });

describe('rpoHours: the longest wait between two starts a job promises', () => {
  it('daily: a day, or the longest gap between the chosen weekdays', () => {
    expect(rpoHours([s({ kind: 'daily' })])).toBe(24);
    expect(rpoHours([s({ kind: 'daily', days: ['mon', 'tue', 'wed', 'thu', 'fri'] })])).toBe(72);
    expect(rpoHours([s({ kind: 'daily', days: ['sun'] })])).toBe(168);
  });

  it('periodic: the interval inside the window, or the night from its last start to the next first', () => {
    // 08:00-18:00 every 60 min: last start 17:00, next 08:00 → 15 h.
    expect(rpoHours([s({ kind: 'periodic', startAt: '08:00', endAt: '18:00', everyMinutes: 60 })])).toBe(15);
    // Around the clock every 30 minutes.
    expect(rpoHours([s({ kind: 'periodic', startAt: '00:00', endAt: '00:00', everyMinutes: 30 })])).toBe(0.5);
    // Weekdays only: Friday 17:00 to Monday 08:00.
    expect(
      rpoHours([
        s({
          kind: 'periodic',
          startAt: '08:00',
          endAt: '18:00',
          everyMinutes: 60,
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
        }),
      ]),
    ).toBe(63);
  });

  it('monthly and yearly: a month (or the months between) of 31 days, plus a week for weekday rules', () => {
    expect(rpoHours([s({ kind: 'monthly', on: { day: 1 } })])).toBe(37 * 24);
    expect(rpoHours([s({ kind: 'monthly', months: [1], on: { day: 'last' } })])).toBe((12 * 31 + 6) * 24);
  });

  it('several schedules: the shortest bound; chained or on demand only: none', () => {
    expect(rpoHours([s({ kind: 'monthly', on: { day: 1 } }), s({ kind: 'daily' })])).toBe(24);
    expect(rpoHours([schedule.parse({ kind: 'afterJob', jobId: 'j1' })])).toBeUndefined();
    expect(rpoHours([])).toBeUndefined();
  });
});
