import { hashOf } from './seeded';
import type { DriveItem } from './legacy-tenant';

/** A file's bytes: uploaded content, or deterministic bytes from (seed, item, version) — the same on every run. */
export function fileBytes(seed: string, item: DriveItem): Buffer {
  if (item.content) return item.content;
  const out = Buffer.alloc(item.size);
  const text = item.file?.mimeType === 'text/plain';
  let block = hashOf(seed, item.id, item.version);
  for (let off = 0; off < item.size; off += 32) {
    const chunk = text ? Buffer.from(block.toString('hex').slice(0, 31) + '\n') : block;
    chunk.copy(out, off, 0, Math.min(32, item.size - off));
    block = hashOf(block.toString('hex'));
  }
  return out;
}
