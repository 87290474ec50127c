import { Transform, TransformCallback } from 'node:stream';
import { createHash, Hash } from 'node:crypto';
import { constants, createGzip, gzipSync } from 'node:zlib';

export type ContentEncoding = 'gzip' | 'identity';

const PROBE_BYTES = 64 * 1024;

/**
 * Whether content is worth compressing, judged from its first 64 KiB: already-compressed formats (images, zip-based
 * Office files, archives) are stored as they are. Deterministic in the content, so every copy of the same bytes gets
 * the same encoding and the same blob.
 */
export function chooseEncoding(head: Buffer): ContentEncoding {
  if (head.length < 256) return 'identity';
  const probe = head.subarray(0, PROBE_BYTES);
  const packed = gzipSync(probe, { level: 1 }).length;
  return packed < probe.length * 0.9 ? 'gzip' : 'identity';
}

export function encoder(encoding: ContentEncoding): Transform {
  return encoding === 'gzip'
    ? createGzip({ level: constants.Z_DEFAULT_COMPRESSION })
    : new Transform({ transform: (chunk, _enc, cb: TransformCallback) => cb(null, chunk) });
}

/** A pass-through that hashes and counts what flows through it. */
export class Digest extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}
