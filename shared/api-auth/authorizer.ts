// Who is calling the API: an Entra ID access token for the product's API app registration, verified with `jose`
// against the tenant's published signing keys. What the caller may do is decided apart (access-policy.ts): app roles
// Backup.Reader / Backup.Administrator hold for every account, per-account grants for one.
import { createRemoteJWKSet, errors, jwtVerify, JWTPayload, JWTVerifyGetKey } from 'jose';

export type Role = 'Backup.Reader' | 'Backup.Administrator';

export interface Principal {
  /** Object id (`oid`) of the user or service principal. */
  id: string;
  name: string;
  tenantId: string;
  /** App roles on the API: they hold for every account. */
  roles: Role[];
  /** Object ids of the security groups in the token's `groups` claim (when the app registration emits it). */
  groups: string[];
  /** The caller is in more groups than a token carries (`_claim_names.groups`): `groups` is then not the full list. */
  groupsOverage: boolean;
}

export class Unauthorized extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'Unauthorized';
  }
}

/** The signing keys could not be fetched: the caller's token may be fine, so this is ours (503), not theirs. */
export class SigningKeysUnavailable extends Error {
  constructor(cause: string) {
    super(`The signing keys of Microsoft Entra ID could not be fetched (${cause}).`);
    this.name = 'SigningKeysUnavailable';
  }
}

export interface AuthorizerOptions {
  authorityHost: string;
  /** The tenant (GUID) the API's app registration lives in: tokens from any other tenant are refused. */
  tenantId: string;
  /** Accepted `aud` values: the Application ID URI (v1.0 tokens) and/or the API's client id (v2.0 tokens). */
  audiences: readonly string[];
  /** The signing keys; default: the tenant's JWKS through jose's remote key set. Injectable for tests. */
  keys?: JWTVerifyGetKey;
  now?: () => number;
}

/** Clocks drift a little between Entra ID and the app; tokens live an hour, so a minute of leeway costs nothing. */
const CLOCK_TOLERANCE_SECONDS = 60;
/** Keys are refetched hourly, and at once for an unknown key id (a rollover), but at most every 30 s. */
const KEYS_MAX_AGE_MS = 60 * 60_000;
const KEYS_COOLDOWN_MS = 30_000;

/** jose errors that say the token is bad; any other failure is about fetching the keys. */
const TOKEN_FAULTS = new Set([
  errors.JWTClaimValidationFailed.code,
  errors.JWTExpired.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
]);

/** Why a token was refused, in words an operator can act on; never the token's content. */
function reason(e: errors.JOSEError): string {
  if (e instanceof errors.JWTExpired) return 'the token has expired';
  if (e instanceof errors.JWTClaimValidationFailed) {
    const claim: Record<string, string> = {
      aud: 'the token is for another audience',
      iss: 'the token was issued by another tenant or authority',
      nbf: 'the token is not valid yet',
      typ: 'the token is not an access token (typ)',
    };
    return claim[e.claim] ?? `the token's '${e.claim}' claim is missing or invalid`;
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported)
    return 'the token is not signed with RS256';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys)
    return 'the token is signed with a key Microsoft Entra ID does not publish';
  return 'the token is malformed';
}

export class Authorizer {
  private readonly keys: JWTVerifyGetKey;
  private readonly issuers: string[];

  constructor(private readonly opts: AuthorizerOptions) {
    const authority = opts.authorityHost.replace(/\/$/, '');
    const tenant = opts.tenantId.toLowerCase();
    this.keys =
      opts.keys ??
      createRemoteJWKSet(new URL(`${authority}/${tenant}/discovery/v2.0/keys`), {
        cacheMaxAge: KEYS_MAX_AGE_MS,
        cooldownDuration: KEYS_COOLDOWN_MS,
      });
    // v1.0 tokens (sts.windows.net) and v2.0 tokens, from the public cloud or the configured authority (sovereign
    // clouds, the local emulator): all of this one tenant.
    this.issuers = [
      ...new Set([
        `https://sts.windows.net/${tenant}/`,
        `https://login.microsoftonline.com/${tenant}/v2.0`,
        `${authority}/${tenant}/v2.0`,
      ]),
    ];
  }

  /** Verifies the bearer token; 401 names what is wrong with it. */
  async authenticate(authorization: string | null | undefined): Promise<Principal> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token)
      throw new Unauthorized(401, 'Send an Entra ID access token for this API as "Authorization: Bearer <token>".');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, this.keys, {
        algorithms: ['RS256'],
        issuer: this.issuers,
        audience: [...this.opts.audiences],
        // Entra ID access tokens say typ JWT; an id token or another JOSE object does not pass for one.
        typ: 'JWT',
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'tid', 'oid'],
        currentDate: new Date((this.opts.now ?? Date.now)()),
      }));
    } catch (e) {
      if (e instanceof errors.JOSEError && TOKEN_FAULTS.has(e.code))
        throw new Unauthorized(401, `The access token was rejected: ${reason(e)}.`);
      throw new SigningKeysUnavailable(e instanceof errors.JOSEError ? e.code : (e as Error).name);
    }
    // The issuer names the tenant; `tid` must say the same, or the token mixes two tenants' claims.
    if (String(claims.tid).toLowerCase() !== this.opts.tenantId.toLowerCase())
      throw new Unauthorized(401, 'The access token was rejected: its tenant (tid) is not the tenant that issued it.');
    const roles = (Array.isArray(claims.roles) ? claims.roles : []).filter(
      (r): r is Role => r === 'Backup.Reader' || r === 'Backup.Administrator',
    );
    const claimNames = claims._claim_names as Record<string, unknown> | undefined;
    return {
      id: String(claims.oid),
      name: String(
        claims.preferred_username ??
          claims.upn ??
          claims.name ??
          claims.app_displayname ??
          claims.azp ??
          claims.appid ??
          claims.oid,
      ),
      tenantId: String(claims.tid),
      roles,
      groups: Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : [],
      groupsOverage: typeof claimNames === 'object' && claimNames !== null && 'groups' in claimNames,
    };
  }
}
