// Microsoft Entra ID's v2.0 token endpoint for the client-credentials grant: client secret or certificate
// assertion, RS256 access tokens whose `roles` claim lists the app's granted permissions, and AADSTS errors with
// the real shapes and numbers.
import { createPublicKey, createSign, KeyObject, randomUUID, verify } from 'node:crypto';
import { AppRegistration, REGISTERED_RESOURCES } from './apps';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

export interface TokenTenant {
  id: string;
  domain: string;
  apps: AppRegistration[];
}

export interface TokenReply {
  status: number;
  body: Record<string, unknown>;
}

const GRAPH_AUDIENCES = ['https://graph.microsoft.com', '00000003-0000-0000-c000-000000000000'];

function aadError(status: number, error: string, code: number, description: string): TokenReply {
  const trace = randomUUID();
  const correlation = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: trace,
      correlation_id: correlation,
    },
  };
}

export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: key.kid, x5t: key.kid })).toString(
    'base64url',
  );
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key.privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

function checkAssertion(assertion: string, app: AppRegistration, tokenUrl: string, nowS: number): string | undefined {
  const [h, p, s] = assertion.split('.');
  if (!h || !p || !s) return 'The client assertion is not a JWT.';
  let header: { alg?: string; x5t?: string; 'x5t#S256'?: string };
  let claims: { aud?: string; iss?: string; sub?: string; exp?: number; nbf?: number };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString()) as typeof header;
    claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as typeof claims;
  } catch {
    return 'The client assertion is not a JWT.';
  }
  const cert = app.certificates.find((c) => c.x5t === header.x5t || c.x5tS256 === header['x5t#S256']);
  if (!cert)
    return `Client assertion failed signature validation. Key was not found: the thumbprint is not registered for application '${app.clientId}'.`;
  const algorithm =
    header.alg === 'PS256'
      ? { key: createPublicKey(cert.publicKeyPem), padding: 6, saltLength: 32 }
      : createPublicKey(cert.publicKeyPem);
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), algorithm, Buffer.from(s, 'base64url')))
    return 'Client assertion contains an invalid signature.';
  if (claims.iss !== app.clientId || claims.sub !== app.clientId)
    return 'The client assertion issuer and subject must be the client id.';
  if (claims.aud !== tokenUrl && !String(claims.aud).startsWith('https://login.microsoftonline.com/'))
    return 'The audience of the client assertion is invalid.';
  if (!claims.exp || claims.exp < nowS) return 'The client assertion has expired.';
  return undefined;
}

/** JWTs carry at most 200 groups; past that Entra ID sends a reference to Graph instead (group overage). */
const MAX_TOKEN_GROUPS = 200;

function groupsClaim(tenantId: string, app: AppRegistration): Record<string, unknown> {
  if (!app.groups.length) return {};
  if (app.groups.length <= MAX_TOKEN_GROUPS) return { groups: [...app.groups] };
  return {
    _claim_names: { groups: 'src1' },
    _claim_sources: {
      src1: { endpoint: `https://graph.windows.net/${tenantId}/servicePrincipals/${app.objectId}/getMemberObjects` },
    },
  };
}

/** Handles a token request. `tokenUrl` is this endpoint's own URL (a certificate assertion's audience). */
export function issueToken(
  tenant: TokenTenant | undefined,
  tenantSegment: string,
  form: URLSearchParams,
  basicAuth: { id: string; secret: string } | undefined,
  key: SigningKey,
  tokenUrl: string,
  now = new Date(),
): TokenReply {
  if (!tenant)
    return aadError(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  if (form.get('grant_type') !== 'client_credentials')
    return aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  const clientId = form.get('client_id') ?? basicAuth?.id ?? '';
  const app = tenant.apps.find((a) => a.clientId === clientId);
  if (!app)
    return aadError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.domain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
    );
  if (app.disabled)
    return aadError(
      400,
      'unauthorized_client',
      7000112,
      `Application '${app.clientId}'(${app.displayName}) is disabled.`,
    );
  const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
  if (scopes.length !== 1)
    return aadError(
      400,
      'invalid_scope',
      scopes.length ? 700022 : 1002012,
      scopes.length
        ? 'The provided value for the input parameter scope is not valid because it contains more than one resource.'
        : 'The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).',
    );
  if (!scopes[0].endsWith('/.default'))
    return aadError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scopes[0]} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  const secret = form.get('client_secret') ?? basicAuth?.secret;
  const assertion = form.get('client_assertion');
  const nowS = Math.floor(now.getTime() / 1000);
  if (app.publicClient && ((secret !== undefined && secret !== null) || assertion))
    return aadError(
      400,
      'invalid_client',
      700025,
      "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    );
  if (secret !== undefined && secret !== null) {
    const match = app.secrets.find((s) => s.value === secret);
    if (!match)
      return aadError(
        401,
        'invalid_client',
        7000215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" +
          app.clientId +
          "'.",
      );
    if (match.expiresAt <= now)
      return aadError(
        401,
        'invalid_client',
        7000222,
        `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app.`,
      );
  } else if (assertion) {
    const problem = checkAssertion(assertion, app, tokenUrl, nowS);
    if (problem) return aadError(401, 'invalid_client', 700027, problem);
  } else {
    return aadError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (app.blockedByConditionalAccess)
    return aadError(
      400,
      'access_denied',
      53003,
      'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
    );
  const resource = scopes[0].slice(0, -'/.default'.length);
  const graph = GRAPH_AUDIENCES.includes(resource);
  // A registered resource issues tokens to any app of the tenant, without `roles` when none is assigned (the resource
  // decides what that allows); only an unknown resource is an error.
  if (!graph && !REGISTERED_RESOURCES.includes(resource) && !app.apiRoles.has(resource))
    return aadError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant.domain}.`,
    );
  const roles = graph ? [...app.graphRoles] : [...(app.apiRoles.get(resource) ?? [])];
  const claims = {
    aud: graph ? 'https://graph.microsoft.com' : resource,
    iss: `https://sts.windows.net/${tenant.id}/`,
    iat: nowS,
    nbf: nowS,
    exp: nowS + 3599,
    aio: randomUUID(),
    app_displayname: app.displayName,
    appid: app.clientId,
    azp: app.clientId,
    idtyp: 'app',
    oid: app.objectId,
    sub: app.objectId,
    tid: tenant.id,
    ver: '1.0',
    ...(roles.length ? { roles } : {}),
    ...(graph ? {} : groupsClaim(tenant.id, app)),
  };
  return {
    status: 200,
    body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: signJwt(key, claims) },
  };
}
