// Entra ID endpoints (token, JWKS, OpenID and instance discovery, so msal-node never leaves the machine) and the
// validation of Graph bearer tokens: signature, audience, expiry and tenant.
import { verify } from 'node:crypto';
import { issueToken } from './token-endpoint';
import { GraphError } from '../graph/errors';
import type { Caller, ValidateToken } from '../graph/router';
import { registerHttpRoutes } from '../http-routes';

const GRAPH_AUDIENCES = ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'];

export const validateGraphToken: ValidateToken = (authorization, tenants, nowMs): Caller => {
  const invalid = (message: string): GraphError => new GraphError(401, 'InvalidAuthenticationToken', message);
  const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
  if (!token) throw invalid('Access token is empty.');
  const [h, p, s] = token.split('.');
  if (!h || !p || !s) throw invalid('IDX14100: JWT is not well formed, there are no dots (.).');
  const ok = tenants.signingKeys.some((k) =>
    verify('RSA-SHA256', Buffer.from(`${h}.${p}`), k.publicKey, Buffer.from(s, 'base64url')),
  );
  if (!ok) throw invalid('Access token validation failure. Invalid signature.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as {
    aud?: string;
    exp?: number;
    tid?: string;
    appid?: string;
    roles?: string[];
  };
  if (!GRAPH_AUDIENCES.includes(claims.aud ?? '')) throw invalid('Access token validation failure. Invalid audience.');
  if (!claims.exp || claims.exp * 1000 < nowMs) throw invalid('Lifetime validation failed, the token is expired.');
  if (!claims.tid || !tenants.get(claims.tid)) throw invalid('Access token validation failure. Invalid tenant.');
  return { tenantId: claims.tid, appId: claims.appid ?? '', roles: new Set(claims.roles ?? []), token };
};

registerHttpRoutes([
  {
    method: '*',
    path: '/{tenant}/oauth2/v2.0/token',
    async handler(ctx) {
      if (ctx.method !== 'POST') return { status: 405 };
      const rt = ctx.emulator;
      const segment = ctx.params.tenant;
      const t = rt.tenants.get(segment);
      const basic = /^Basic (.+)$/i.exec(String(ctx.headers.authorization ?? ''))?.[1];
      const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [];
      const key = rt.tenants.signingKeys[0];
      const reply = issueToken(
        t ? { id: t.id, domain: t.domain, apps: t.apps } : undefined,
        segment,
        new URLSearchParams((await ctx.body()).toString('utf8')),
        id ? { id, secret: secret ?? '' } : undefined,
        { kid: key.kid, privateKey: key.privateKey, publicJwk: key.publicJwk },
        `${rt.origin}/${segment}/oauth2/v2.0/token`,
        new Date(rt.clock.now()),
      );
      return { status: reply.status, json: reply.body, headers: { 'cache-control': 'no-store' } };
    },
  },
  {
    // The keys are shared by every tenant; each tenant's document names its own v2.0 issuer beside them, as Entra's do.
    method: 'GET',
    path: '/{tenant}/discovery/v2.0/keys',
    handler(ctx) {
      const tid = ctx.emulator.tenants.get(ctx.params.tenant)?.id ?? ctx.params.tenant;
      return {
        status: 200,
        json: {
          keys: ctx.emulator.tenants.signingKeys.map((k) => ({
            ...k.publicJwk,
            issuer: `${ctx.emulator.origin}/${tid}/v2.0`,
          })),
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/{tenant}/v2.0/.well-known/openid-configuration',
    handler(ctx) {
      const base = ctx.emulator.origin;
      const tid = ctx.emulator.tenants.get(ctx.params.tenant)?.id ?? ctx.params.tenant;
      return {
        status: 200,
        json: {
          token_endpoint: `${base}/${tid}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/${tid}/oauth2/v2.0/authorize`,
          issuer: `${base}/${tid}/v2.0`,
          jwks_uri: `${base}/${tid}/discovery/v2.0/keys`,
          end_session_endpoint: `${base}/${tid}/oauth2/v2.0/logout`,
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
          response_types_supported: ['code', 'id_token', 'token'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          tenant_region_scope: 'EU',
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/{tenant}/discovery/instance',
    handler(ctx) {
      const host = new URL(ctx.emulator.origin).host;
      return {
        status: 200,
        json: {
          tenant_discovery_endpoint: `${ctx.emulator.origin}/${ctx.params.tenant}/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        },
      };
    },
  },
]);
