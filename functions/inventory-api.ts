// Accounts and jobs over HTTP. Responses never include secrets: accounts hold only secret references.
import { app } from '@azure/functions';
import { accountInput, jobInput } from '../shared/inventory/schemas';
import { services } from '../shared/runtime/services';
import { body, handle, json } from './http/respond';

app.http('accountsCreate', {
  route: 'accounts', methods: ['POST'], authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req) => json(201, await services().inventory.createAccount(await body(req, accountInput), new Date()))),
});

app.http('accountsList', {
  route: 'accounts', methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async () => json(200, { value: await services().inventory.listAccounts() })),
});

app.http('accountsGet', {
  route: 'accounts/{accountId}', methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => json(200, await services().inventory.getAccount(req.params.accountId!))),
});

app.http('jobsCreate', {
  route: 'accounts/{accountId}/jobs', methods: ['POST'], authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req) => {
    const raw = await body(req, jobInput.omit({ accountId: true }));
    return json(201, await services().inventory.createJob({ ...raw, accountId: req.params.accountId! }, new Date()));
  }),
});

app.http('jobsList', {
  route: 'accounts/{accountId}/jobs', methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    await services().inventory.getAccount(req.params.accountId!);
    return json(200, { value: await services().inventory.listJobs(req.params.accountId!) });
  }),
});

app.http('jobsGet', {
  route: 'accounts/{accountId}/jobs/{jobId}', methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => json(200, await services().inventory.getJob(req.params.accountId!, req.params.jobId!))),
});

app.http('protectedItemsList', {
  route: 'accounts/{accountId}/protected-items', methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    await services().inventory.getAccount(req.params.accountId!);
    return json(200, { value: await services().inventory.listProtectedItems(req.params.accountId!) });
  }),
});

app.http('recoveryPointsList', {
  route: 'accounts/{accountId}/protected-items/{itemId}/recovery-points', methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    await services().inventory.getProtectedItem(req.params.accountId!, req.params.itemId!);
    return json(200, { value: await services().points.listPoints(req.params.accountId!, req.params.itemId!) });
  }),
});
