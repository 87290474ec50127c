// Activities of a backup run: parse the input, call shared/backup, return a small result.
import * as df from 'durable-functions';
import { beginPoint, commitPoint, listContainers, syncStep } from '../shared/backup/point-steps';
import { beginRun, discoverItems, finishRun, itemIds } from '../shared/backup/run-steps';
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
activity('backupFinishRun', finishRun);
