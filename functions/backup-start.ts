import { randomUUID } from 'node:crypto';
import type { DurableClient } from 'durable-functions';
import { ACTIVE_INSTANCE, InstanceState, runIdOf, settleRuns } from '../shared/backup/run-steps';
import type { RunDoc } from '../shared/catalog/points-store';
import { services } from '../shared/runtime/services';
import type { BackupJobInput } from './backup-orchestration';

/** One orchestration instance per job: its id is fixed, so a job never runs twice at once. */
export const backupInstanceId = (jobId: string): string => `backup-${jobId}`;

/**
 * The job's instance as the run records need it: status, the run it executes (its custom status once it ran, its
 * input before), a failure's reason.
 */
export async function instanceState(client: DurableClient, jobId: string): Promise<InstanceState | undefined> {
  const status = await client.getStatus(backupInstanceId(jobId)).catch(() => undefined);
  if (!status) return undefined;
  const runId =
    (status.customStatus as { runId?: string } | undefined)?.runId ??
    (status.input as Partial<BackupJobInput> | undefined)?.runId;
  return { runtimeStatus: String(status.runtimeStatus), ...(runId ? { runId } : {}), output: status.output };
}

/** Ends the job's runs its orchestration no longer executes (terminated, failed); returns the job's runs then. */
export const settleJobRuns = (client: DurableClient, accountId: string, jobId: string): Promise<RunDoc[]> =>
  settleRuns(services(), accountId, jobId, () => instanceState(client, jobId));

export type StartResult =
  { started: true; instanceId: string; runId: string } | { started: false; instanceId: string; runId?: string };

/**
 * Starts the job's run unless one runs. The run's id is chosen here, so the caller can name the run before its
 * orchestration has written anything; `beforeStart` runs just before the start (an audit record, say).
 */
export async function startBackup(
  client: DurableClient,
  input: Omit<BackupJobInput, 'runId'>,
  beforeStart?: (runId: string) => Promise<void>,
): Promise<StartResult> {
  const instanceId = backupInstanceId(input.jobId);
  const running = async (): Promise<StartResult | undefined> => {
    const status = await client.getStatus(instanceId).catch(() => undefined);
    if (status && ACTIVE_INSTANCE.has(String(status.runtimeStatus))) {
      const runId =
        (status.customStatus as { runId?: string } | undefined)?.runId ??
        (status.input as Partial<BackupJobInput> | undefined)?.runId;
      return { started: false, instanceId, ...(runId ? { runId } : {}) };
    }
    return undefined;
  };
  const busy = await running();
  if (busy) return busy;
  await settleJobRuns(client, input.accountId, input.jobId);
  const runId = runIdOf(new Date(), randomUUID());
  try {
    await beforeStart?.(runId);
    await client.startNew('backupJob', { instanceId, input: { ...input, runId } satisfies BackupJobInput });
    return { started: true, instanceId, runId };
  } catch (e) {
    // Another starter won the race: the instance exists (the client reports the Durable API's 409 only in its message),
    // and may even have finished already.
    const raced = await running();
    if (raced) return raced;
    if (/status code: 409\b/.test((e as Error).message)) return { started: false, instanceId };
    throw e;
  }
}
