// Per-account grants over HTTP: who, besides the holders of the app roles, may read or administer one account.
// Managing them takes the Backup.Administrator app role itself (an account's own administrators cannot widen their
// access); every change is written to the account's audit trail before it is made.
import { app, type HttpRequest } from '@azure/functions';
import { grantInput, grantPrincipalParam } from '../shared/access/grants';
import { services } from '../shared/runtime/services';
import { body, clientIp, errorBody, handle, json, parse } from './http/respond';

const GRANT = 'accounts/{accountId}/grants/{principalId}';

app.http('grantsList', {
  route: 'accounts/{accountId}/grants',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle(
    'Backup.Administrator',
    async (req) => {
      const s = services();
      await s.inventory.getAccount(req.params.accountId);
      return json(200, { value: await s.grants.list(req.params.accountId) });
    },
    { access: 'global' },
  ),
});

/** The account (404 if none) and the principal of a grant route, with the grant it holds now. */
async function grantOf(req: HttpRequest) {
  const s = services();
  const principalId = parse(grantPrincipalParam, req.params.principalId, 'path.principalId');
  const accountId = req.params.accountId;
  await s.inventory.getAccount(accountId);
  return { s, accountId, principalId, current: await s.grants.get(accountId, principalId) };
}

app.http('grantsSet', {
  route: GRANT,
  methods: ['PUT'],
  authLevel: 'anonymous',
  handler: handle(
    'Backup.Administrator',
    async (req, _ctx, principal) => {
      const { s, accountId, principalId, current: before } = await grantOf(req);
      const input = await body(req, grantInput);
      await s.audit.record(
        {
          accountId,
          action: 'grant.set',
          principal,
          ...clientIp(req),
          subject: {
            principalId,
            principalType: input.principalType,
            role: input.role,
            ...(before ? { previousRole: before.role } : {}),
          },
        },
        s.now(),
      );
      return json(
        before ? 200 : 201,
        await s.grants.put(accountId, principalId, input, { id: principal.id, name: principal.name }, s.now()),
      );
    },
    { access: 'global' },
  ),
});

app.http('grantsRemove', {
  route: GRANT,
  methods: ['DELETE'],
  authLevel: 'anonymous',
  handler: handle(
    'Backup.Administrator',
    async (req, _ctx, principal) => {
      const { s, accountId, principalId, current } = await grantOf(req);
      if (!current) return json(404, errorBody('notFound', 'path.principalId: holds no grant on this account.'));
      await s.audit.record(
        {
          accountId,
          action: 'grant.remove',
          principal,
          ...clientIp(req),
          subject: { principalId, principalType: current.principalType, role: current.role },
        },
        s.now(),
      );
      await s.grants.remove(accountId, principalId);
      return { status: 204 };
    },
    { access: 'global' },
  ),
});
