// Reads a split message back as the exact original bytes, streaming, and proves it: the sha256 and size of what
// was produced must match the manifest, or the stream ends with an error instead of a silent corruption.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ContentStore } from '../storage/content-store';
import { mimeManifestSchema } from './manifest';
import { MimeIntegrityError, spliceParts } from './splice';

async function* verified(tenantId: string, manifest: unknown, store: ContentStore): AsyncGenerator<Buffer> {
  const m = mimeManifestSchema.parse(manifest);
  const hash = createHash('sha256');
  let size = 0;
  const skeleton = await store.open(tenantId, m.skeleton);
  const parts = m.parts.map((p) => ({ offset: p.offset, size: p.ref.size, open: () => store.open(tenantId, p.ref) }));
  for await (const chunk of spliceParts(skeleton, m.skeleton.size, parts)) {
    hash.update(chunk);
    size += chunk.length;
    yield chunk;
  }
  const sha256 = hash.digest('hex');
  if (size !== m.size || sha256 !== m.sha256)
    throw new MimeIntegrityError(
      `reassembled MIME does not match its manifest: ${size} bytes with sha256 ${sha256}, expected ${m.size} bytes with sha256 ${m.sha256}`,
    );
}

/** The original message bytes; the stream errors (MimeIntegrityError) if storage returned anything else. */
export function openMime(tenantId: string, manifest: unknown, store: ContentStore): Readable {
  return Readable.from(verified(tenantId, manifest, store), { objectMode: false });
}
