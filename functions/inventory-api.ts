// Accounts and jobs over HTTP. Responses never include secrets: accounts hold only secret references.
import { app } from '@azure/functions';
import { accountInput, DEFAULT_REPOSITORY, jobInput, repositoryInput } from '../shared/inventory/schemas';
import { repositoryProblem } from '../shared/inventory/repository-check';
import { repositoryRefs } from '../shared/backup/discovery';
import { services } from '../shared/runtime/services';
import { body, handle, HttpError, json, parse } from './http/respond';
import { pointsQuery } from '../shared/browse/browse-queries';

app.http('accountsCreate', {
  route: 'accounts',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req) =>
    json(201, await services().inventory.createAccount(await body(req, accountInput), new Date())),
  ),
});

app.http('accountsList', {
  route: 'accounts',
  methods: ['GET'],
  authLevel: 'anonymous',
  // Every caller may list; each sees the accounts an app role or a grant lets it read, and no other.
  handler: handle(
    'Backup.Reader',
    async (_req, _ctx, principal) => {
      const s = services();
      const visible = await s.access.visibleAccounts(principal);
      const accounts = await s.inventory.listAccounts();
      return json(200, { value: visible === 'all' ? accounts : accounts.filter((a) => visible.includes(a.id)) });
    },
    { access: 'listing' },
  ),
});

app.http('accountsGet', {
  route: 'accounts/{accountId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) =>
    json(200, await services().inventory.getAccount(req.params.accountId)),
  ),
});

app.http('jobsCreate', {
  route: 'accounts/{accountId}/jobs',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req) => {
    const raw = await body(req, jobInput.omit({ accountId: true }));
    const accountId = req.params.accountId;
    const known = new Set([
      DEFAULT_REPOSITORY,
      ...(await services().inventory.listRepositories(accountId)).map((r) => r.name),
    ]);
    const unknown = repositoryRefs(raw.destination).filter((r) => !known.has(r.name));
    if (unknown.length)
      throw new HttpError(
        400,
        'invalidRequest',
        unknown.map((r) => `body.${r.path}: no repository '${r.name}' in this account`).join('; '),
      );
    return json(201, await services().inventory.createJob({ ...raw, accountId }, new Date()));
  }),
});

app.http('repositoriesCreate', {
  route: 'accounts/{accountId}/repositories',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req) => {
    const input = await body(req, repositoryInput);
    const s = services();
    await s.inventory.getAccount(req.params.accountId);
    const problem = await repositoryProblem(
      s.contentStores.containerOf(input),
      input.stagingContainer ? s.contentStores.containerOf({ ...input, container: input.stagingContainer }) : undefined,
      input.immutabilityDays,
    );
    if (problem) throw new HttpError(400, 'repositoryUnusable', problem);
    try {
      return json(201, await s.inventory.createRepository(req.params.accountId, input, new Date()));
    } catch (e) {
      if ((e as { code?: number }).code === 409)
        throw new HttpError(409, 'repositoryExists', `The account already has a repository named '${input.name}'.`);
      throw e;
    }
  }),
});

app.http('repositoriesList', {
  route: 'accounts/{accountId}/repositories',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    await services().inventory.getAccount(req.params.accountId);
    return json(200, { value: await services().inventory.listRepositories(req.params.accountId) });
  }),
});

app.http('jobsList', {
  route: 'accounts/{accountId}/jobs',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    await services().inventory.getAccount(req.params.accountId);
    return json(200, { value: await services().inventory.listJobs(req.params.accountId) });
  }),
});

app.http('jobsGet', {
  route: 'accounts/{accountId}/jobs/{jobId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) =>
    json(200, await services().inventory.getJob(req.params.accountId, req.params.jobId)),
  ),
});

app.http('protectedItemsList', {
  route: 'accounts/{accountId}/protected-items',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    await services().inventory.getAccount(req.params.accountId);
    return json(200, { value: await services().inventory.listProtectedItems(req.params.accountId) });
  }),
});

app.http('recoveryPointsList', {
  route: 'accounts/{accountId}/protected-items/{itemId}/recovery-points',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const q = parse(pointsQuery, Object.fromEntries(req.query.entries()), 'query');
    await services().inventory.getProtectedItem(req.params.accountId, req.params.itemId);
    const from = q.from ? Date.parse(q.from) : -Infinity;
    const to = q.to ? Date.parse(q.to) : Infinity;
    const points = (await services().points.listPoints(req.params.accountId, req.params.itemId)).filter(
      (p) => Date.parse(p.startedAt) >= from && Date.parse(p.startedAt) <= to,
    );
    return json(200, { value: points });
  }),
});
