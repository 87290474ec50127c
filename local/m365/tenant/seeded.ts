// Deterministic randomness: everything the emulator generates is a pure function of (seed, key), so the same seed
// gives the same tenant, ids and bytes on every machine, and nothing has to be kept in memory to be reproduced.
import { createHash } from 'node:crypto';

export function hashOf(...parts: Array<string | number>): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** A GUID derived from the key, formatted like an Entra object id. */
export function guidOf(...parts: Array<string | number>): string {
  const h = hashOf(...parts).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** An Outlook-style opaque id (base64url, ~120 characters, as Graph returns for messages and folders). */
export function outlookIdOf(...parts: Array<string | number>): string {
  return `AAMk${Buffer.concat([hashOf('a', ...parts), hashOf('b', ...parts), hashOf('c', ...parts)]).toString('base64url').slice(0, 116)}`;
}

/** mulberry32: a small, fast PRNG seeded from the key. */
export function rng(...parts: Array<string | number>): () => number {
  let a = hashOf(...parts).readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
