// Reads a message as a mail client does (decoded headers, body text and HTML, attachments) with mailparser, the
// parser of the Nodemailer project: charsets, encoded words, RFC 2231 parameters, broken structures and the limits
// against hostile input are its job, not ours. It streams: attachments pass through and are counted, and only those
// the caller asks for are kept in memory.
//
// This is for reading content, not for storing it. Backups split a message byte for byte (split.ts, scanner.ts,
// splice.ts), which no parser does: parsers decode, and the exact bytes (and their hash) must come back on restore.
import { once } from 'node:events';
import {
  MailParser,
  type AddressObject,
  type AttachmentStream,
  type HeaderLines,
  type Headers,
  type HeaderValue,
  type MessageText,
} from 'mailparser';
import { htmlText } from './html-sanitizer';

export interface AttachmentInfo {
  /** The file name, or the media type with a dot (`image.png`) when the part names none. */
  name: string;
  contentType: string;
  /** Shown in the body (Content-Disposition inline, or referenced by Content-ID) rather than listed as a file. */
  inline: boolean;
  /** Content-ID without its angle brackets. */
  contentId?: string;
  /** Decoded size in bytes (as far as the message was read). */
  size: number;
}

export interface ReadMessage<B extends Buffer | undefined> {
  headers: Headers;
  headerLines: HeaderLines;
  /** The plain text body, or the HTML's text (htmlText) when there is no plain part. */
  text?: string;
  html?: string;
  attachments: Array<AttachmentInfo & { bytes: B }>;
  /** The source was longer than the cap: what follows it is not read. */
  truncated: boolean;
}

/** The parser refused the message (more than 1,000 parts, a header block over 1 MB): it can be stored, not read. */
export class MessageUnreadable extends Error {
  constructor(reason: string) {
    super(`The message cannot be read: ${reason}.`);
    this.name = 'MessageUnreadable';
  }
}

export interface ReadOptions {
  /** Bytes of the source to read at most; the rest is left unread. */
  cap?: number;
  /** How many decoded bytes of this attachment to keep; one larger than that keeps none (its size is still known). */
  keep?: (a: Omit<AttachmentInfo, 'size'>) => number;
}

const attachmentInfo = (a: AttachmentStream): Omit<AttachmentInfo, 'size'> => ({
  name: a.filename || a.contentType.replace('/', '.'),
  contentType: a.contentType,
  inline: a.contentDisposition === 'inline' || !!a.cid,
  ...(a.cid ? { contentId: a.cid } : {}),
});

/** Reads the attachment through; keeps its bytes if they fit in `limit`. Resolves once the parser may go on. */
async function drain(a: AttachmentStream, limit: number): Promise<Buffer | undefined> {
  let kept: Buffer[] | undefined = limit > 0 ? [] : undefined;
  let size = 0;
  a.content.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (kept && size <= limit) kept.push(chunk);
    else kept = undefined;
  });
  await once(a.content, 'end');
  a.release?.();
  return kept && Buffer.concat(kept);
}

/** The whole message, every attachment's bytes kept: for restores that recreate a message from its parts. */
export function readMessage(source: Buffer, opts: { keep: 'all' }): Promise<ReadMessage<Buffer>>;
/** The message up to `cap` bytes, keeping only the attachments `keep` allows (none by default). */
export function readMessage(
  source: Buffer | AsyncIterable<Buffer>,
  opts?: ReadOptions,
): Promise<ReadMessage<Buffer | undefined>>;
export async function readMessage(
  source: Buffer | AsyncIterable<Buffer>,
  opts: ReadOptions | { keep: 'all' } = {},
): Promise<ReadMessage<Buffer | undefined>> {
  const keep = opts.keep === 'all' ? () => Number.POSITIVE_INFINITY : (opts.keep ?? (() => 0));
  const cap = 'cap' in opts && opts.cap !== undefined ? opts.cap : Number.POSITIVE_INFINITY;
  const parser = new MailParser({
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    checksumAlgo: false,
  });
  const attachments: Array<Promise<AttachmentInfo & { bytes: Buffer | undefined }>> = [];
  let text: MessageText | undefined;
  parser.on('data', (data: AttachmentStream | MessageText) => {
    if (data.type === 'text') {
      text = data;
      return;
    }
    const info = attachmentInfo(data);
    attachments.push(drain(data, keep(info)).then((bytes) => ({ ...info, size: data.size ?? 0, bytes })));
  });
  // mailparser may emit 'error' more than once (and emits it directly, not by destroying the stream): the first one
  // fails the read, and the listener stays so a later one cannot go unheard and end the process.
  let refused: Error | undefined;
  parser.on('error', (e: Error) => {
    refused ??= e;
  });
  const ended = new Promise<void>((resolve, reject) => {
    parser.once('end', resolve);
    parser.once('error', reject);
  });
  // An error while the source is still being written is raised by the write loop below; this keeps it from
  // also surfacing as an unhandled rejection.
  ended.catch(() => undefined);

  let read = 0;
  let truncated = false;
  try {
    for await (const chunk of Buffer.isBuffer(source) ? [source] : source) {
      const room = cap - read;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      read += part.length;
      if (!parser.write(part)) await once(parser, 'drain');
      if (part.length < chunk.length) {
        truncated = true;
        break;
      }
    }
    parser.end();
    await ended;
  } catch (e) {
    parser.destroy();
    // The parser's own refusal, as opposed to the source failing (storage, an integrity check).
    throw refused && e === refused ? new MessageUnreadable(refused.message) : e;
  }
  // With skipHtmlToText an HTML-only message has an empty text: the plain part is what is not empty.
  const plain = text?.text?.trim() ? text.text : undefined;
  const html = text?.html;
  return {
    headers: parser.headers || new Map<string, HeaderValue>(),
    headerLines: parser.headerLines || [],
    ...(plain !== undefined ? { text: plain } : html !== undefined ? { text: htmlText(html) } : {}),
    ...(html !== undefined ? { html } : {}),
    attachments: await Promise.all(attachments),
    truncated,
  };
}

/** An address header as one line (`"Name" <a@b>, c@d`), empty when absent. */
export function addressLine(headers: Headers, name: 'from' | 'to' | 'cc'): string {
  const value = headers.get(name) as AddressObject | AddressObject[] | undefined;
  return value === undefined
    ? ''
    : [value]
        .flat()
        .map((v) => v.text)
        .join(', ');
}

/** A decoded text header (Subject, Message-ID), empty when absent. */
export function textHeader(headers: Headers, name: 'subject' | 'message-id'): string {
  const value = headers.get(name);
  return typeof value === 'string' ? value : '';
}

/** A header's value as written (unfolded, not interpreted): mailparser turns an unreadable Date into "now". */
export function rawHeader(lines: HeaderLines, name: string): string {
  const line = lines.find((l) => l.key === name)?.line ?? '';
  return line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}
