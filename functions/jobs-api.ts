// Running jobs on demand and following their runs.
import * as df from 'durable-functions';
import { services } from '../shared/runtime/services';
import { settleJobRuns, startBackup } from './backup-start';
import { errorBody, handle, json } from './http/respond';

df.app.client.http('jobsRun', {
  route: 'accounts/{accountId}/jobs/{jobId}/run', methods: ['POST'], authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Administrator', async () => {
      const job = await services().inventory.getJob(req.params.accountId!, req.params.jobId!);
      const r = await startBackup(client, { accountId: job.accountId, jobId: job.id, trigger: 'manual' });
      if (!r.started) return json(409, errorBody('jobRunning', `Job '${job.name}' is already running${r.runId ? ` (run ${r.runId})` : ''}; wait for it to finish.`));
      return client.createCheckStatusResponse(req, r.instanceId);
    })(req, context),
});

df.app.client.http('runsList', {
  route: 'accounts/{accountId}/jobs/{jobId}/runs', methods: ['GET'], authLevel: 'anonymous',
  handler: async (req, client, context) =>
    handle('Backup.Reader', async () => {
      await services().inventory.getJob(req.params.accountId!, req.params.jobId!);
      return json(200, { value: await settleJobRuns(client, req.params.accountId!, req.params.jobId!) });
    })(req, context),
});
