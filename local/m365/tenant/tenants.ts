// Every tenant the emulator serves, by id or domain, and the token signing keys they share — as Entra ID's are
// shared by all tenants (one JWKS at the common endpoint).
import { createHash, generateKeyPairSync, JsonWebKey, KeyObject } from 'node:crypto';
import type { Tenant } from './tenant';

export type { Tenant } from './tenant';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public JWK with kid, use and x5t and no alg, as Entra ID publishes its keys at discovery/v2.0/keys. */
  publicJwk: JsonWebKey & { kid: string; use: string; x5t: string };
}

export function newSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
  return {
    kid,
    privateKey,
    publicKey,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', x5t: kid },
  };
}

export class TenantDirectory {
  private readonly byKey = new Map<string, Tenant>();
  private readonly ordered: Tenant[] = [];

  /** The first key signs new tokens; all of them verify (room for rotation). */
  constructor(readonly signingKeys: SigningKey[] = [newSigningKey()]) {}

  add(t: Tenant): void {
    this.ordered.push(t);
    this.byKey.set(t.id.toLowerCase(), t);
    this.byKey.set(t.domain.toLowerCase(), t);
  }

  /** By tenant id (GUID) or verified domain, case-insensitively. */
  get(idOrDomain: string): Tenant | undefined {
    return this.byKey.get(idOrDomain.toLowerCase());
  }

  list(): readonly Tenant[] {
    return this.ordered;
  }

  /** The tenant used when a control call names none. */
  get primary(): Tenant {
    return this.ordered[0];
  }
}
