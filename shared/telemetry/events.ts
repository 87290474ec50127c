// What the app tells Azure Monitor, one record per finished run, recovery point, alarm and restore or export: the
// workbook and the alert rules (infra/) read these, so names and fields are a contract (README, "Watching it in the
// Azure portal"). Pure: built from catalog documents. Records carry ids, names, counts and the product's own alarm
// texts, never message content, file names, tokens or secrets, and every text is bounded.
import type { Alarm } from '../domain/alarms';
import type { RecoveryPointDoc, RunDoc } from '../catalog/points-store';
import type { OperationDoc } from '../operations/operation-store';
import type { RetentionRunDoc } from '../retention/retention-steps';
import type { AccountDoc, JobDoc, ProtectedItemDoc } from '../inventory/schemas';
import { rpoHours } from '../domain/schedule-rpo';

export const EVENT = {
  run: 'M365Vault.Run',
  recoveryPoint: 'M365Vault.RecoveryPoint',
  alarm: 'M365Vault.Alarm',
  recovery: 'M365Vault.Recovery',
  jobStatus: 'M365Vault.JobStatus',
} as const;

/** A job is behind its recovery point objective when its last good run is older than this many schedule intervals. */
export const RPO_MARGIN = 1.5;

/** An Application Insights custom event: dimensions become customDimensions, measurements customMeasurements. */
export interface VaultEvent {
  name: (typeof EVENT)[keyof typeof EVENT];
  dimensions: Record<string, string>;
  measurements: Record<string, number>;
}

/** App Insights keeps 8,192 characters of a dimension; alarm texts are far shorter, so this only bounds the odd one. */
const MAX_TEXT = 1000;
const text = (s: string | undefined): string => (s ?? '').slice(0, MAX_TEXT);

const seconds = (from: string | undefined, to: string | undefined): number =>
  from && to ? Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000) : 0;

const numbers = (o: object): Record<string, number> =>
  Object.fromEntries(Object.entries(o).filter((e): e is [string, number] => typeof e[1] === 'number'));

/** The job's promise in hours, as text ("" when it has no timed schedule). */
const rpoOf = (job: Pick<JobDoc, 'schedules'> | undefined): string => {
  const h = job ? rpoHours(job.schedules) : undefined;
  return h === undefined ? '' : String(Math.round(h * 100) / 100);
};

/** What identifies a run in M365Vault.Run; retention runs belong to the account, not a job. */
function runDimensions(
  runType: 'backup' | 'retention',
  run:
    | Pick<RunDoc, 'id' | 'accountId' | 'trigger' | 'status'>
    | Pick<RetentionRunDoc, 'id' | 'accountId' | 'trigger' | 'status'>,
  account: Pick<AccountDoc, 'displayName'> | undefined,
  jobId: string,
  job: Pick<JobDoc, 'name' | 'schedules'> | undefined,
): Record<string, string> {
  return {
    runType,
    runId: run.id,
    accountId: run.accountId,
    accountName: text(account?.displayName),
    jobId,
    jobName: text(job?.name),
    trigger: run.trigger,
    status: run.status,
    rpoHours: rpoOf(job),
  };
}

export function backupRunEvent(
  run: RunDoc,
  job: Pick<JobDoc, 'name' | 'schedules'> | undefined,
  account: Pick<AccountDoc, 'displayName'> | undefined,
): VaultEvent {
  return {
    name: EVENT.run,
    dimensions: runDimensions('backup', run, account, run.jobId, job),
    measurements: {
      items: run.items,
      itemsFailed: 0,
      ...numbers(run.summary ?? {}),
      alarms: run.alarms.length,
      durationSeconds: seconds(run.startedAt, run.endedAt),
    },
  };
}

export function retentionRunEvent(
  run: RetentionRunDoc,
  account: Pick<AccountDoc, 'displayName'> | undefined,
): VaultEvent {
  return {
    name: EVENT.run,
    dimensions: runDimensions('retention', run, account, '', undefined),
    measurements: { ...numbers(run.totals), durationSeconds: seconds(run.startedAt, run.endedAt) },
  };
}

