// The records the workbook and alert rules read: names, dimensions (text) and measurements (numbers) from catalog
// documents, bounded texts, and nothing from the content (subjects, file names) that the documents hold elsewhere.
import {
  alarmEvent,
  backupRunEvent,
  EVENT,
  jobStatusEvent,
  recoveryEvent,
  recoveryPointEvent,
  retentionRunEvent,
} from '../../shared/telemetry/events';
import type { RecoveryPointDoc, RunDoc } from '../../shared/catalog/points-store';
import type { OperationDoc } from '../../shared/operations/operation-store';
import type { RetentionRunDoc } from '../../shared/retention/retention-steps';
import { emptyTotals } from '../../shared/retention/retention-steps';
import { schedule } from '../../shared/domain/schedule';

const job = { name: 'Nightly', schedules: [schedule.parse({ kind: 'daily', timeZone: 'UTC', startAt: '01:00' })] };

describe('telemetry records', () => {
  it('a backup run: its summary as measurements, its job and promise as dimensions', () => {
    const run: RunDoc = {
      id: 'r1',
      accountId: 'a1',
      jobId: 'j1',
      trigger: 'schedule',
      status: 'warning',
      startedAt: '2026-12-01T01:00:00.000Z',
      endedAt: '2026-12-01T01:02:30.000Z',
      items: 3,
      summary: {
        items: 3,
        itemsFailed: 0,
        written: 10,
        deleted: 1,
        bytes: 2048,
        storedBytes: 1024,
        graphRequests: 40,
        throttled: 2,
        skipped: 1,
      },
      alarms: [],
    };
    const e = backupRunEvent(run, job, { displayName: 'Contoso' });
    expect(e.name).toBe(EVENT.run);
    expect(e.dimensions).toEqual({
      runType: 'backup',
      runId: 'r1',
      accountId: 'a1',
      accountName: 'Contoso',
      jobId: 'j1',
      jobName: 'Nightly',
      trigger: 'schedule',
      status: 'warning',
      rpoHours: '24',
    });
    expect(e.measurements).toEqual({
      items: 3,
      itemsFailed: 0,
      written: 10,
      deleted: 1,
      bytes: 2048,
      storedBytes: 1024,
      graphRequests: 40,
      throttled: 2,
      skipped: 1,
      alarms: 0,
      durationSeconds: 150,
    });
    // A deleted job or account still gives a record.
    expect(backupRunEvent(run, undefined, undefined).dimensions).toMatchObject({
      jobName: '',
      accountName: '',
      rpoHours: '',
    });
  });

  it('a recovery point: totals over its containers, and no item names or skipped file names', () => {
    const point: RecoveryPointDoc = {
      id: 'p',
      accountId: 'a1',
      protectedItemId: 'a1.mailbox.u1',
      jobId: 'j1',
      runId: 'r1',
      seq: 4,
      status: 'partial',
      startedAt: '2026-12-01T01:00:00.000Z',
      completedAt: '2026-12-01T01:00:10.000Z',
      containers: {
        inbox: { status: 'done', written: 5, deleted: 0, bytes: 500, storedBytes: 400, graphRequests: 7, throttled: 1 },
        sent: { status: 'failed', written: 1, deleted: 2, bytes: 50, storedBytes: 0 },
      },
      alarms: [],
      skipped: [
        { containerId: 'inbox', itemId: 'm1', name: 'Q3 salaries.xlsx', code: 'item.skipped', reason: 'too big' },
      ],
    };
    const e = recoveryPointEvent(point, { kind: 'mailbox', displayName: 'Adele Vance' }, job);
    expect(e.dimensions).toMatchObject({
      itemKind: 'mailbox',
      itemName: 'Adele Vance',
      status: 'partial',
      rpoHours: '24',
    });
    expect(e.measurements).toMatchObject({
      written: 6,
      deleted: 2,
      bytes: 550,
      storedBytes: 400,
      graphRequests: 7,
      throttled: 1,
      skipped: 1,
      durationSeconds: 10,
    });
    expect(JSON.stringify(e)).not.toContain('salaries');
  });

  it('an alarm: code, cause and fix, texts bounded', () => {
    const e = alarmEvent(
      {
        code: 'graph.throttled',
        severity: 'warning',
        message: 'x'.repeat(5000),
        fix: 'Wait.',
        subject: { kind: 'mailbox', name: 'adele@contoso.com' },
      },
      { runType: 'backup', runId: 'r1', accountId: 'a1', jobId: 'j1' },
    );
    expect(e.name).toBe(EVENT.alarm);
    expect(e.dimensions).toMatchObject({
      code: 'graph.throttled',
      severity: 'warning',
      subject: 'mailbox adele@contoso.com',
      fix: 'Wait.',
      jobId: 'j1',
    });
    expect(e.dimensions.cause.length).toBe(1000);
  });

  it('a retention run and a restore, with who asked for it', () => {
    const retention: RetentionRunDoc = {
      id: 'rr',
      accountId: 'a1',
      jobId: '_retention',
      type: 'retention',
      trigger: 'manual',
      status: 'success',
      startedAt: '2026-12-01T03:00:00.000Z',
      endedAt: '2026-12-01T03:01:00.000Z',
      totals: { ...emptyTotals(), pointsRemoved: 4, bytesFreed: 99 },
    };
    expect(retentionRunEvent(retention, undefined)).toMatchObject({
      dimensions: { runType: 'retention', status: 'success', trigger: 'manual' },
      measurements: { pointsRemoved: 4, bytesFreed: 99, durationSeconds: 60 },
    });
    const op = {
      id: 'o1',
      accountId: 'a1',
      type: 'operation',
      kind: 'restore',
      status: 'completedWithWarnings',
      request: { selection: { items: ['secret-subject-id'] } },
      requestedBy: { id: 'oid-1', name: 'Megan Bowen' },
      createdAt: '2026-12-01T04:00:00.000Z',
      endedAt: '2026-12-01T04:00:05.000Z',
      counts: { total: 5, restored: 3, skipped: 1, failed: 1 },
      failures: [],
      ttl: 1,
    } as OperationDoc;
    const e = recoveryEvent(op);
    expect(e).toEqual({
      name: EVENT.recovery,
      dimensions: {
        operation: 'restore',
        id: 'o1',
        accountId: 'a1',
        requestedBy: 'Megan Bowen',
        requestedById: 'oid-1',
        status: 'completedWithWarnings',
      },
      measurements: { items: 5, itemsRestored: 3, itemsSkipped: 1, itemsFailed: 1, bytes: 0, durationSeconds: 5 },
    });
  });

  it("a job's standing: ok within 1.5 intervals of its last good run, overdue past them, never before its first", () => {
    const daily = { id: 'j1', accountId: 'a1', ...job, createdAt: '2026-11-01T00:00:00.000Z' };
    const at = (iso: string) => new Date(iso);
    const good = { startedAt: '2026-12-01T01:00:00.000Z', endedAt: '2026-12-01T01:10:00.000Z' };
    expect(jobStatusEvent(daily, { displayName: 'Contoso' }, good, at('2026-12-02T12:00:00.000Z'))).toEqual({
      name: EVENT.jobStatus,
      dimensions: {
        accountId: 'a1',
        accountName: 'Contoso',
        jobId: 'j1',
        jobName: 'Nightly',
        rpoHours: '24',
        lastSuccessAt: good.endedAt,
        status: 'ok',
      },
      measurements: { hoursSinceSuccess: 34.83, rpoHours: 24 },
    });
    expect(jobStatusEvent(daily, undefined, good, at('2026-12-02T13:11:00.000Z'))!.dimensions.status).toBe('overdue');
    const fresh = { ...daily, createdAt: '2026-12-02T00:00:00.000Z' };
    expect(jobStatusEvent(fresh, undefined, undefined, at('2026-12-02T12:00:00.000Z'))!.dimensions).toMatchObject({
      status: 'never',
      lastSuccessAt: '',
    });
    expect(jobStatusEvent(fresh, undefined, undefined, at('2026-12-04T00:00:00.000Z'))!.dimensions.status).toBe(
      'overdue',
    );
    expect(
      jobStatusEvent({ ...daily, schedules: [] }, undefined, good, at('2026-12-02T12:00:00.000Z')),
    ).toBeUndefined();
  });
});
