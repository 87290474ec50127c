// Activities of a backup run: parse the input, call shared/backup, return a small result.
import * as df from 'durable-functions';
import { beginPoint, commitPoint, listContainers, syncStep } from '../shared/backup/point-steps';
import { beginRun, discoverItems, finishRun, itemIds, runAlarms } from '../shared/backup/run-steps';
import { services } from '../shared/runtime/services';

type Step<I, O> = (s: ReturnType<typeof services>, input: I) => Promise<O>;

function activity<I, O>(name: string, step: Step<I, O>): void {
  df.app.activity(name, { handler: (input: unknown) => step(services(), input as I) });
}

activity('backupBeginRun', beginRun);
activity('backupDiscover', discoverItems);
activity('backupItemIds', itemIds);
activity('backupBeginPoint', beginPoint);
activity('backupListContainers', listContainers);
activity('backupSyncStep', syncStep);
activity('backupCommitPoint', commitPoint);
// Alarms go to the logs (Application Insights traces) in a fixed shape the alert rules in infra/ match on.
df.app.activity('backupFinishRun', {
  handler: async (input: unknown, context) => {
    const s = services();
    const ref = input as Parameters<typeof finishRun>[1];
    const summary = await finishRun(s, ref);
    for (const alarm of await runAlarms(s, ref)) {
      const line = `VaultAlarm ${JSON.stringify({ severity: alarm.severity, code: alarm.code, subject: alarm.subject, message: alarm.message, fix: alarm.fix, runId: ref.runId, accountId: ref.accountId, jobId: ref.jobId })}`;
      if (alarm.severity === 'error') context.error(line);
      else if (alarm.severity === 'warning') context.warn(line);
      else context.log(line);
    }
    if (summary.status === 'failed') context.error(`BackupRunFailed ${JSON.stringify({ runId: ref.runId, accountId: ref.accountId, jobId: ref.jobId, items: summary.items, itemsFailed: summary.itemsFailed })}`);
    return summary;
  },
});
