// Bytes that came base64-encoded inside a Graph listing (a post's file attachment through $expand): decoded slice
// by slice as the content writer reads, so no decoded copy of the whole is held beside the listing that carries it.
import { Readable } from 'node:stream';

/** Characters per slice: a multiple of 4, so each slice decodes on its own (Graph's contentBytes has no line breaks). */
const SLICE = 64 * 1024;

export function base64Stream(base64: string): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < base64.length; at += SLICE) yield Buffer.from(base64.slice(at, at + SLICE), 'base64');
    })(),
    { objectMode: false },
  );
}
