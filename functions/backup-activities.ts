// Activities of a backup run: parse the input, call shared/backup, return a small result.
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import { Alarm, isConfigurationAlarm } from '../shared/domain/alarms';
import { preflightAccount } from '../shared/preflight/account-preflight';
import {
  beginPoint,
  commitPoint,
  containerPage,
  leaseItem,
  listContainers,
  recordResults,
  syncStep,
} from '../shared/backup/point-steps';
import { notifyRun, preRunHook } from '../shared/backup/run-notify';
import { beginRun, discoverItems, failRun, finishRun, itemIds, RunRef, runAlarms } from '../shared/backup/run-steps';
import { services } from '../shared/runtime/services';
import { alarmEvent } from '../shared/telemetry/events';

type Services = ReturnType<typeof services>;

/**
 * Every activity of a backup run by name, with its input and result types: the orchestrations call them through
 * `BackupActivities` (a type), so a renamed activity or a changed payload fails to compile instead of at run time.
 */
const steps = {
  backupBeginRun: beginRun,
  backupDiscover: discoverItems,
  backupItemIds: itemIds,
  backupLeaseItem: leaseItem,
  backupBeginPoint: beginPoint,
  backupListContainers: listContainers,
  backupContainerPage: containerPage,
  backupSyncStep: syncStep,
  backupRecordResults: recordResults,
  backupCommitPoint: commitPoint,
  // Webhook deliveries are at least once (an activity retried after a delivery repeats it); receivers dedupe on
  // the x-m365vault-delivery header. Alarms are logged as they are raised.
  backupPreRunHook: async (s: Services, ref: RunRef, context: InvocationContext) =>
    logAlarms(s, context, ref, await preRunHook(s, ref)),
  backupNotify: async (s: Services, ref: RunRef, context: InvocationContext) =>
    logAlarms(s, context, ref, await notifyRun(s, ref)),
  backupFailRun: async (s: Services, ref: Parameters<typeof failRun>[1], context: InvocationContext) => {
    context.error(
      `BackupRunFailed ${JSON.stringify({ runId: ref.runId, accountId: ref.accountId, jobId: ref.jobId, reason: ref.message })}`,
    );
    await failRun(s, ref);
    await preflightIfConfiguration(s, ref, await runAlarms(s, ref), context);
  },
  backupFinishRun: async (s: Services, ref: Parameters<typeof finishRun>[1], context: InvocationContext) => {
    const summary = await finishRun(s, ref);
    const alarms = await runAlarms(s, ref);
    logAlarms(s, context, ref, alarms);
    await preflightIfConfiguration(s, ref, alarms, context);
    if (summary.status === 'failed')
      context.error(
        `BackupRunFailed ${JSON.stringify({ runId: ref.runId, accountId: ref.accountId, jobId: ref.jobId, items: summary.items, itemsFailed: summary.itemsFailed })}`,
      );
    return summary;
  },
};

export type BackupActivities = typeof steps;
export type ActivityName = keyof BackupActivities;
export type ActivityInput<N extends ActivityName> = Parameters<BackupActivities[N]>[1];
export type ActivityResult<N extends ActivityName> = Awaited<ReturnType<BackupActivities[N]>>;

/**
 * A run that met the account's configuration (its credential, sign-in, a permission) runs the account's preflight
 * again, so the account shows every step to fix at once, not only the first a run tripped on. Its own failure is
 * logged, never the run's.
 */
async function preflightIfConfiguration(
  s: Services,
  ref: RunRef,
  alarms: readonly Alarm[],
  context: InvocationContext,
): Promise<void> {
  if (!alarms.some((a) => isConfigurationAlarm(a.code))) return;
  try {
    const report = await preflightAccount(s, ref.accountId);
    context.log(`Preflight after run ${ref.runId} (a configuration alarm): ${report.status}`);
  } catch (e) {
    context.warn(`Preflight after run ${ref.runId} could not run: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Alarms go to the logs, for people reading them, and to Azure Monitor as records the alert rules count. */
function logAlarms(s: Services, context: InvocationContext, ref: RunRef, alarms: readonly Alarm[]): void {
  for (const alarm of alarms) {
    s.telemetry.track(
      alarmEvent(alarm, { runType: 'backup', runId: ref.runId, accountId: ref.accountId, jobId: ref.jobId }),
    );
    const line = `VaultAlarm ${JSON.stringify({ severity: alarm.severity, code: alarm.code, subject: alarm.subject, message: alarm.message, fix: alarm.fix, runId: ref.runId, accountId: ref.accountId, jobId: ref.jobId })}`;
    if (alarm.severity === 'error') context.error(line);
    else if (alarm.severity === 'warning') context.warn(line);
    else context.log(line);
  }
}

for (const [name, step] of Object.entries(steps) as Array<
  [ActivityName, (s: Services, input: unknown, context: InvocationContext) => Promise<unknown>]
>) {
  df.app.activity(name, { handler: (input: unknown, context) => step(services(), input, context) });
}
