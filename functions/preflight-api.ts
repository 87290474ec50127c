// The preflight of an account on demand: runs it (nothing is changed in the tenant), stores the report with the
// account and answers it. Audited like other administrator operations: it reads the account's credential.
import { app } from '@azure/functions';
import { preflightAccount, preflightQuery } from '../shared/preflight/account-preflight';
import { services } from '../shared/runtime/services';
import { clientIp, handle, json, parse } from './http/respond';

app.http('accountsPreflight', {
  route: 'accounts/{accountId}/preflight',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, _ctx, principal) => {
    const q = parse(preflightQuery, Object.fromEntries(req.query.entries()), 'query');
    const s = services();
    const accountId = req.params.accountId;
    await s.inventory.getAccount(accountId);
    await s.audit.record(
      { accountId, action: 'preflight.run', principal, ...clientIp(req), subject: { accountId } },
      s.now(),
    );
    return json(200, await preflightAccount(s, accountId, q.thumbprint ? { thumbprint: q.thumbprint } : {}));
  }),
});
