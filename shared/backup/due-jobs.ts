// Which job should start now, and for which schedule occurrence. Pure: the scheduler timer supplies the clock and
// the last runs; an occurrence is recorded on the job before starting, so it never starts twice.
import { chainedStart, latestOccurrence, RunOutcome } from '../domain/schedule';
import type { JobDoc } from '../inventory/schemas';

export interface DueStart {
  scheduledFor: Date;
  stopAt?: Date;
  trigger: 'schedule' | 'chained';
}

export interface LastRun {
  jobId: string;
  outcome: RunOutcome;
  endedAt: Date;
}

export function dueStart(job: JobDoc, now: Date, lastRunOf: (jobId: string) => LastRun | undefined): DueStart | null {
  if (!job.enabled) return null;
  const since = new Date(job.lastScheduledFor ?? job.createdAt);
  let best: DueStart | null = null;
  for (const s of job.schedules) {
    let candidate: DueStart | null = null;
    if (s.kind === 'afterJob') {
      const previous = lastRunOf(s.jobId);
      const at = previous ? chainedStart(s, previous) : null;
      if (at && at <= now && at > since) candidate = { scheduledFor: at, trigger: 'chained' };
    } else {
      const occ = latestOccurrence(s, since, now);
      if (occ) candidate = { scheduledFor: occ.at, trigger: 'schedule', ...(occ.stopAt ? { stopAt: occ.stopAt } : {}) };
    }
    if (candidate && (!best || candidate.scheduledFor > best.scheduledFor)) best = candidate;
  }
  return best;
}
