import { ORPHANED_AFTER_MS, unfinishedReason } from '../../../shared/retention/retention-steps';

describe('unfinishedReason: when a retention run recorded as running has ended without finishing', () => {
  const now = new Date('2026-12-03T10:00:00Z');
  const running = { status: 'running' as const, startedAt: '2026-12-03T09:59:00Z' };

  it('says nothing of a run that recorded its end, or whose orchestration is still going', () => {
    expect(unfinishedReason({ ...running, status: 'success' }, { runtimeStatus: 'Terminated' }, now)).toBeUndefined();
    for (const runtimeStatus of ['Running', 'Pending', 'Suspended', 'ContinuedAsNew'])
      expect(unfinishedReason(running, { runtimeStatus }, now)).toBeUndefined();
  });

  it('never settles beside a completed orchestration: its last step recorded the end, the record read was stale', () => {
    expect(unfinishedReason(running, { runtimeStatus: 'Completed', output: 'success' }, now)).toBeUndefined();
  });

  it('names a terminated, failed or canceled orchestration, with what it said', () => {
    expect(unfinishedReason(running, { runtimeStatus: 'Terminated', output: 'operator' }, now)).toMatch(
      /^The run's orchestration was terminated \(operator\) before the run finished\./,
    );
    expect(unfinishedReason(running, { runtimeStatus: 'Failed', output: 'Error: boom\n  at x' }, now)).toMatch(
      /^The run's orchestration failed \(Error: boom\) before/,
    );
    expect(unfinishedReason(running, { runtimeStatus: 'Canceled' }, now)).toMatch(/was canceled before/);
  });

  it('waits for a record whose orchestration has not started yet, and settles it once it never will', () => {
    expect(unfinishedReason(running, undefined, now)).toBeUndefined();
    const old = new Date(Date.parse(running.startedAt) + ORPHANED_AFTER_MS + 1);
    expect(unfinishedReason(running, undefined, old)).toMatch(/never started, or its history was purged/);
  });
});
