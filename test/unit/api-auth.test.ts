import { generateKeyPairSync, sign } from 'node:crypto';
import { Authorizer, Unauthorized } from '../../shared/api-auth/authorizer';

const tenant = '11111111-2222-3333-4444-555555555555';
const audience = 'api://m365-vault';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1' } as { kid: string; kty: string; n: string; e: string };

const now = 1_800_000_000;
function token(claims: Record<string, unknown>, opts: { kid?: string; key?: typeof privateKey; alg?: string } = {}): string {
  const h = Buffer.from(JSON.stringify({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'k1', typ: 'JWT' })).toString('base64url');
  const p = Buffer.from(JSON.stringify({ aud: audience, iss: `https://sts.windows.net/${tenant}/`, tid: tenant, oid: 'o1', exp: now + 3600, nbf: now - 10, ...claims })).toString('base64url');
  return `${h}.${p}.${sign('RSA-SHA256', Buffer.from(`${h}.${p}`), opts.key ?? privateKey).toString('base64url')}`;
}

describe('API authorizer', () => {
  let fetches = 0;
  const authorizer = new Authorizer({
    authorityHost: 'https://login.example', tenantId: tenant, audience, now: () => now * 1000,
    fetchJwks: async (url) => {
      fetches++;
      expect(url).toBe(`https://login.example/${tenant}/discovery/v2.0/keys`);
      return { keys: [jwk] };
    },
  });
  const reject = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Unauthorized);

  it('admits a reader to read and not to administer', async () => {
    const t = `Bearer ${token({ roles: ['Backup.Reader'], preferred_username: 'ops@contoso.example' })}`;
    expect(await authorizer.authorize(t, 'Backup.Reader')).toMatchObject({ id: 'o1', name: 'ops@contoso.example', tenantId: tenant, roles: ['Backup.Reader'] });
    const denied = await reject(authorizer.authorize(t, 'Backup.Administrator'));
    expect(denied).toMatchObject({ status: 403 });
    expect(denied?.message).toContain('requires the Backup.Administrator app role');
  });

  it('lets an administrator do everything', async () => {
    const t = `Bearer ${token({ roles: ['Backup.Administrator'] })}`;
    await expect(authorizer.authorize(t, 'Backup.Reader')).resolves.toBeDefined();
    await expect(authorizer.authorize(t, 'Backup.Administrator')).resolves.toBeDefined();
  });

  it.each([
    ['no header', undefined, /Bearer/],
    ['expired', `Bearer ${token({ roles: ['Backup.Reader'], exp: now - 3600 })}`, /expired/],
    ['another audience', `Bearer ${token({ roles: ['Backup.Reader'], aud: 'https://graph.microsoft.com' })}`, /audience/],
    ['another tenant', `Bearer ${token({ roles: ['Backup.Reader'], iss: 'https://sts.windows.net/other/' })}`, /issuer/],
    ['a forged signature', `Bearer ${token({ roles: ['Backup.Administrator'] }, { key: other.privateKey })}`, /signature/],
    ['alg none', `Bearer ${token({ roles: ['Backup.Administrator'] }, { alg: 'none' })}`, /algorithm/],
    ['garbage', 'Bearer abc.def', /malformed/],
  ])('rejects %s with 401', async (_what, header, message) => {
    const e = await reject(authorizer.authorize(header, 'Backup.Reader'));
    expect(e).toMatchObject({ status: 401 });
    expect(e?.message).toMatch(message);
  });

  it('fetches the signing keys once, not per request, and refetches (rate-limited) for an unknown key id', async () => {
    const before = fetches;
    await authorizer.authorize(`Bearer ${token({ roles: ['Backup.Reader'] })}`, 'Backup.Reader');
    expect(fetches).toBe(before);
    await reject(authorizer.authorize(`Bearer ${token({ roles: ['Backup.Reader'] }, { kid: 'unknown' })}`, 'Backup.Reader'));
    await reject(authorizer.authorize(`Bearer ${token({ roles: ['Backup.Reader'] }, { kid: 'unknown' })}`, 'Backup.Reader'));
    expect(fetches - before).toBeLessThanOrEqual(1);
  });
});
