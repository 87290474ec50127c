// Streaming MIME scanner: routes every input byte, in order, either to the skeleton or to an extracted part, so that
// splicing the parts back into the skeleton at their offsets gives the input exactly. Pure: no I/O, bounded memory.
//
// A part's extracted body runs from just after its header block to just before the line break that precedes the
// next delimiter (RFC 2046: that line break belongs to the delimiter), so the same encoded attachment gives the same
// bytes in every message. Anything the scanner cannot read as well-formed MIME simply stays in the skeleton.
//
// Hand-written on purpose, unlike the reading of messages (read-message.ts, mailparser): MIME parsers decode, and
// none gives each input byte's place, which is what storing an attachment once and restoring the exact original
// bytes (and their sha256) needs. Its header reading (part-headers.ts) only finds boundaries and encodings.
import { z } from 'zod';
import { parsePartHeaders } from './part-headers';

export type ScanEvent =
  { type: 'skeleton'; bytes: Buffer } | { type: 'partStart' } | { type: 'part'; bytes: Buffer } | { type: 'partEnd' };

export const scanOptionsSchema = z.object({
  /** A leaf body is extracted once it reaches this many bytes; smaller bodies stay in the skeleton. */
  thresholdBytes: z
    .number()
    .int()
    .positive()
    .default(32 * 1024),
  /** A header block larger than this is not parsed: its part (and anything inside) stays in the skeleton. */
  maxHeaderBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  /** A line longer than this (line break included) is never a delimiter, so it is never held back whole. */
  maxLineBytes: z.number().int().min(80).default(1024),
  /** Multiparts nested deeper than this are kept whole in the skeleton. */
  maxDepth: z.number().int().positive().default(32),
});
export type ScanOptions = z.infer<typeof scanOptionsSchema>;
export type ScanOptionsInput = z.input<typeof scanOptionsSchema>;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;
const SP = 0x20;
const TAB = 0x09;
const EMPTY = Buffer.alloc(0);
const NL_DASH = Buffer.from('\n-');
/** Encodings under which a message/rfc822 body is itself readable MIME. */
const IDENTITY_ENCODINGS = new Set(['', '7bit', '8bit', 'binary']);

interface Multipart {
  /** `--` + boundary. */
  delimiter: Buffer;
  /** In multipart/digest a part without Content-Type is a message/rfc822. */
  digest: boolean;
}

/** An extractable leaf part whose body is being read. */
interface Leaf {
  /** Body bytes seen before the threshold was reached (copies, so no input chunk stays pinned). */
  held: Buffer[];
  heldBytes: number;
  extracting: boolean;
}

type LineMatch = { kind: 'no' } | { kind: 'more' } | { kind: 'delimiter'; depth: number; close: boolean; end: number };

/**
 * Whether `line` (from line start, possibly without its line break yet) is `delimiter`, optionally followed by `--`
 * (close), transport padding and the line break. `complete` means the line is whole (it has its LF or input ended).
 */
function matchDelimiter(line: Buffer, delimiter: Buffer, complete: boolean): 'no' | 'more' | 'open' | 'close' {
  let end = line.length;
  if (end > 0 && line[end - 1] === LF) end--;
  // A CR last in an incomplete line may be the first half of its CRLF; in a complete line it ends the line.
  if (end > 0 && line[end - 1] === CR) end--;
  const n = Math.min(end, delimiter.length);
  if (line.compare(delimiter, 0, n, 0, n) !== 0) return 'no';
  if (end < delimiter.length) return complete ? 'no' : 'more';
  let j = delimiter.length;
  let close = false;
  if (j < end && line[j] === DASH) {
    if (j + 1 === end) return complete ? 'no' : 'more';
    if (line[j + 1] !== DASH) return 'no';
    close = true;
    j += 2;
  }
  while (j < end && (line[j] === SP || line[j] === TAB)) j++;
  if (j < end) return 'no';
  if (!complete) return 'more';
  return close ? 'close' : 'open';
}

export class MimeScanner {
  private readonly opts: ScanOptions;
  private mode: 'headers' | 'body' = 'headers';
  private readonly stack: Multipart[] = [];
  /** Whether the header block being read belongs to a part of a multipart/digest. */
  private inDigest = false;
  private header: Buffer[] = [];
  private headerBytes = 0;
  private headerOverflow = false;
  /** The extractable leaf whose body is being read; null in preambles, epilogues and bodies kept in the skeleton. */
  private leaf: Leaf | null = null;
  private atLineStart = true;
  /** Undecided input carried to the next chunk: a possible delimiter line (≤ maxLineBytes) or a lone CR. */
  private carry: Buffer = EMPTY;
  /** The line break ending the previous body line, held until the next line shows whether a delimiter claims it. */
  private pendingEol: Buffer = EMPTY;
  private out: ScanEvent[] = [];

