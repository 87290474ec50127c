// Running jobs on demand and following their runs. Callers follow a run through the product's own run route, which
// checks their role; the Durable extension's management URLs (which carry its system key, valid for every instance
// of the task hub) never leave the app.
import * as df from 'durable-functions';
import { ACTIVE_INSTANCE, runView, settleRun, settleRuns } from '../shared/backup/run-steps';
import { services } from '../shared/runtime/services';
import { instanceState, startBackup } from './backup-start';
import { clientIp, errorBody, handle, json } from './http/respond';

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

df.app.client.http('runsGet', {
  route: 'accounts/{accountId}/jobs/{jobId}/runs/{runId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Reader', async () => {
      const { accountId, jobId, runId } = req.params as { accountId: string; jobId: string; runId: string };
      await services().inventory.getJob(accountId, jobId);
      const state = await instanceState(client, jobId);
      const run = await settleRun(services(), { accountId, jobId, runId }, async () => state);
      if (run) return json(200, runView(run, state));
      // Started, but its orchestration has not written the run's record yet.
      if (state?.runId === runId && ACTIVE_INSTANCE.has(state.runtimeStatus))
        return json(200, { id: runId, accountId, jobId, status: 'running', items: 0, alarms: [] });
      return json(404, errorBody('notFound', `Run '${runId}' of job '${jobId}' does not exist.`));
    })(req, context),
});
