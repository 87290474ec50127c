import type { PointStatus, RecoveryPointDoc } from '../../../shared/catalog/points-store';
import { InvalidRecoveryPoint, usablePoint } from '../../../shared/catalog/usable-point';

const point = (seq: number, status: PointStatus): RecoveryPointDoc => ({
  id: `r${seq}`,
  accountId: 'a',
  protectedItemId: 'a.mailbox.u',
  jobId: 'j',
  runId: `r${seq}`,
  seq,
  status,
  startedAt: '2026-01-01T00:00:00Z',
  containers: {},
  alarms: [],
});

describe('which recovery points may be used', () => {
  const statuses: PointStatus[] = ['running', 'success', 'warning', 'partial', 'failed', 'stopped'];
  const points = statuses.map((s, i) => point(i + 1, s));

  it('allows finished points that kept something, refuses running and failed ones', () => {
    const usable = statuses.filter((_, i) => {
      try {
        return usablePoint(points, i + 1, 'Adele').seq === i + 1;
      } catch (e) {
        if (e instanceof InvalidRecoveryPoint) return false;
        throw e;
      }
    });
    expect(usable).toEqual(['success', 'warning', 'partial', 'stopped']);
  });

  it('refuses an unknown point, naming it and the item', () => {
    expect(() => usablePoint(points, 99, 'Adele')).toThrow(
      "Recovery point 99 of 'Adele' is not a valid recovery point.",
    );
  });
});
