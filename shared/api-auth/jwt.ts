// Minimal, strict RS256 JWT verification against a JWKS (Node crypto only): the product's API accepts Entra ID
// access tokens and nothing else. Pure apart from the key lookup passed in.
import { createPublicKey, KeyObject, verify } from 'node:crypto';

export interface Jwk {
  kid: string;
  kty: string;
  n?: string;
  e?: string;
  x5c?: string[];
}

export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'TokenRejected';
  }
}

export interface VerifyOptions {
  audiences: readonly string[];
  issuers: readonly string[];
  nowSeconds: number;
  clockSkewSeconds?: number;
}

export type Claims = Record<string, unknown> & { exp?: number; nbf?: number; aud?: string; iss?: string };

const decodePart = <T>(part: string, what: string): T => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as T;
  } catch {
    throw new TokenRejected(`malformed token ${what}`);
  }
};

export function keyFromJwk(jwk: Jwk): KeyObject {
  if (jwk.x5c?.[0]) return createPublicKey(`-----BEGIN CERTIFICATE-----\n${jwk.x5c[0]}\n-----END CERTIFICATE-----`);
  return createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
}

export async function verifyJwt(token: string, keyFor: (kid: string) => Promise<KeyObject | undefined>, opts: VerifyOptions): Promise<Claims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenRejected('malformed token');
  const [h, p, sig] = parts as [string, string, string];
  const header = decodePart<{ alg?: string; kid?: string }>(h, 'header');
  if (header.alg !== 'RS256') throw new TokenRejected(`unsupported signing algorithm ${String(header.alg)}`);
  if (!header.kid) throw new TokenRejected('token has no key id');
  const key = await keyFor(header.kid);
  if (!key) throw new TokenRejected('token signed with an unknown key');
  if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'))) throw new TokenRejected('invalid signature');
  const claims = decodePart<Claims>(p, 'payload');
  const skew = opts.clockSkewSeconds ?? 300;
  if (typeof claims.exp !== 'number' || claims.exp + skew < opts.nowSeconds) throw new TokenRejected('token expired');
  if (typeof claims.nbf === 'number' && claims.nbf - skew > opts.nowSeconds) throw new TokenRejected('token not yet valid');
  if (!claims.aud || !opts.audiences.includes(claims.aud)) throw new TokenRejected('token is for another audience');
  if (!claims.iss || !opts.issuers.includes(claims.iss)) throw new TokenRejected('token from another issuer');
  return claims;
}
