// The API's token validation (jose): Entra ID access tokens of the configured tenant and audience, RS256 only, typ
// JWT, a minute of clock tolerance, tid agreeing with the issuer; the tenant's signing keys fetched once, refetched
// for a rolled-over key (with a cooldown, so forged key ids cannot hammer Entra ID).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { Authorizer, SigningKeysUnavailable, Unauthorized } from '../../shared/api-auth/authorizer';
import { fakeDateOnly } from '../support/fake-date';

const tenant = '11111111-2222-3333-4444-555555555555';
const audience = 'api://m365-vault';
const apiClientId = '99999999-8888-7777-6666-555555555555';
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const k1 = rsa();
const k2 = rsa();
const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' });

const now = 1_800_000_000;

function sign(
  claims: Record<string, unknown>,
  opts: { kid?: string; key?: KeyObject; typ?: string } = {},
): Promise<string> {
  return new SignJWT({
    aud: audience,
    iss: `https://sts.windows.net/${tenant}/`,
    tid: tenant,
    oid: 'o1',
    iat: now - 10,
    nbf: now - 10,
    exp: now + 3600,
    ...claims,
  })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1', typ: opts.typ ?? 'JWT' })
    .sign(opts.key ?? k1.privateKey);
}
const unsigned = (header: Record<string, unknown>, claims: Record<string, unknown>): string =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify({ aud: audience, iss: `https://sts.windows.net/${tenant}/`, tid: tenant, oid: 'o1', exp: now + 3600, roles: ['Backup.Administrator'], ...claims })).toString('base64url')}.`;

describe('API token validation', () => {
  let server: http.Server;
  let published: unknown[] = [jwk(k1.publicKey, 'k1')];
  let fetches = 0;
  let available = true;
  let base: string;
  let authorizer: Authorizer;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      fetches++;
      if (!available || req.url !== `/${tenant}/discovery/v2.0/keys`) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    authorizer = new Authorizer({
      authorityHost: base,
      tenantId: tenant,
      audiences: [audience, apiClientId],
      now: () => now * 1000,
    });
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const reject = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as Unauthorized,
    );

  it('admits an Entra ID access token and reads who it is, its app roles and its groups', async () => {
    const t = await sign({
      roles: ['Backup.Reader', 'Other.Role'],
      preferred_username: 'ops@contoso.example',
      groups: ['g1', 'g2'],
    });
    expect(await authorizer.authenticate(`Bearer ${t}`)).toEqual({
      id: 'o1',
      name: 'ops@contoso.example',
      tenantId: tenant,
      roles: ['Backup.Reader'],
      groups: ['g1', 'g2'],
      groupsOverage: false,
    });
  });

  it('accepts v2.0 tokens (client id audience, v2.0 issuer) and an audience array naming the API', async () => {
    await expect(
      authorizer.authenticate(
        `Bearer ${await sign({ aud: apiClientId, iss: `https://login.microsoftonline.com/${tenant}/v2.0` })}`,
      ),
    ).resolves.toMatchObject({ id: 'o1' });
    await expect(
      authorizer.authenticate(`Bearer ${await sign({ aud: ['https://graph.microsoft.com', audience] })}`),
    ).resolves.toMatchObject({ id: 'o1' });
  });

  it('notices group overage (the groups did not fit in the token)', async () => {
    const t = await sign({
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/o1/getMemberObjects' } },
    });
    expect(await authorizer.authenticate(`Bearer ${t}`)).toMatchObject({ groups: [], groupsOverage: true });
  });

  it('tolerates a minute of clock skew, not more', async () => {
    await expect(authorizer.authenticate(`Bearer ${await sign({ exp: now - 50 })}`)).resolves.toBeDefined();
    await expect(authorizer.authenticate(`Bearer ${await sign({ nbf: now + 50 })}`)).resolves.toBeDefined();
    expect(await reject(authorizer.authenticate(`Bearer ${await sign({ exp: now - 70 })}`))).toMatchObject({
      status: 401,
    });
  });

  it.each([
    ['no header', async () => undefined, /Bearer/],
    ['an expired token', async () => `Bearer ${await sign({ exp: now - 3600 })}`, /expired/],
    ['a token not valid yet', async () => `Bearer ${await sign({ nbf: now + 600 })}`, /not valid yet/],
    [
      'a token for another audience',
      async () => `Bearer ${await sign({ aud: 'https://graph.microsoft.com' })}`,
      /another audience/,
    ],
    [
      'a token of another tenant',
      async () =>
        `Bearer ${await sign({ iss: 'https://sts.windows.net/22222222-2222-2222-2222-222222222222/', tid: '22222222-2222-2222-2222-222222222222' })}`,
      /another tenant/,
    ],
    [
      "a tid that is not the issuer's tenant",
      async () => `Bearer ${await sign({ tid: '22222222-2222-2222-2222-222222222222' })}`,
      /tenant \(tid\)/,
    ],
    ['a token without tid', async () => `Bearer ${await sign({ tid: undefined })}`, /'tid' claim/],
    ['a token without oid', async () => `Bearer ${await sign({ oid: undefined })}`, /'oid' claim/],
    [
      'a forged signature',
      async () => `Bearer ${await sign({ roles: ['Backup.Administrator'] }, { key: k2.privateKey })}`,
      /signature/,
    ],
    ['alg none', async () => `Bearer ${unsigned({ alg: 'none', typ: 'JWT' }, {})}`, /RS256/],
    [
      'HS256 signed with the public key',
      async () =>
        `Bearer ${await new SignJWT({ aud: audience, iss: `https://sts.windows.net/${tenant}/`, tid: tenant, oid: 'o1', exp: now + 3600, roles: ['Backup.Administrator'] }).setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'JWT' }).sign(new Uint8Array(k1.publicKey.export({ type: 'spki', format: 'pem' }) as Buffer))}`,
      /RS256/,
    ],
    ['another JOSE type than an access token', async () => `Bearer ${await sign({}, { typ: 'dpop+jwt' })}`, /typ/],
    ['garbage', async () => 'Bearer abc.def', /malformed/],
  ])('refuses %s with 401', async (_what, header, message) => {
    const e = await reject(authorizer.authenticate(await header()));
    expect(e).toBeInstanceOf(Unauthorized);
    expect(e).toMatchObject({ status: 401 });
    expect(e?.message).toMatch(message);
  });

  describe('signing keys', () => {
    afterEach(() => jest.useRealTimers());
    // jose's key cache and cooldown run on Date.now: only Date is faked, network and timers stay real.

    it('are fetched once, refetched once for an unknown key id within the cooldown, and a rolled-over key is accepted after it', async () => {
      const t0 = Date.now();
      fakeDateOnly(t0);
      const fresh = new Authorizer({
        authorityHost: base,
        tenantId: tenant,
        audiences: [audience],
        now: () => now * 1000,
      });
      const before = fetches;
      for (let i = 0; i < 5; i++) await fresh.authenticate(`Bearer ${await sign({})}`);
      expect(fetches - before).toBe(1);
      // Entra ID publishes the next key before it signs with it.
      published = [jwk(k1.publicKey, 'k1'), jwk(k2.publicKey, 'k2')];
      const rolled = `Bearer ${await sign({}, { kid: 'k2', key: k2.privateKey })}`;
      expect(await reject(fresh.authenticate(rolled))).toMatchObject({ status: 401 });
      expect(await reject(fresh.authenticate(rolled))).toMatchObject({ status: 401 });
      expect(fetches - before).toBe(1);
      jest.setSystemTime(t0 + 31_000);
      await expect(fresh.authenticate(rolled)).resolves.toMatchObject({ id: 'o1' });
      expect(fetches - before).toBe(2);
      for (let i = 0; i < 5; i++)
        await reject(fresh.authenticate(`Bearer ${await sign({}, { kid: `forged-${i}`, key: k2.privateKey })}`));
      expect(fetches - before).toBe(2);
    });

    it('unavailable is a failure of ours (503), not a rejected token', async () => {
      available = false;
      try {
        const blind = new Authorizer({
          authorityHost: base,
          tenantId: tenant,
          audiences: [audience],
          now: () => now * 1000,
        });
        await expect(blind.authenticate(`Bearer ${await sign({})}`)).rejects.toBeInstanceOf(SigningKeysUnavailable);
      } finally {
        available = true;
      }
    });
  });
});
