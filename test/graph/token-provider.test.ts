// Sign-in through @azure/msal-node against the emulator's Entra ID: secret and certificate credentials, msal's
// token cache (one token request for many Graph calls, one msal application per app registration), granted roles,
// and every AADSTS failure as a GraphAuthError carrying its number and never the secret.
import { generate } from 'selfsigned';
import { GraphAuthError } from '../../shared/graph/graph-errors';
import { tokenProviderFor } from '../../shared/graph/token-provider';
import { GraphTestBed, later, startGraphTestBed } from './support';

let bed: GraphTestBed;
let mailbox: string;

beforeAll(async () => {
  bed = await startGraphTestBed({ seed: 'graph-client-auth' });
  mailbox = (await bed.users()).find((u) => u.licensed)!.id;
});
afterAll(() => bed.stop());

const tokenPosts = (): number =>
  bed.sent.filter((s) => s.method === 'POST' && new URL(s.url).pathname.endsWith('/oauth2/v2.0/token')).length;

describe('token provider', () => {
  it('requests one token for many Graph calls (msal caches it)', async () => {
    const before = tokenPosts();
    const client = bed.client();
    const read = { mailbox, operation: 'mail.read' as const, deadline: later() };
    await Promise.all(Array.from({ length: 30 }, () => client.get(`/users/${mailbox}/mailFolders`, read)));
    for (let i = 0; i < 10; i++) await client.get(`/users/${mailbox}`, { ...read, operation: 'users.list' });
    expect(client.stats()).toMatchObject({ requests: 40, tokenRequests: 1 });
    expect(tokenPosts() - before).toBe(1);
  });

  it('reuses one msal application per (authority, tenant, client id) and replaces it when the credential changes', () => {
    const base = {
      authorityHost: bed.t.em.authorityHost,
      tenantId: bed.t.em.tenantId,
      clientId: bed.app().clientId,
      transport: bed.transport,
    };
    const a = tokenProviderFor({ ...base, credential: { clientSecret: bed.app().clientSecret } });
    expect(
      tokenProviderFor({
        ...base,
        authorityHost: `${base.authorityHost}/`,
        credential: { clientSecret: bed.app().clientSecret },
      }),
    ).toBe(a);
    expect(tokenProviderFor({ ...base, credential: { clientSecret: 'rotated' } })).not.toBe(a);
  });

  it('exposes the roles granted to the app', async () => {
    expect(await bed.tokens().roles()).toEqual(
      expect.arrayContaining(['Mail.Read', 'Files.Read.All', 'User.Read.All']),
    );
    const readOnly = bed.app('m365-vault read-only backup');
    const roles = await bed.tokens({ clientSecret: readOnly.clientSecret }, { clientId: readOnly.clientId }).roles();
    expect(roles).toContain('Mail.Read');
    expect(roles).not.toContain('Mail.ReadWrite');
  });

  it.each(['sha256', 'sha1'] as const)('signs in with a certificate (%s thumbprint)', async (thumbprint) => {
    const pems = await generate([{ name: 'commonName', value: `m365-vault ${thumbprint}` }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const { clientId } = bed.app();
    expect((await bed.t.control('POST', `apps/${clientId}/certificates`, { certificatePem: pems.cert })).status).toBe(
      201,
    );
    const sentBefore = bed.sent.length;
    const client = bed.client({ credential: { certificatePem: pems.cert, privateKeyPem: pems.private, thumbprint } });
    const me = await client.get<{ id: string }>(`/users/${mailbox}`, {
      mailbox,
      operation: 'users.list',
      deadline: later(),
    });
    expect(me.id).toBe(mailbox);
    const form = new URLSearchParams(
      bed.sent.slice(sentBefore).find((s) => new URL(s.url).pathname.endsWith('/oauth2/v2.0/token'))!.body,
    );
    expect(form.has('client_secret')).toBe(false);
    // SHA-256 thumbprints travel as x5t#S256 with PS256; the SHA-1 fallback as x5t with RS256.
    const header = JSON.parse(
      Buffer.from(form.get('client_assertion')!.split('.')[0], 'base64url').toString(),
    ) as Record<string, string>;
    expect(header.alg).toBe(thumbprint === 'sha256' ? 'PS256' : 'RS256');
    expect(Object.keys(header)).toContain(thumbprint === 'sha256' ? 'x5t#S256' : 'x5t');
  });

  it('fails with AADSTS700027 for a certificate the app registration does not know', async () => {
    const pems = await generate([{ name: 'commonName', value: 'not uploaded' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    await expect(bed.tokens({ certificatePem: pems.cert, privateKeyPem: pems.private }).token()).rejects.toMatchObject({
      name: 'GraphAuthError',
      aadsts: '700027',
    });
  });

  const secret = 'wrong-secret-value-that-must-not-leak';
  it.each([
    ['7000215', 'a wrong secret', () => bed.tokens({ clientSecret: secret })],
    [
      '700016',
      'an unknown client id',
      () => bed.tokens({ clientSecret: secret }, { clientId: '11111111-2222-3333-4444-555555555555' }),
    ],
    [
      '90002',
      'an unknown tenant',
      () => bed.tokens({ clientSecret: secret }, { tenantId: 'nosuchtenant.onmicrosoft.com' }),
    ],
    [
      '1002012',
      'a scope without /.default',
      () => bed.tokens(undefined, { scope: 'https://graph.microsoft.com/Mail.Read' }),
    ],
  ])('fails with AADSTS%s for %s, without echoing the secret', async (aadsts, _what, provider) => {
    const error = await provider()
      .token()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphAuthError);
    expect(error).toMatchObject({ aadsts, message: expect.stringContaining(`AADSTS${aadsts}`) });
    expect(
      JSON.stringify({ ...(error as object), message: (error as Error).message, stack: (error as Error).stack }),
    ).not.toContain(secret);
  });

  it('fails with AADSTS7000222 for an expired secret', async () => {
    const app = bed.t.em.tenant().apps.find((a) => a.clientId === bed.app().clientId)!;
    app.secrets.push({ value: 'expired-secret-value', expiresAt: new Date('2020-01-01T00:00:00Z') });
    await expect(bed.tokens({ clientSecret: 'expired-secret-value' }).token()).rejects.toMatchObject({
      name: 'GraphAuthError',
      aadsts: '7000222',
    });
  });

  it('reports an unreachable Entra ID as a plain (retriable) error, not a sign-in failure', async () => {
    const { TokenProvider } = await import('../../shared/graph/token-provider');
    const unreachable = new TokenProvider({
      authorityHost: 'https://127.0.0.1:9',
      tenantId: bed.t.em.tenantId,
      clientId: bed.app().clientId,
      credential: { clientSecret: 'x' },
      transport: bed.transport,
    });
    const error = (await unreachable.token().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(GraphAuthError);
    expect(error.message).toMatch(/could not be reached/);
  });
});
