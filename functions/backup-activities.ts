// Activities of a backup run: parse the input, call shared/backup, return a small result.
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';
import type { Alarm } from '../shared/domain/alarms';
import { beginPoint, commitPoint, containerPage, leaseItem, listContainers, recordResults, syncStep } from '../shared/backup/point-steps';
import { notifyRun, preRunHook } from '../shared/backup/run-notify';
import { beginRun, discoverItems, failRun, finishRun, itemIds, RunRef, runAlarms } from '../shared/backup/run-steps';
import { services } from '../shared/runtime/services';

type Step<I, O> = (s: ReturnType<typeof services>, input: I) => Promise<O>;

function activity<I, O>(name: string, step: Step<I, O>): void {
  df.app.activity(name, { handler: (input: unknown) => step(services(), input as I) });
}

/** Alarms go to the logs (Application Insights traces) in a fixed shape the alert rules in infra/ match on. */
function logAlarms(context: InvocationContext, ref: RunRef, alarms: readonly Alarm[]): void {
  for (const alarm of alarms) {
    const line = `VaultAlarm ${JSON.stringify({ severity: alarm.severity, code: alarm.code, subject: alarm.subject, message: alarm.message, fix: alarm.fix, runId: ref.runId, accountId: ref.accountId, jobId: ref.jobId })}`;
    if (alarm.severity === 'error') context.error(line);
    else if (alarm.severity === 'warning') context.warn(line);
    else context.log(line);
  }
}

/** An activity whose alarms are logged as they are raised. */
function alarmingActivity(name: string, step: Step<RunRef, Alarm[]>): void {
  df.app.activity(name, {
    handler: async (input: unknown, context) => {
      const ref = input as RunRef;
      logAlarms(context, ref, await step(services(), ref));
    },
  });
}

activity('backupBeginRun', beginRun);
activity('backupDiscover', discoverItems);
activity('backupItemIds', itemIds);
activity('backupLeaseItem', leaseItem);
activity('backupBeginPoint', beginPoint);
activity('backupListContainers', listContainers);
activity('backupContainerPage', containerPage);
activity('backupSyncStep', syncStep);
activity('backupRecordResults', recordResults);
activity('backupCommitPoint', commitPoint);
df.app.activity('backupFailRun', {
  handler: async (input: unknown, context) => {
    const ref = input as Parameters<typeof failRun>[1];
    context.error(`BackupRunFailed ${JSON.stringify({ runId: ref.runId, accountId: ref.accountId, jobId: ref.jobId, reason: ref.message })}`);
    await failRun(services(), ref);
  },
});
// Webhook deliveries are at least once (an activity retried after a delivery repeats it); receivers dedupe on
// the x-m365vault-delivery header.
alarmingActivity('backupPreRunHook', preRunHook);
alarmingActivity('backupNotify', notifyRun);
df.app.activity('backupFinishRun', {
  handler: async (input: unknown, context) => {
    const s = services();
    const ref = input as Parameters<typeof finishRun>[1];
    const summary = await finishRun(s, ref);
    logAlarms(context, ref, await runAlarms(s, ref));
    if (summary.status === 'failed') context.error(`BackupRunFailed ${JSON.stringify({ runId: ref.runId, accountId: ref.accountId, jobId: ref.jobId, items: summary.items, itemsFailed: summary.itemsFailed })}`);
    return summary;
  },
});
