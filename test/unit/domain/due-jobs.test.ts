import { dueStart } from '../../../shared/backup/due-jobs';
import { JobDoc, jobInput } from '../../../shared/inventory/schemas';

const job = (over: Record<string, unknown>): JobDoc => ({
  ...jobInput.parse({ name: 'Nightly', accountId: 'a', sources: { scope: 'account' }, ...over }),
  id: 'j1',
  type: 'job',
  createdAt: '2026-11-01T00:00:00.000Z',
  updatedAt: '2026-11-01T00:00:00.000Z',
  ...(over.lastScheduledFor ? { lastScheduledFor: over.lastScheduledFor as string } : {}),
});

describe('dueStart', () => {
  const nightly = { kind: 'daily', timeZone: 'UTC', startAt: '22:00', endAt: '06:00' };
  it('starts the latest timed occurrence with its stop time', () => {
    const d = dueStart(job({ schedules: [nightly] }), new Date('2026-11-23T22:00:30Z'), () => undefined);
    expect(d).toEqual({
      scheduledFor: new Date('2026-11-23T22:00:00Z'),
      stopAt: new Date('2026-11-24T06:00:00Z'),
      trigger: 'schedule',
    });
  });
  it('does not start an occurrence already started, nor a disabled job, nor an on-demand job', () => {
    expect(
      dueStart(
        job({ schedules: [nightly], lastScheduledFor: '2026-11-23T22:00:00.000Z' }),
        new Date('2026-11-23T22:05:00Z'),
        () => undefined,
      ),
    ).toBeNull();
    expect(
      dueStart(job({ schedules: [nightly], enabled: false }), new Date('2026-11-23T22:00:30Z'), () => undefined),
    ).toBeNull();
    expect(dueStart(job({}), new Date('2026-11-23T22:00:30Z'), () => undefined)).toBeNull();
  });
  it('starts a chained job after its predecessor, once', () => {
    const chained = job({ schedules: [{ kind: 'afterJob', jobId: 'j0', delayMinutes: 10 }] });
    const last = { jobId: 'j0', outcome: 'success' as const, endedAt: new Date('2026-11-23T23:00:00Z') };
    expect(dueStart(chained, new Date('2026-11-23T23:05:00Z'), () => last)).toBeNull();
    expect(dueStart(chained, new Date('2026-11-23T23:10:00Z'), () => last)).toEqual({
      scheduledFor: new Date('2026-11-23T23:10:00Z'),
      trigger: 'chained',
    });
    expect(
      dueStart(
        { ...chained, lastScheduledFor: '2026-11-23T23:10:00.000Z' },
        new Date('2026-11-23T23:30:00Z'),
        () => last,
      ),
    ).toBeNull();
  });
  it('picks the most recent occurrence among several schedules', () => {
    const d = dueStart(
      job({
        schedules: [nightly, { kind: 'periodic', timeZone: 'UTC', startAt: '08:00', endAt: '20:00', everyMinutes: 60 }],
      }),
      new Date('2026-11-23T19:30:00Z'),
      () => undefined,
    );
    expect(d?.scheduledFor).toEqual(new Date('2026-11-23T19:00:00Z'));
  });
});
