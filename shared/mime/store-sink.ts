// A writable end for ContentStore.put: bytes written here are stored as one content object while the writer keeps
// producing, with backpressure, and a storage failure surfaces in the writer instead of leaving it waiting.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ContentStore } from '../storage/content-store';
import type { PutResult } from '../storage/content-publish';

export class StoreSink {
  private readonly stream = new PassThrough();
  private readonly stored: Promise<PutResult>;

  constructor(store: ContentStore, tenantId: string) {
    this.stored = store.put(tenantId, this.stream);
    // abort()'s own error reaches the store through the stream; nothing else can raise one here.
    this.stream.on('error', () => undefined);
    // Failures are observed by write() and end(); this keeps an early one from counting as unhandled meanwhile.
    this.stored.catch(() => undefined);
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.stream.write(bytes)) return;
    await Promise.race([once(this.stream, 'drain'), this.stored]);
  }

  async end(): Promise<PutResult> {
    this.stream.end();
    return this.stored;
  }

  /** Stops the upload (its staging blob is removed by the store) and waits until it has settled. */
  async abort(cause: Error): Promise<void> {
    this.stream.destroy(cause);
    await this.stored.catch(() => undefined);
  }
}
