// The emulator's Entra ID as the product's API sees it: OpenID metadata and the signing keys where Entra ID
// publishes them (shared keys, no alg, the tenant's issuer), app-only tokens for the product's API with the service
// principal's object id as oid, without roles when none is assigned, and the groups claim with its overage form.
import fs from 'node:fs';
import https from 'node:https';
import { createRemoteJWKSet } from 'jose';
import { Authorizer } from '../../shared/api-auth/authorizer';
import { API_AUDIENCE } from '../../local/m365/auth/apps';
import { json, startTestEmulator, TestEmulator } from './support';

describe("the emulator's Entra ID for the product's API", () => {
  let t: TestEmulator;
  let agent: https.Agent;
  let authorizer: Authorizer;

  const apiToken = async (clientId: string, clientSecret: string, tenantId = t.em.tenantId): Promise<string> => {
    const res = await t.fetch(`${t.em.authorityHost}/${tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: `${API_AUDIENCE}/.default`,
      }).toString(),
    });
    const body = await json(res);
    if (res.status !== 200) throw new Error(String(body.error_description));
    return String(body.access_token);
  };
  const register = async (displayName: string, o: { apiRoles?: string[]; groups?: string[] } = {}) =>
    (
      await t.control<{ clientId: string; objectId: string; clientSecret: string }>('POST', 'apps', {
        displayName,
        ...o,
      })
    ).body;

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'entra-tokens', extraTenants: [{ seed: 'fabrikam' }] });
    agent = new https.Agent({ ca: fs.readFileSync(t.em.caCertFile) });
    authorizer = new Authorizer({
      authorityHost: t.em.authorityHost,
      tenantId: t.em.tenantId,
      audiences: [API_AUDIENCE],
      // The key set the product builds, over an agent that trusts the emulator's loopback CA.
      keys: createRemoteJWKSet(new URL(`${t.em.authorityHost}/${t.em.tenantId}/discovery/v2.0/keys`), { agent }),
    });
  });
  afterAll(async () => {
    agent?.destroy();
    await t?.stop();
  });

  it("publishes OpenID metadata whose jwks_uri is where the product fetches keys, with keys shaped as Entra ID's", async () => {
    const meta = await json(
      await t.fetch(`${t.em.authorityHost}/${t.em.tenantId}/v2.0/.well-known/openid-configuration`),
    );
    expect(meta).toMatchObject({
      issuer: `${t.em.authorityHost}/${t.em.tenantId}/v2.0`,
      jwks_uri: `${t.em.authorityHost}/${t.em.tenantId}/discovery/v2.0/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const { keys } = await json<{ keys: Array<Record<string, unknown>> }>(await t.fetch(String(meta.jwks_uri)));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k).toMatchObject({
        kty: 'RSA',
        use: 'sig',
        kid: expect.any(String),
        x5t: k.kid,
        n: expect.any(String),
        e: 'AQAB',
        issuer: meta.issuer,
      });
      expect(k).not.toHaveProperty('alg');
      expect(k).not.toHaveProperty('d');
    }
  });

  it("issues API tokens the product accepts: typ JWT, RS256, a published kid, v1.0 issuer, oid the service principal's", async () => {
    const admin = t.em.tenants[0].apps.find((a) => a.displayName === 'm365-vault admin console')!;
    const token = await apiToken(admin.clientId, admin.clientSecret!);
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toMatchObject({
      typ: 'JWT',
      alg: 'RS256',
      kid: expect.any(String),
    });
    const principal = await authorizer.authenticate(`Bearer ${token}`);
    expect(principal).toMatchObject({
      tenantId: t.em.tenantId,
      roles: ['Backup.Administrator'],
      groups: [],
      groupsOverage: false,
    });
    expect(principal.id).not.toBe(admin.clientId);
  });

  it('issues a token without roles to an app with no role on the API, and lists its groups (or their overage)', async () => {
    const plain = await register('operator', { groups: ['group-1'] });
    expect(await authorizer.authenticate(`Bearer ${await apiToken(plain.clientId, plain.clientSecret)}`)).toMatchObject(
      { id: plain.objectId, roles: [], groups: ['group-1'], groupsOverage: false },
    );
    const crowded = await register('crowded', { groups: Array.from({ length: 201 }, (_, i) => `g${i}`) });
    expect(
      await authorizer.authenticate(`Bearer ${await apiToken(crowded.clientId, crowded.clientSecret)}`),
    ).toMatchObject({ groups: [], groupsOverage: true });
  });

  it("signs other tenants' tokens with the same keys, which the product refuses for their issuer", async () => {
    const other = t.em.tenants[1];
    const app = other.apps.find((a) => a.displayName === 'm365-vault admin console')!;
    await expect(
      authorizer.authenticate(`Bearer ${await apiToken(app.clientId, app.clientSecret!, other.tenantId)}`),
    ).rejects.toMatchObject({ status: 401, message: expect.stringContaining('another tenant') });
  });
});
