import type { DurableClient } from 'durable-functions';
import type { BackupJobInput } from './backup-orchestration';

/** One orchestration instance per job: its id is fixed, so a job never runs twice at once. */
export const backupInstanceId = (jobId: string): string => `backup-${jobId}`;

const ACTIVE = new Set(['Running', 'Pending', 'Suspended', 'ContinuedAsNew']);

export type StartResult = { started: true; instanceId: string } | { started: false; instanceId: string; runId?: string };

export async function startBackup(client: DurableClient, input: BackupJobInput): Promise<StartResult> {
  const instanceId = backupInstanceId(input.jobId);
  const running = async (): Promise<StartResult | undefined> => {
    const status = await client.getStatus(instanceId).catch(() => undefined);
    if (status && ACTIVE.has(String(status.runtimeStatus))) {
      const runId = (status.customStatus as { runId?: string } | undefined)?.runId;
      return { started: false, instanceId, ...(runId ? { runId } : {}) };
    }
    return undefined;
  };
  const busy = await running();
  if (busy) return busy;
  try {
    await client.startNew('backupJob', { instanceId, input });
    return { started: true, instanceId };
  } catch (e) {
    // Another starter won the race: the instance exists (the client reports the Durable API's 409 only in its message),
    // and may even have finished already.
    const raced = await running();
    if (raced) return raced;
    if (/status code: 409\b/.test((e as Error).message)) return { started: false, instanceId };
    throw e;
  }
}
