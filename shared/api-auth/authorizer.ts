// Who is calling the API and what they may do: Entra ID bearer tokens for the product's API app registration, with
// app roles Backup.Reader (browse, search, preview, difference reports) and Backup.Administrator (everything).
import type { KeyObject } from 'node:crypto';
import { Jwk, keyFromJwk, TokenRejected, verifyJwt } from './jwt';

export type Role = 'Backup.Reader' | 'Backup.Administrator';

export interface Principal {
  /** Object id of the user or service principal. */
  id: string;
  name: string;
  tenantId: string;
  roles: Role[];
}

export class Unauthorized extends Error {
  constructor(readonly status: 401 | 403, message: string) {
    super(message);
    this.name = 'Unauthorized';
  }
}

export interface AuthorizerOptions {
  authorityHost: string;
  tenantId: string;
  audience: string;
  /** Fetches the signing keys; injectable for tests. */
  fetchJwks?: (url: string) => Promise<{ keys: Jwk[] }>;
  now?: () => number;
}

const JWKS_REFRESH_MS = 60 * 60_000;
const MIN_REFETCH_MS = 30_000;

export class Authorizer {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private readonly jwksUrl: string;

  constructor(private readonly opts: AuthorizerOptions) {
    this.jwksUrl = `${opts.authorityHost.replace(/\/$/, '')}/${opts.tenantId}/discovery/v2.0/keys`;
  }

  /** Verifies the bearer token and that it carries one of `allowed` (Administrator implies Reader). */
  async authorize(authorization: string | null | undefined, allowed: Role): Promise<Principal> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new Unauthorized(401, 'Send an Entra ID access token for this API as "Authorization: Bearer <token>".');
    let claims;
    try {
      const now = (this.opts.now ?? Date.now)();
      claims = await verifyJwt(token, (kid) => this.key(kid), {
        audiences: [this.opts.audience],
        issuers: [`https://sts.windows.net/${this.opts.tenantId}/`, `${this.opts.authorityHost.replace(/\/$/, '')}/${this.opts.tenantId}/v2.0`, `https://login.microsoftonline.com/${this.opts.tenantId}/v2.0`],
        nowSeconds: Math.floor(now / 1000),
      });
    } catch (e) {
      if (e instanceof TokenRejected) throw new Unauthorized(401, `The access token was rejected: ${e.reason}.`);
      throw e;
    }
    const roles = (Array.isArray(claims.roles) ? claims.roles : []).filter((r): r is Role => r === 'Backup.Reader' || r === 'Backup.Administrator');
    const principal: Principal = {
      id: String(claims.oid ?? claims.sub ?? ''),
      name: String(claims.preferred_username ?? claims.upn ?? claims.name ?? claims.azp ?? claims.appid ?? claims.oid ?? 'unknown'),
      tenantId: String(claims.tid ?? this.opts.tenantId),
      roles,
    };
    const permitted = roles.includes('Backup.Administrator') || (allowed === 'Backup.Reader' && roles.includes('Backup.Reader'));
    if (!permitted) throw new Unauthorized(403, `This operation requires the ${allowed} app role; ${principal.name} has ${roles.length ? roles.join(', ') : 'no role'} on this API.`);
    return principal;
  }

  private async key(kid: string): Promise<KeyObject | undefined> {
    const now = Date.now();
    const stale = now - this.fetchedAt > JWKS_REFRESH_MS;
    // Keys roll over: an unknown kid triggers a refetch, rate-limited so bad tokens cannot hammer the JWKS endpoint.
    if (stale || (!this.keys.has(kid) && now - this.fetchedAt > MIN_REFETCH_MS)) {
      const jwks = await (this.opts.fetchJwks ?? defaultFetch)(this.jwksUrl);
      this.keys = new Map(jwks.keys.filter((k) => k.kty === 'RSA' && k.kid).map((k) => [k.kid, keyFromJwk(k)]));
      this.fetchedAt = now;
    }
    return this.keys.get(kid);
  }
}

async function defaultFetch(url: string): Promise<{ keys: Jwk[] }> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`signing keys unavailable (HTTP ${res.status} from ${url})`);
  return (await res.json()) as { keys: Jwk[] };
}
