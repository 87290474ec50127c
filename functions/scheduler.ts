// Every minute: start each job whose schedule has a due occurrence (timed or chained), once per occurrence. In the
// first minute of each hour, also record where each job stands against its recovery point objective (job-health.ts).
import * as df from 'durable-functions';
import { dueStart, LastRun } from '../shared/backup/due-jobs';
import { trackJobHealth } from '../shared/backup/job-health';
import type { RunOutcome } from '../shared/domain/schedule';
import { services } from '../shared/runtime/services';
import { startBackup } from './backup-start';

df.app.client.timer('backupScheduler', {
  schedule: '0 * * * * *',
  handler: async (_timer, client, context) => {
    const s = services();
    const now = new Date();
    const jobs = (await s.inventory.listJobs()).filter((j) => j.enabled && j.schedules.length > 0);
    if (now.getUTCMinutes() === 0)
      for (const f of await trackJobHealth(s, jobs, now))
        context.warn(`job ${f.jobId}: status not recorded: ${f.error}`);
    const lastRuns = new Map<string, LastRun>();
    for (const j of jobs) {
      for (const sched of j.schedules) {
        if (sched.kind !== 'afterJob' || lastRuns.has(sched.jobId)) continue;
        const last = (await s.points.listRuns(j.accountId, sched.jobId)).find((r) => r.endedAt);
        if (last?.endedAt)
          lastRuns.set(sched.jobId, {
            jobId: sched.jobId,
            outcome: last.status as RunOutcome,
            endedAt: new Date(last.endedAt),
          });
      }
    }
    for (const job of jobs) {
      const due = dueStart(job, now, (id) => lastRuns.get(id));
      if (!due || !(await s.inventory.markScheduled(job, due.scheduledFor))) continue;
      const r = await startBackup(client, {
        accountId: job.accountId,
        jobId: job.id,
        trigger: due.trigger,
        ...(due.stopAt ? { stopAt: due.stopAt.toISOString() } : {}),
      });
      context.log(
        r.started
          ? `started job ${job.id} for ${due.scheduledFor.toISOString()}`
          : `job ${job.id} still running; occurrence ${due.scheduledFor.toISOString()} skipped`,
      );
    }
  },
});
