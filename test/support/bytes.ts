/** Byte helpers shared by tests that compare stored or restored content with its source. */
import { createHash } from 'node:crypto';

export const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export async function readAll(s: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(parts);
}