export function recoveryPointEvent(
  point: RecoveryPointDoc,
  item: Pick<ProtectedItemDoc, 'kind' | 'displayName'> | undefined,
  job: Pick<JobDoc, 'name' | 'schedules'> | undefined,
): VaultEvent {
  const containers = Object.values(point.containers);
  const sum = (f: (c: (typeof containers)[number]) => number | undefined): number =>
    containers.reduce((t, c) => t + (f(c) ?? 0), 0);
  return {
    name: EVENT.recoveryPoint,
    dimensions: {
      runId: point.runId,
      accountId: point.accountId,
      jobId: point.jobId,
      jobName: text(job?.name),
      protectedItemId: point.protectedItemId,
      itemKind: item?.kind ?? '',
      itemName: text(item?.displayName),
      status: point.status,
      rpoHours: rpoOf(job),
    },
    measurements: {
      seq: point.seq,
      written: sum((c) => c.written),
      deleted: sum((c) => c.deleted),
      bytes: sum((c) => c.bytes),
      storedBytes: sum((c) => c.storedBytes),
      graphRequests: sum((c) => c.graphRequests),
      throttled: sum((c) => c.throttled),
      skipped: point.skipped?.length ?? 0,
      alarms: point.alarms.length,
      durationSeconds: seconds(point.startedAt, point.completedAt),
    },
  };
}

export interface AlarmContext {
  runType: 'backup' | 'retention';
  runId: string;
  accountId: string;
  jobId?: string;
}

/** Backup alarms (domain/alarms.ts), and retention's `repository.storageLimit`, which is logged in the same shape. */
export function alarmEvent(
  alarm: Pick<Alarm, 'severity' | 'message' | 'fix' | 'subject'> & { code: string },
  at: AlarmContext,
): VaultEvent {
  return {
    name: EVENT.alarm,
    dimensions: {
      code: alarm.code,
      severity: alarm.severity,
      subject: text(alarm.subject ? `${alarm.subject.kind} ${alarm.subject.name}` : ''),
      cause: text(alarm.message),
      fix: text(alarm.fix),
      runType: at.runType,
      runId: at.runId,
      accountId: at.accountId,
      jobId: at.jobId ?? '',
    },
    measurements: {},
  };
}

/** A finished restore or export, with who asked for it. Difference reports are reads and are not recorded. */
export function recoveryEvent(op: OperationDoc): VaultEvent {
  return {
    name: EVENT.recovery,
    dimensions: {
      operation: op.kind,
      id: op.id,
      accountId: op.accountId,
      requestedBy: text(op.requestedBy.name),
      requestedById: op.requestedBy.id,
      status: op.status,
    },
    measurements: {
      items: op.counts.total,
      itemsRestored: op.counts.restored,
      itemsSkipped: op.counts.skipped,
      itemsFailed: op.counts.failed,
      bytes: op.summary?.bytes ?? 0,
      durationSeconds: seconds(op.createdAt, op.endedAt),
    },
  };
}

/**
 * Where a scheduled job stands against its recovery point objective, recorded hourly by the scheduler: `overdue`
 * when its last `success` or `warning` run (or, never having had one, its creation) is older than RPO_MARGIN times
 * its longest schedule interval. Undefined for a job without a timed schedule (it promises no RPO).
 */
export function jobStatusEvent(
  job: Pick<JobDoc, 'id' | 'accountId' | 'name' | 'schedules' | 'createdAt'>,
  account: Pick<AccountDoc, 'displayName'> | undefined,
  lastGood: Pick<RunDoc, 'endedAt' | 'startedAt'> | undefined,
  now: Date,
): VaultEvent | undefined {
  const rpo = rpoHours(job.schedules);
  if (rpo === undefined) return undefined;
  const since = lastGood?.endedAt ?? lastGood?.startedAt ?? job.createdAt;
  const hours = Math.max(0, (now.getTime() - Date.parse(since)) / 3_600_000);
  const behind = hours > rpo * RPO_MARGIN;
  return {
    name: EVENT.jobStatus,
    dimensions: {
      accountId: job.accountId,
      accountName: text(account?.displayName),
      jobId: job.id,
      jobName: text(job.name),
      rpoHours: rpoOf(job),
      lastSuccessAt: lastGood ? since : '',
      status: behind ? 'overdue' : lastGood ? 'ok' : 'never',
    },
    measurements: { hoursSinceSuccess: Math.round(hours * 100) / 100, rpoHours: rpo },
  };
}
