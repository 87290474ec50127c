import { Readable } from 'node:stream';
import { splitMime } from '../mime/split';
import { BODY_TEXT_PREFIX, bodyTextOf } from '../mime/body-text';
import type { ContentStore } from '../storage/content-store';
import type { PutResult } from '../storage/content-publish';
import type { ResumableSource } from '../storage/resumable-put';
import { DEFAULT_REPOSITORY } from '../inventory/schemas';
import type { ContentWriter, StoredContent } from './ports';

/**
 * Stores content under its hash: files, events and contacts whole; a message's MIME split into a skeleton and its
 * attachment bodies, so an attachment that reached 500 mailboxes is stored once.
 */
export class BlobContentWriter implements ContentWriter {
  /** `repository`: the store's repository name, recorded in each pointer unless it is the default one. */
  constructor(
    private readonly store: ContentStore,
    private readonly repository?: string,
  ) {}

  async write(tenantId: string, source: Readable | Buffer, opts: { mime: boolean }): Promise<StoredContent> {
    if (opts.mime) {
      const prefix: Buffer[] = [];
      let kept = 0;
      // Keeps the first bytes for the body text while the whole message streams into storage.
      const tap = async function* (chunks: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
        for await (const c of chunks) {
          if (kept < BODY_TEXT_PREFIX) {
            const part = c.subarray(0, BODY_TEXT_PREFIX - kept);
            prefix.push(Buffer.from(part));
            kept += part.length;
          }
          yield c;
        }
      };
      const stream = Readable.from(tap(Buffer.isBuffer(source) ? [source] : (source as AsyncIterable<Buffer>)));
      const { manifest, storedBytes } = await splitMime(tenantId, stream, this.store);
      return {
        pointer: { mime: manifest, ...this.where() },
        size: manifest.size,
        storedBytes,
        bodyText: await bodyTextOf(Buffer.concat(prefix)),
      };
    }
    return this.stored(await this.store.put(tenantId, source));
  }

  async writeResumable(tenantId: string, source: ResumableSource): Promise<StoredContent | { staged: number }> {
    const r = await this.store.putResumable(tenantId, source);
    return 'done' in r ? this.stored(r.done) : r;
  }

  abandonResumable(tenantId: string, stagingKey: string): Promise<void> {
    return this.store.abandonResumable(tenantId, stagingKey);
  }

  private stored(r: PutResult): StoredContent {
    return {
      pointer: { blob: { sha256: r.sha256, size: r.size, encoding: r.encoding }, ...this.where() },
      size: r.size,
      storedBytes: r.storedBytes,
    };
  }

  private where(): { repository?: string } {
    return this.repository && this.repository !== DEFAULT_REPOSITORY ? { repository: this.repository } : {};
  }
}
