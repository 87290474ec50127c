import type { LocalApp } from '../../local/cli/local-app';

/** Adds the emulated tenant as an account through the API, signing in as its backup app: the account's id. */
export async function addDemoAccount(app: LocalApp, displayName: string): Promise<string> {
  const account = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
    displayName,
    tenantId: app.tenant.tenantId,
    clientId: app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!.clientId,
    credential: { type: 'secret', secretName: 'demo-backup' },
  });
  if (account.status !== 201) throw new Error(`adding the account answered ${account.status}`);
  return account.body.id;
}
