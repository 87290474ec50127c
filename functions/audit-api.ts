// The audit trail of an account: who restored, exported or downloaded what, when, from where.
import { app } from '@azure/functions';
import { services } from '../shared/runtime/services';
import { handle, json } from './http/respond';

app.http('auditList', {
  route: 'accounts/{accountId}/audit',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req) => {
    await services().inventory.getAccount(req.params.accountId);
    return json(200, { value: await services().audit.list(req.params.accountId) });
  }),
});
