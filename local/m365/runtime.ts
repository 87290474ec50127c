// What every handler may reach besides its tenant: the emulator's clock (injectable, so tests can jump over
// Retry-After windows and token lifetimes), signing of pre-authenticated URLs, the seeded fault PRNG, throttling,
// the service-time model, fault settings and counters, and the tenants themselves.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Counters } from './graph/counters';
import type { FaultSettings, Holds, Throttle } from './graph/faults';
import type { ServiceTime } from './graph/service-time';
import type { TenantDirectory } from './tenant/tenants';

export interface Clock {
  now(): number;
  /** Moves the clock forward (tests: expire a Retry-After window or a token without waiting). */
  advance(ms: number): void;
}

export function systemClock(): Clock {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

export interface EmulatorRuntime {
  clock: Clock;
  /** Seeded PRNG for fault injection: the same seed and request order give the same faults. */
  random(): number;
  tenants: TenantDirectory;
  throttle: Throttle;
  /** How long a handled request takes (off unless the bench profile or the options turn it on). */
  serviceTime: ServiceTime;
  faults: FaultSettings;
  /** Requests parked by hold rules (released by DELETE faults). */
  holds: Holds;
  counters: Counters;
  /** https://127.0.0.1:PORT — the origin every emulated endpoint lives on. */
  origin: string;
  /** A URL-safe token for pre-authenticated URLs (downloads, upload sessions): HMAC-signed claims with an expiry. */
  signUrlToken(claims: Record<string, unknown>, ttlSeconds: number): string;
  /** The claims of a token this emulator signed, or undefined when it is forged or expired. */
  verifyUrlToken(token: string): Record<string, unknown> | undefined;
}

export function urlSigner(
  clock: Clock,
  secret = randomBytes(32),
): Pick<EmulatorRuntime, 'signUrlToken' | 'verifyUrlToken'> {
  const mac = (body: string): Buffer => createHmac('sha256', secret).update(body).digest();
  return {
    signUrlToken(claims, ttlSeconds) {
      const body = Buffer.from(JSON.stringify({ ...claims, exp: clock.now() + ttlSeconds * 1000 })).toString(
        'base64url',
      );
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verifyUrlToken(token) {
      const [body, sig] = token.split('.');
      if (!body || !sig) return undefined;
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
      return typeof claims.exp === 'number' && claims.exp > clock.now() ? claims : undefined;
    },
  };
}
