import type { Readable } from 'node:stream';
import type { ContentStore } from '../storage/content-store';
import type { ContentWriter, StoredContent } from './ports';

/** Stores content whole under its hash (files, events, contacts; MIME too until split storage is wired). */
export class BlobContentWriter implements ContentWriter {
  constructor(private readonly store: ContentStore) {}

  async write(tenantId: string, source: Readable | Buffer): Promise<StoredContent> {
    const r = await this.store.put(tenantId, source);
    return { pointer: { blob: { sha256: r.sha256, size: r.size, encoding: r.encoding } }, size: r.size, storedBytes: r.storedBytes };
  }
}
