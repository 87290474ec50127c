// The scheduler's hourly record of every scheduled job against its recovery point objective (telemetry/events.ts,
// M365Vault.JobStatus). The missed-RPO alert reads the latest record per job, so it needs no look-back as long as a
// job's interval (log alerts see two days at most), and the records stopping altogether is the "scheduler is not
// running" alert.
import type { JobDoc } from '../inventory/schemas';
import type { Ports } from '../runtime/services';
import { jobStatusEvent } from '../telemetry/events';

/** Records each job's status; one job's failure to be read is logged by the caller and never stops the others. */
export async function trackJobHealth(
  s: Ports<'inventory' | 'points' | 'telemetry'>,
  jobs: readonly JobDoc[],
  now: Date,
): Promise<Array<{ jobId: string; error: string }>> {
  const failures: Array<{ jobId: string; error: string }> = [];
  for (const job of jobs) {
    try {
      const [lastGood, account] = await Promise.all([
        s.points.lastGoodRun(job.accountId, job.id),
        s.inventory.getAccount(job.accountId).catch(() => undefined),
      ]);
      const event = jobStatusEvent(job, account, lastGood, now);
      if (event) s.telemetry.track(event);
    } catch (e) {
      failures.push({ jobId: job.id, error: (e as Error).message.split('\n')[0] });
    }
  }
  return failures;
}
