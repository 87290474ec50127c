// A secret rotated in Key Vault is used within minutes, with no redeploy: the Graph session reads the account's
// credential again once its TTL has passed and signs in with a changed one, keeping msal's token cache while it is
// unchanged; a revoked or expired secret ends in the "invalid client secret" / "secret expired" alarm with its fix.
import type { Settings } from '../../shared/config/settings';
import { alarmFor } from '../../shared/backup/failures';
import { graphSessions } from '../../shared/graph/session-factory';
import type { AccountDoc } from '../../shared/inventory/schemas';
import { SecretSource, SecretUnavailable } from '../../shared/secrets/secret-source';
import { GraphTestBed, later, startGraphTestBed, uniqueName } from './support';
import { fakeDateOnly } from '../support/fake-date';

let bed: GraphTestBed;
beforeAll(async () => {
  bed = await startGraphTestBed({ seed: 'secret-rotation' });
});
afterAll(() => bed.stop());
afterEach(() => jest.useRealTimers());

/** Key Vault as the session sees it: one secret whose value the test rotates, counting reads. */
class VaultSecret implements SecretSource {
  reads = 0;
  unavailable = false;
  constructor(public value: string) {}
  async get(name: string): Promise<string> {
    this.reads++;
    if (this.unavailable) throw new SecretUnavailable(name, 'Key Vault answered HTTP 503');
    return this.value;
  }
}

const TTL = 60_000;
const secretsSent = (from: number): string[] =>
  bed.sent
    .slice(from)
    .filter((s) => s.method === 'POST' && new URL(s.url).pathname.endsWith('/oauth2/v2.0/token'))
    .map((s) => new URLSearchParams(s.body).get('client_secret') ?? '');

async function setUp() {
  const name = uniqueName('rotating app');
  const app = (
    await bed.t.control<{ clientId: string; clientSecret: string }>('POST', 'apps', {
      displayName: name,
      graphRoles: ['User.Read.All'],
    })
  ).body;
  const vault = new VaultSecret(app.clientSecret);
  let clock = 1_000_000;
  const settings = {
    M365V_GRAPH_BASE_URL: bed.t.em.graphBaseUrl,
    M365V_AUTHORITY_HOST: bed.t.em.authorityHost,
  } as Settings;
  const sessions = graphSessions(settings, vault, { now: () => clock, credentialTtlMs: TTL, transport: bed.transport });
  const account = {
    id: uniqueName('account'),
    tenantId: bed.t.em.tenantId,
    clientId: app.clientId,
    credential: { type: 'secret', secretName: 'customer-backup' },
  } as AccountDoc;
  const users = async () =>
    (await sessions(account)).get<{ value: unknown[] }>('/users?$top=1', {
      mailbox: 'directory',
      operation: 'users.list',
      deadline: later(),
    });
  const secrets = (body: { add?: string; remove?: string }) =>
    bed.t.control('POST', `apps/${app.clientId}/secrets`, body);
  return {
    app,
    vault,
    users,
    secrets,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('a rotated client secret', () => {
  it('is used after the credential TTL with no redeploy; an unchanged one keeps the token cache', async () => {
    const { app, vault, users, secrets, advance } = await setUp();
    const start = bed.sent.length;
    await users();
    expect(secretsSent(start)).toEqual([app.clientSecret]);

    // Rotation as administrators do it: a second secret in Entra ID, the new value into Key Vault, the old one revoked.
    await secrets({ add: 'rotated-secret-1' });
    vault.value = 'rotated-secret-1';
    const readsBefore = vault.reads;
    advance(TTL - 1);
    await users();
    expect(vault.reads).toBe(readsBefore);
    advance(2);
    const rotatedAt = bed.sent.length;
    await users();
    expect(vault.reads).toBe(readsBefore + 1);
    expect(secretsSent(rotatedAt)).toEqual(['rotated-secret-1']);
    await secrets({ remove: app.clientSecret });
    await users();

    // Read again, unchanged: the same msal application, its cached token, no token request.
    const quiet = bed.sent.length;
    advance(TTL + 1);
    await users();
    expect(vault.reads).toBe(readsBefore + 2);
    expect(secretsSent(quiet)).toEqual([]);
  });

  it('keeps the credential in use when Key Vault cannot be read for a moment', async () => {
    const { vault, users, advance } = await setUp();
    await users();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      vault.unavailable = true;
      advance(TTL + 1);
      await expect(users()).resolves.toBeDefined();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining("re-reading the credential 'customer-backup'"));
      expect(JSON.stringify(warn.mock.calls)).not.toContain(vault.value);
    } finally {
      warn.mockRestore();
      vault.unavailable = false;
    }
  });
});

describe('a revoked or expired client secret', () => {
  it('ends in the invalid-client-secret alarm with its fix once the cached token is gone, and a new secret in Key Vault cures it', async () => {
    const { app, vault, users, secrets, advance } = await setUp();
    await users();
    await secrets({ remove: app.clientSecret });
    // Entra ID keeps honouring a token it issued until it expires, as Graph does here.
    await expect(users()).resolves.toBeDefined();
    // An hour on (msal's cache and the emulator both read Date; only Date is faked, I/O and timers stay real).
    fakeDateOnly(Date.now() + 3600_000);
    advance(3600_000);
    const failure = await users().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ name: 'GraphAuthError', aadsts: '7000215' });
    const alarm = alarmFor(failure, 'users.list', { kind: 'tenant', name: 'Customer' });
    expect(alarm).toMatchObject({
      code: 'auth.badSecret',
      severity: 'error',
      fix: expect.stringContaining("Store the secret's Value"),
    });
    expect(JSON.stringify(alarm)).not.toContain(app.clientSecret);

    await secrets({ add: 'fixed-secret' });
    vault.value = 'fixed-secret';
    advance(TTL + 1);
    await expect(users()).resolves.toBeDefined();
  });

  it('ends in the secret-expired alarm when Key Vault holds a secret past its end date', async () => {
    const { app, vault, users, advance } = await setUp();
    await users();
    bed.t.em
      .tenant()
      .apps.find((a) => a.clientId === app.clientId)!
      .secrets.push({ value: 'expired-secret', expiresAt: new Date('2020-01-01T00:00:00Z') });
    vault.value = 'expired-secret';
    advance(TTL + 1);
    const failure = await users().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(alarmFor(failure, 'users.list', { kind: 'tenant', name: 'Customer' })).toMatchObject({
      code: 'auth.secretExpired',
      fix: expect.stringContaining('Create a new client secret'),
    });
  });
});
