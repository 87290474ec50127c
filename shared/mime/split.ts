// Stores a message's MIME as a skeleton plus its large attachment bodies, each under its own hash, so an attachment
// sent to 500 mailboxes is stored once. Streams end to end: the scanner's memory is bounded, the skeleton and the
// current part are uploaded while the message is still being read.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ContentStore } from '../storage/content-store';
import type { MimeManifest } from './manifest';
import { MimeScanner, ScanEvent, ScanOptionsInput } from './scanner';
import { StoreSink } from './store-sink';

export interface MimeSplit {
  manifest: MimeManifest;
  /** Bytes this call wrote to storage (skeleton and parts; 0 for content that was already stored). */
  storedBytes: number;
}

export async function splitMime(
  tenantId: string,
  source: Readable,
  store: ContentStore,
  opts?: ScanOptionsInput,
): Promise<MimeSplit> {
  const scanner = new MimeScanner(opts);
  const hash = createHash('sha256');
  let size = 0;
  const skeleton = new StoreSink(store, tenantId);
  let skeletonBytes = 0;
  let part: { sink: StoreSink; offset: number } | undefined;
  const parts: MimeManifest['parts'] = [];
  let storedBytes = 0;

  const apply = async (events: ScanEvent[]): Promise<void> => {
    for (const e of events) {
      if (e.type === 'skeleton') {
        skeletonBytes += e.bytes.length;
        await skeleton.write(e.bytes);
      } else if (e.type === 'partStart') part = { sink: new StoreSink(store, tenantId), offset: skeletonBytes };
      else if (e.type === 'part') await part!.sink.write(e.bytes);
      else {
        // Awaited before going on, so at most one part upload (and its buffers) is in flight.
        const r = await part!.sink.end();
        parts.push({ offset: part!.offset, ref: { sha256: r.sha256, size: r.size, encoding: r.encoding } });
        storedBytes += r.storedBytes;
        part = undefined;
      }
    }
  };

  try {
    for await (const chunk of source) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      hash.update(bytes);
      size += bytes.length;
      await apply(scanner.push(bytes));
    }
    await apply(scanner.end());
    const s = await skeleton.end();
    storedBytes += s.storedBytes;
    const manifest: MimeManifest = {
      sha256: hash.digest('hex'),
      size,
      skeleton: { sha256: s.sha256, size: s.size, encoding: s.encoding },
      parts,
    };
    if (parts.reduce((n, p) => n + p.ref.size, s.size) !== size)
      throw new Error(`MIME split lost bytes: ${size} read, skeleton and parts hold a different total`);
    return { manifest, storedBytes };
  } catch (e) {
    const cause = e instanceof Error ? e : new Error(String(e));
    await Promise.all([skeleton.abort(cause), part?.sink.abort(cause)]);
    throw e;
  }
}
