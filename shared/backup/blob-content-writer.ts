import { Readable } from 'node:stream';
import { splitMime } from '../mime/split';
import type { ContentStore } from '../storage/content-store';
import type { ContentWriter, StoredContent } from './ports';

/**
 * Stores content under its hash: files, events and contacts whole; a message's MIME split into a skeleton and its
 * attachment bodies, so an attachment that reached 500 mailboxes is stored once.
 */
export class BlobContentWriter implements ContentWriter {
  constructor(private readonly store: ContentStore) {}

  async write(tenantId: string, source: Readable | Buffer, opts: { mime: boolean }): Promise<StoredContent> {
    if (opts.mime) {
      const stream = Buffer.isBuffer(source) ? Readable.from([source]) : source;
      const { manifest, storedBytes } = await splitMime(tenantId, stream, this.store);
      return { pointer: { mime: manifest }, size: manifest.size, storedBytes };
    }
    const r = await this.store.put(tenantId, source);
    return { pointer: { blob: { sha256: r.sha256, size: r.size, encoding: r.encoding } }, size: r.size, storedBytes: r.storedBytes };
  }
}