  constructor(opts?: ScanOptionsInput) {
    this.opts = scanOptionsSchema.parse(opts ?? {});
  }

  push(chunk: Buffer): ScanEvent[] {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = EMPTY;
    this.scan(data, false);
    // A held line break is a view of this chunk; copy its 1-2 bytes so the chunk is not pinned.
    if (this.pendingEol.length > 0) this.pendingEol = Buffer.from(this.pendingEol);
    return this.drain();
  }

  /** Ends the input: whatever is still undecided is decided now, and nothing is held any more. */
  end(): ScanEvent[] {
    const data = this.carry;
    this.carry = EMPTY;
    this.scan(data, true);
    this.finishLeaf();
    this.skeleton(this.pendingEol);
    this.pendingEol = EMPTY;
    return this.drain();
  }

  private drain(): ScanEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }

  private scan(data: Buffer, eof: boolean): void {
    let i = 0;
    while (i < data.length) i = this.mode === 'headers' ? this.scanHeaders(data, i, eof) : this.scanBody(data, i, eof);
  }

  /** Keeps data[i..] for the next chunk; returns the position that ends this chunk's scan. */
  private hold(data: Buffer, i: number): number {
    this.carry = Buffer.from(data.subarray(i));
    return data.length;
  }

  private scanHeaders(data: Buffer, i: number, eof: boolean): number {
    if (this.atLineStart) {
      const c = data[i];
      if (c === LF || (c === CR && data[i + 1] === LF)) {
        const end = i + (c === LF ? 1 : 2);
        this.skeleton(data.subarray(i, end));
        this.endHeaders();
        return end;
      }
      if (c === CR && i + 1 === data.length && !eof) return this.hold(data, i);
      if (this.mayBeDelimiter(data, i)) {
        const m = this.matchLine(data, i, eof);
        if (m.kind === 'more') return this.hold(data, i);
        if (m.kind === 'delimiter') return this.delimiter(data, i, m);
      }
      this.atLineStart = false;
    }
    const lf = data.indexOf(LF, i);
    const end = lf < 0 ? data.length : lf + 1;
    const line = data.subarray(i, end);
    this.appendHeader(line);
    this.skeleton(line);
    if (lf >= 0) this.atLineStart = true;
    return end;
  }

  private scanBody(data: Buffer, i: number, eof: boolean): number {
    if (this.stack.length === 0) {
      // No enclosing multipart: only the end of input ends this body.
      this.body(data.subarray(i));
      return data.length;
    }
    if (this.atLineStart) {
      if (this.mayBeDelimiter(data, i)) {
        const m = this.matchLine(data, i, eof);
        if (m.kind === 'more') return this.hold(data, i);
        if (m.kind === 'delimiter') return this.delimiter(data, i, m);
      }
      // Not a delimiter: the held line break belonged to the body.
      this.body(this.pendingEol);
      this.pendingEol = EMPTY;
      this.atLineStart = false;
    }
    // Only a line starting with '-' can be a delimiter, so jump from one "\n-" to the next.
    const hit = data.indexOf(NL_DASH, i);
    if (hit >= 0) {
      const eolStart = hit > i && data[hit - 1] === CR ? hit - 1 : hit;
      this.body(data.subarray(i, eolStart));
      this.pendingEol = data.subarray(eolStart, hit + 1);
      this.atLineStart = true;
      return hit + 1;
    }
    // No candidate line here: hold back a trailing line break (or a CR that may start one) for the next chunk.
    const last = data[data.length - 1];
    let keep = data.length;
    if (last === LF) {
      keep--;
      if (keep > i && data[keep - 1] === CR) keep--;
    } else if (last === CR && !eof) keep--;
    this.body(data.subarray(i, keep));
    if (last === LF) {
      this.pendingEol = data.subarray(keep);
      this.atLineStart = true;
    } else if (keep < data.length) this.carry = Buffer.from(data.subarray(keep));
    return data.length;
  }

  /** Cheap pre-check for the line starting at data[i]: every delimiter starts with "--". */
  private mayBeDelimiter(data: Buffer, i: number): boolean {
    return this.stack.length > 0 && data[i] === DASH && (i + 1 === data.length || data[i + 1] === DASH);
  }

  /** Matches the line starting at data[i] against the open multiparts, innermost first. */
  private matchLine(data: Buffer, i: number, eof: boolean): LineMatch {
    const lf = data.indexOf(LF, i);
    const end = lf < 0 ? data.length : lf + 1;
    const line = data.subarray(i, end);
    const complete = lf >= 0 || eof;
    // The cap is applied the same way to whole and partial lines, so the decision never depends on chunking.
    if (line.length > this.opts.maxLineBytes || (!complete && line.length >= this.opts.maxLineBytes))
      return { kind: 'no' };
    let more = false;
    for (let depth = this.stack.length - 1; depth >= 0; depth--) {
      const m = matchDelimiter(line, this.stack[depth].delimiter, complete);
      if (m === 'open' || m === 'close') return { kind: 'delimiter', depth, close: m === 'close', end };
      if (m === 'more') more = true;
    }
    return more ? { kind: 'more' } : { kind: 'no' };
  }

  private delimiter(data: Buffer, i: number, m: { depth: number; close: boolean; end: number }): number {
    this.finishLeaf();
    this.skeleton(this.pendingEol);
    this.pendingEol = EMPTY;
    this.skeleton(data.subarray(i, m.end));
    // A delimiter of an outer multipart also ends every multipart nested inside it (RFC 2046 §5.1.2).
    this.stack.length = m.depth + 1;
    const digest = this.stack[m.depth].digest;
    this.resetHeader();
    this.atLineStart = true;
    if (m.close) {
      this.stack.pop();
      this.mode = 'body'; // the epilogue, kept in the skeleton
    } else {
      this.mode = 'headers';
      this.inDigest = digest;
    }
    return m.end;
  }

  private endHeaders(): void {
    const block = this.headerOverflow ? undefined : parsePartHeaders(Buffer.concat(this.header));
    this.resetHeader();
    this.mode = 'body';
    if (!block) return;
    const mediaType = block.mediaType || (this.inDigest ? 'message/rfc822' : 'text/plain');
    const top = mediaType.slice(0, mediaType.indexOf('/'));
    const encoding = block.transferEncoding;
    if (top === 'multipart') {
      const b = block.boundary;
      // A delimiter line must fit the line cap; a multipart without a usable boundary stays whole in the skeleton.
      if (b && b.length + 6 <= this.opts.maxLineBytes && !/[\r\n]/.test(b) && this.stack.length < this.opts.maxDepth) {
        this.stack.push({ delimiter: Buffer.from(`--${b}`, 'latin1'), digest: mediaType === 'multipart/digest' });
      }
      return;
    }
    if ((mediaType === 'message/rfc822' || mediaType === 'message/global') && IDENTITY_ENCODINGS.has(encoding)) {
      // An attached message: its own header block follows, and its attachments are extracted like any other.
      this.mode = 'headers';
      this.inDigest = false;
      return;
    }
    const extractable =
      encoding === 'base64' || (top !== 'text' && top !== 'message' && IDENTITY_ENCODINGS.has(encoding));
    if (extractable) this.leaf = { held: [], heldBytes: 0, extracting: false };
  }

  private resetHeader(): void {
    this.header = [];
    this.headerBytes = 0;
    this.headerOverflow = false;
  }

  private appendHeader(bytes: Buffer): void {
    if (this.headerOverflow) return;
    this.headerBytes += bytes.length;
    if (this.headerBytes > this.opts.maxHeaderBytes) {
      this.headerOverflow = true;
      this.header = [];
    } else this.header.push(Buffer.from(bytes));
  }

  private body(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const leaf = this.leaf;
    if (!leaf) return this.skeleton(bytes);
    if (leaf.extracting) return this.emit('part', bytes);
    leaf.held.push(Buffer.from(bytes));
    leaf.heldBytes += bytes.length;
    if (leaf.heldBytes >= this.opts.thresholdBytes) {
      this.out.push({ type: 'partStart' });
      for (const held of leaf.held) this.emit('part', held);
      leaf.held = [];
      leaf.extracting = true;
    }
  }

  private finishLeaf(): void {
    const leaf = this.leaf;
    this.leaf = null;
    if (!leaf) return;
    if (leaf.extracting) this.out.push({ type: 'partEnd' });
    else for (const held of leaf.held) this.skeleton(held);
  }

  private skeleton(bytes: Buffer): void {
    this.emit('skeleton', bytes);
  }

  /** Bytes that follow the previous event's in memory extend it, so a text body is not cut into one event per line. */
  private emit(type: 'skeleton' | 'part', bytes: Buffer): void {
    if (bytes.length === 0) return;
    const last = this.out[this.out.length - 1];
    if (
      last?.type === type &&
      last.bytes.buffer === bytes.buffer &&
      last.bytes.byteOffset + last.bytes.length === bytes.byteOffset
    ) {
      last.bytes = Buffer.from(bytes.buffer, last.bytes.byteOffset, last.bytes.length + bytes.length);
    } else this.out.push({ type, bytes });
  }
}
