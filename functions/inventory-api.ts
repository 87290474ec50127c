// Accounts and jobs over HTTP. Responses never include secrets: accounts hold only secret references.
import { app } from '@azure/functions';
import type { HttpRequest } from '@azure/functions';
import {
  AccountDoc,
  accountInput,
  DEFAULT_REPOSITORY,
  deletionBy,
  JobDoc,
  jobFields,
  JobInput,
  repositoryInput,
} from '../shared/inventory/schemas';
import { repositoryProblem } from '../shared/inventory/repository-check';
import { repositoryRefs } from '../shared/backup/discovery';
import { services } from '../shared/runtime/services';
import { body, clientIp, errorBody, handle, HttpError, ifMatch, json, parse, patchBody } from './http/respond';
import type { Principal } from '../shared/api-auth/authorizer';
import type { AuditEntry } from '../shared/audit/audit-log';
import { pointsQuery } from '../shared/browse/browse-queries';
import { accountCreateQuery, preflightAccount } from '../shared/preflight/account-preflight';

/**
 * Adding an account checks it at once, as an onboarding wizard does: its preflight (sign-in, permissions, sampled
 * reachability; bounded, and read-only in the tenant) runs before the answer, which carries the report. A failing
 * preflight blocks nothing: the account is created either way, and a preflight that cannot run is only logged.
 */
app.http('accountsCreate', {
  route: 'accounts',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, ctx, principal) => {
    const q = parse(accountCreateQuery, Object.fromEntries(req.query.entries()), 'query');
    const s = services();
    const account = await s.inventory.createAccount(await body(req, accountInput), new Date());
    await s.audit.record(
      {
        accountId: account.id,
        action: 'account.create',
        principal,
        ...clientIp(req),
        subject: { accountId: account.id },
      },
      s.now(),
    );
    if (q.preflight === 'false') return json(201, account);
    try {
      return json(201, { ...account, preflight: await preflightAccount(s, account.id) });
    } catch (e) {
      ctx.warn(`account ${account.id}: the preflight on creation did not run: ${(e as Error).message.split('\n')[0]}`);
      return json(201, account);
    }
  }),
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

/** A job or account with its ETag, which `If-Match` on PATCH and DELETE can name. */
const tagged = ({ doc, etag }: { doc: AccountDoc | JobDoc; etag: string }, status = 200) => json(status, doc, { etag });

/** Writes the audit record of a change before the change is made, so even a failed attempt leaves its trace. */
const audited = (
  req: HttpRequest,
  principal: Principal,
  action: AuditEntry['action'],
  subject: Record<string, unknown>,
): Promise<string> => {
  const s = services();
  return s.audit.record({ accountId: req.params.accountId, action, principal, ...clientIp(req), subject }, s.now());
};

app.http('accountsGet', {
  route: 'accounts/{accountId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) =>
    tagged(await services().inventory.tagged<AccountDoc>('account', req.params.accountId, req.params.accountId)),
  ),
});

app.http('accountsUpdate', {
  route: 'accounts/{accountId}',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  // Global: an account's own administrators could otherwise point it at another app's credential.
  handler: handle(
    'Backup.Administrator',
    async (req, _ctx, principal) => {
      const s = services();
      const { accountId } = req.params;
      const patch = await patchBody(req, accountInput);
      await s.inventory.getAccount(accountId);
      await audited(req, principal, 'account.update', { fields: Object.keys(patch) });
      return tagged(
        await s.inventory.replaceLive<AccountDoc>(
          'account',
          accountId,
          accountId,
          (cur) => {
            const next = parse(accountInput, { ...cur, ...patch }, 'body');
            // The tenant is what the account's backups are of: another tenant is another account.
            if (next.tenantId !== cur.tenantId)
              throw new HttpError(
                400,
                'invalidRequest',
                'body.tenantId: cannot change; add an account for that tenant.',
              );
            return { ...cur, ...next, updatedAt: s.now().toISOString() };
          },
          ifMatch(req),
        ),
      );
    },
    { access: 'global' },
  ),
});

app.http('accountsDelete', {
  route: 'accounts/{accountId}',
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: handle(
    'Backup.Administrator',
    async (req, _ctx, principal) => {
      const s = services();
      const { accountId } = req.params;
      await s.inventory.getAccount(accountId);
      const jobs = await s.inventory.listJobs(accountId);
      if (jobs.length)
        return json(
          409,
          errorBody(
            'accountHasJobs',
            `The account still has jobs: ${jobs.map((j) => `'${j.name}' (${j.id})`).join(', ')}; delete them first.`,
          ),
        );
      await audited(req, principal, 'account.delete', {});
      // A tombstone: retention goes on ageing the account's recovery points out by their deleted jobs' policies.
      await s.inventory.tombstone('account', accountId, accountId, deletionBy(principal, s.now()), ifMatch(req));
      return { status: 204 };
    },
    { access: 'global' },
  ),
});

app.http('jobsCreate', {
  route: 'accounts/{accountId}/jobs',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req) => {
    const raw = await body(req, jobFields);
    const accountId = req.params.accountId;
    await checkRepositories(accountId, raw.destination);
    return json(201, await services().inventory.createJob({ ...raw, accountId }, new Date()));
  }),
});

/** A 400 naming each destination field that names no repository of the account. */
async function checkRepositories(accountId: string, destination: JobInput['destination']): Promise<void> {
  const known = new Set([
    DEFAULT_REPOSITORY,
    ...(await services().inventory.listRepositories(accountId)).map((r) => r.name),
  ]);
  const unknown = repositoryRefs(destination).filter((r) => !known.has(r.name));
  if (unknown.length)
    throw new HttpError(
      400,
      'invalidRequest',
      unknown.map((r) => `body.${r.path}: no repository '${r.name}' in this account`).join('; '),
    );
}

app.http('jobsUpdate', {
  route: 'accounts/{accountId}/jobs/{jobId}',
  methods: ['PATCH'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, _ctx, principal) => {
    const s = services();
    const { accountId, jobId } = req.params;
    const patch = await patchBody(req, jobFields);
    if (patch.destination) await checkRepositories(accountId, patch.destination);
    await s.inventory.getJob(accountId, jobId);
    await audited(req, principal, 'job.update', { jobId, fields: Object.keys(patch) });
    return tagged(
      await s.inventory.replaceLive<JobDoc>(
        'job',
        accountId,
        jobId,
        (cur) => ({ ...cur, ...parse(jobFields, { ...cur, ...patch }, 'body'), updatedAt: s.now().toISOString() }),
        ifMatch(req),
      ),
    );
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
    tagged(await services().inventory.tagged<JobDoc>('job', req.params.accountId, req.params.jobId)),
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
