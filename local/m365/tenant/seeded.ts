// Deterministic randomness: everything the emulator generates is a pure function of (seed, key), so the same seed
// gives the same tenant, ids and bytes on every machine, and nothing has to be kept in memory to be reproduced.
import { createHash } from 'node:crypto';

export function hashOf(...parts: Array<string | number>): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** A GUID derived from the key, formatted like an Entra object id (version 4, variant a). */
export function guidOf(...parts: Array<string | number>): string {
  const h = hashOf(...parts).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
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

export const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)];

/** An integer in [min, max], inclusive. */
export const between = (r: () => number, min: number, max: number): number => min + Math.floor(r() * (max - min + 1));

/** Deterministic bytes of any length, streamed in chunks: equal keys give equal bytes everywhere, and the bytes look
 * random (they do not compress), like real attachments and files. */
export function* bytesOf(key: string, size: number, chunk = 64 * 1024): Generator<Buffer> {
  const seedWords = hashOf(key);
  let a = seedWords.readUInt32LE(0) | 0;
  let b = seedWords.readUInt32LE(4) | 0;
  for (let off = 0; off < size; off += chunk) {
    const out = Buffer.allocUnsafe(Math.min(chunk, size - off));
    const words = out.length >>> 2;
    // xorshift64-style state in two 32-bit halves: fast, and enough to defeat compression.
    for (let i = 0; i < words; i++) {
      const t = a ^ (a << 11);
      a = b;
      b = b ^ (b >>> 19) ^ (t ^ (t >>> 8));
      out.writeInt32LE(b, i << 2);
    }
    for (let i = words << 2; i < out.length; i++) out[i] = (b >>> ((i & 3) * 8)) & 0xff;
    yield out;
  }
}
