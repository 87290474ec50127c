// Running jobs on demand and following their runs. Callers follow a run through the product's own run route, which
// checks their role; the Durable extension's management URLs (which carry its system key, valid for every instance
// of the task hub) never leave the app.
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import type { HttpRequest, InvocationContext } from '@azure/functions';
import {
  ACTIVE_INSTANCE,
  requestStop,
  RunRef,
  runProgress,
  runView,
  settleRun,
  settleRuns,
} from '../shared/backup/run-steps';
import { services } from '../shared/runtime/services';
import { instanceState, startBackup } from './backup-start';
import { itemInstanceId, STOP_EVENT } from './backup-orchestration';
import type { RunDoc } from '../shared/catalog/points-store';
import { deletionBy } from '../shared/inventory/schemas';
import { clientIp, errorBody, handle, ifMatch, json } from './http/respond';

const runPath = (accountId: string, jobId: string, runId: string): string =>
  `/api/accounts/${accountId}/jobs/${jobId}/runs/${runId}`;

df.app.client.http('jobsRun', {
  route: 'accounts/{accountId}/jobs/{jobId}/run',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Administrator', async (_r, _c, principal) => {
      const s = services();
      const job = await s.inventory.getJob(req.params.accountId, req.params.jobId);
      if (!job.enabled)
        return json(
          409,
          errorBody('jobDisabled', `Job '${job.name}' is disabled; enable it (PATCH enabled: true) first.`),
        );
      const r = await startBackup(client, { accountId: job.accountId, jobId: job.id, trigger: 'manual' }, (runId) =>
        s.audit
          .record(
            {
              accountId: job.accountId,
              action: 'backup.run',
              principal,
              ...clientIp(req),
              subject: { jobId: job.id, runId },
            },
            s.now(),
          )
          .then(() => undefined),
      );
      if (!r.started) {
        return json(
          409,
          errorBody(
            'jobRunning',
            `Job '${job.name}' is already running${r.runId ? ` (run ${r.runId})` : ''}; wait for it to finish.`,
          ),
          r.runId ? { location: runPath(job.accountId, job.id, r.runId) } : undefined,
        );
      }
      return json(
        202,
        { id: r.runId, accountId: job.accountId, jobId: job.id, trigger: 'manual', status: 'running' },
        { location: runPath(job.accountId, job.id, r.runId), 'retry-after': '10' },
      );
    })(req, context),
});

df.app.client.http('runsList', {
  route: 'accounts/{accountId}/jobs/{jobId}/runs',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Reader', async () => {
      const { accountId, jobId } = req.params as { accountId: string; jobId: string };
      await services().inventory.getJob(accountId, jobId);
      const state = await instanceState(client, jobId);
      return json(200, {
        value: (await settleRuns(services(), accountId, jobId, async () => state)).map((r) => runView(r, state)),
      });
    })(req, context),
});

/** A run route's run, settled against its job's instance: absent when it has no record (yet, or at all). */
async function routeRun(req: HttpRequest, client: DurableClient) {
  const ref = req.params as unknown as RunRef;
  const job = await services().inventory.getJob(ref.accountId, ref.jobId);
  const state = await instanceState(client, ref.jobId);
  const run = await settleRun(services(), ref, async () => state);
  const starting = !run && state?.runId === ref.runId && ACTIVE_INSTANCE.has(state.runtimeStatus);
  return { ref, job, state, doc: run, run: run && runView(run, state), starting };
}

const noRun = (ref: RunRef) =>
  json(404, errorBody('notFound', `Run '${ref.runId}' of job '${ref.jobId}' does not exist.`));

df.app.client.http('runsGet', {
  route: 'accounts/{accountId}/jobs/{jobId}/runs/{runId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Reader', async () => {
      const { ref, doc, run, starting } = await routeRun(req, client);
      if (doc && run)
        return json(200, run.status === 'running' ? { ...run, progress: await runProgress(services(), doc) } : run);
      // Started, but its orchestration has not written the run's record yet.
      if (starting)
        return json(200, {
          id: ref.runId,
          accountId: ref.accountId,
          jobId: ref.jobId,
          status: 'running',
          items: 0,
          alarms: [],
          progress: { itemsDone: 0, written: 0, bytes: 0, current: [] },
        });
      return noRun(ref);
    })(req, context),
});

/**
 * Wakes the run's items waiting out a throttling Retry-After on a durable timer, so they read the stop request now.
 * Best effort: an item may have just ended (its instance then refuses the event), and one waiting for another job's
 * lease looks again within LEASE_POLL_SECONDS anyway.
 */
async function wakeItems(client: DurableClient, run: RunDoc): Promise<void> {
  const order = new Map((run.itemIds ?? []).map((id, i) => [id, i]));
  for (const p of await services().points.pointsOfRun(run.accountId, run.id)) {
    const index = order.get(p.protectedItemId);
    if (p.status !== 'running' || index === undefined) continue;
    await client.raiseEvent(itemInstanceId(run.id, index), STOP_EVENT, null).catch(() => undefined);
  }
}

df.app.client.http('runsStop', {
  route: 'accounts/{accountId}/jobs/{jobId}/runs/{runId}/stop',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Administrator', async (_r, _c, principal) => {
      const s = services();
      const { ref, run, starting } = await routeRun(req, client);
      if (starting)
        return json(409, errorBody('runStarting', `Run '${ref.runId}' is starting; ask again in a moment.`), {
          'retry-after': '2',
        });
      if (!run) return noRun(ref);
      if (run.status !== 'running')
        return json(409, errorBody('runEnded', `Run '${ref.runId}' has already ended (${run.status}).`));
      await s.audit.record(
        {
          accountId: ref.accountId,
          action: 'backup.stop',
          principal,
          ...clientIp(req),
          subject: { jobId: ref.jobId, runId: ref.runId },
        },
        s.now(),
      );
      const asked = await requestStop(s, ref, { id: principal.id, name: principal.name });
      if (asked) await wakeItems(client, asked);
      return json(202, asked ? runView(asked, await instanceState(client, ref.jobId)) : run, {
        location: runPath(ref.accountId, ref.jobId, ref.runId),
      });
    })(req, context),
});

df.app.client.http('jobsDelete', {
  route: 'accounts/{accountId}/jobs/{jobId}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: async (req: HttpRequest, client: DurableClient, context: InvocationContext) =>
    handle('Backup.Administrator', async (_r, _c, principal) => {
      const s = services();
      const { accountId, jobId } = req.params;
      const job = await s.inventory.getJob(accountId, jobId);
      const state = await instanceState(client, jobId);
      if (state && ACTIVE_INSTANCE.has(state.runtimeStatus))
        return json(
          409,
          errorBody(
            'jobRunning',
            `Job '${job.name}' is running${state.runId ? ` (run ${state.runId})` : ''}; stop it or wait for it to end first.`,
          ),
          state.runId ? { location: runPath(accountId, jobId, state.runId) } : undefined,
        );
      await s.audit.record(
        { accountId, action: 'job.delete', principal, ...clientIp(req), subject: { jobId, name: job.name } },
        s.now(),
      );
      // A tombstone: the job leaves the API and the scheduler, and retention goes on applying its policy to the
      // recovery points it made, so they age out as they would have; nothing is removed at once.
      await s.inventory.tombstone('job', accountId, jobId, deletionBy(principal, s.now()), ifMatch(req));
      return { status: 204 };
    })(req, context),
});
