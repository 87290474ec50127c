/** Collects a stream into one buffer: only for content that must travel as one request body (a MIME import). */
export async function readAll(s: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(parts);
}

/** The first `cap` bytes of a stream, and whether there was more (then it is closed): for bounded request bodies. */
export async function readCapped(
  s: AsyncIterable<unknown> & { destroy?: () => void },
  cap: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of s) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
    parts.push(b);
    size += b.length;
    if (size > cap) {
      s.destroy?.();
      return { bytes: Buffer.concat(parts).subarray(0, cap), truncated: true };
    }
  }
  return { bytes: Buffer.concat(parts), truncated: false };
}
