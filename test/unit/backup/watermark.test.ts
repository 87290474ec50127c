import { completed, fullRoundDue, sinceMark } from '../../../shared/backup/watermark';
import type { Watermarked } from '../../../shared/backup/workloads/workload';

const w: Watermarked = { markOf: (i) => i.at as string };
const item = (id: string, day: number) => ({ id, at: `2026-07-${String(day).padStart(2, '0')}T00:00:00Z` });
const mark = '2026-07-05T00:00:00Z';

describe('watermark rounds', () => {
  it('takes what was delivered at or after the mark and stops at an older item of a newest-first page', () => {
    const r = sinceMark(w, [item('a', 9), item('b', 5), item('c', 4), item('d', 2)], { mark }, false);
    expect(r).toEqual({ items: [item('a', 9), item('b', 5)], stop: true });
  });
  it('goes on past a page out of newest-first order, taking what is newer wherever it is', () => {
    const r = sinceMark(w, [item('a', 9), item('c', 4), item('e', 7)], { mark }, false);
    expect(r).toEqual({ items: [item('a', 9), item('e', 7)], stop: false });
  });
  it('takes everything in a full round or before any mark', () => {
    const page = [item('a', 9), item('c', 4)];
    expect(sinceMark(w, page, { mark }, true)).toEqual({ items: page, stop: false });
    expect(sinceMark(w, page, undefined, false)).toEqual({ items: page, stop: false });
  });
  it('reconciles on the first round, every Nth round, once the last full one is old enough, or every round', () => {
    const policy = { everyRounds: 3, afterMs: 86_400_000 };
    const now = new Date('2026-07-10T12:00:00Z');
    const recent = '2026-07-10T00:00:00Z';
    expect(fullRoundDue(w, undefined, policy, now)).toBe(true);
    expect(fullRoundDue(w, { mark, reconciledAt: recent, rounds: 1 }, policy, now)).toBe(false);
    expect(fullRoundDue(w, { mark, reconciledAt: recent, rounds: 2 }, policy, now)).toBe(true);
    expect(fullRoundDue(w, { mark, reconciledAt: '2026-07-09T11:00:00Z', rounds: 0 }, policy, now)).toBe(true);
    expect(fullRoundDue({ ...w, everyRound: true }, { reconciledAt: recent, rounds: 0 }, policy, now)).toBe(true);
  });
  it('records the highest mark of a watermark round, the listed one of a full round, or the one given', () => {
    const now = new Date('2026-07-10T12:00:00Z');
    expect(completed(w, { mark, roundMark: '2026-07-03T00:00:00Z', reconciledAt: 'x', rounds: 1 }, false, now)).toEqual(
      { mark, reconciledAt: 'x', rounds: 2 },
    );
    expect(completed(w, { mark, roundMark: '2026-07-03T00:00:00Z' }, true, now)).toEqual({
      mark: '2026-07-03T00:00:00Z',
      reconciledAt: now.toISOString(),
      rounds: 0,
    });
    expect(completed({ ...w, mark: 'given' }, {}, true, now)).toMatchObject({ mark: 'given' });
  });
});
