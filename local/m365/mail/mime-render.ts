// A message's MIME as Exchange renders it on request: RFC 5322 headers (non-ASCII ones RFC 2047-encoded),
// multipart/alternative text+html (plus a text/calendar part for invitations), inline images in multipart/related
// with Content-ID, attachments in multipart/mixed, base64 bodies in 76-character lines. Streamed part by part,
// attachments chunk by chunk, so a message with a 5 MB attachment never sits in memory whole.
import { Readable } from 'node:stream';
import { AttachmentContent, htmlBodyOf, MailAddress, MessageContent, MessageRecord } from './message';
import { bytesOf, rng } from '../tenant/seeded';

/** RFC 2047 B-encoding for header values that are not plain ASCII. */
export function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

const address = (a: MailAddress): string =>
  a.name
    ? `${/^[\x20-\x7e]*$/.test(a.name) ? `"${a.name.replace(/"/g, '')}"` : encodeHeader(a.name)} <${a.address}>`
    : `<${a.address}>`;

/** RFC 2231 filename parameter for non-ASCII names; plain quoted otherwise. */
const filenameParam = (param: string, name: string): string =>
  /^[\x20-\x7e]*$/.test(name) ? `${param}="${name.replace(/"/g, '')}"` : `${param}*=utf-8''${encodeURIComponent(name)}`;

const CHUNK = 57 * 1024; // whole base64 lines per chunk

function* base64Lines(chunks: Iterable<Buffer>): Generator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for (const c of chunks) {
    const data = carry.length ? Buffer.concat([carry, c]) : c;
    const whole = data.length - (data.length % 57);
    if (whole) yield Buffer.from(`${data.subarray(0, whole).toString('base64').replace(/.{76}/g, '$&\r\n')}`);
    carry = data.subarray(whole);
  }
  if (carry.length) yield Buffer.from(`${carry.toString('base64')}\r\n`);
}

/** An attachment's bytes, in chunks. */
export function attachmentChunks(a: AttachmentContent): Iterable<Buffer> {
  return 'bytes' in a.source ? [a.source.bytes] : bytesOf(a.source.key, a.size, CHUNK);
}

export function attachmentBytes(a: AttachmentContent): Buffer {
  return Buffer.concat([...attachmentChunks(a)]);
}

const rfc2822Date = (d: Date): string => d.toUTCString().replace('GMT', '+0000');

function* parts(m: MessageRecord): Generator<Buffer | string> {
  const c = m.content;
  const r = rng(c.boundaryKey, 'boundaries');
  const boundary = (kind: string): string =>
    `_00${kind}_${Math.floor(r() * 0xffffffff)
      .toString(16)
      .padStart(8, '0')}${Math.floor(r() * 0xffffffff)
      .toString(16)
      .padStart(8, '0')}_`;
  yield [
    `From: ${address(c.from)}`,
    `To: ${c.to.map(address).join(', ')}`,
    ...(c.cc.length ? [`CC: ${c.cc.map(address).join(', ')}`] : []),
    ...(c.replyTo.length ? [`Reply-To: ${c.replyTo.map(address).join(', ')}`] : []),
    `Subject: ${encodeHeader(c.subject)}`,
    `Date: ${rfc2822Date(c.sentAt)}`,
    `Message-ID: ${c.internetMessageId}`,
    ...(m.importance !== 'normal' ? [`Importance: ${m.importance}`] : []),
    'Content-Language: en-US',
    'MIME-Version: 1.0',
    '',
  ].join('\r\n');
  const inline = c.attachments.filter((a) => a.isInline);
  const attached = c.attachments.filter((a) => !a.isInline);
  const mixed = attached.length ? boundary('mix') : undefined;
  const related = inline.length ? boundary('rel') : undefined;
  const alt = boundary('alt');
  if (mixed) yield `Content-Type: multipart/mixed;\r\n\tboundary="${mixed}"\r\n\r\n--${mixed}\r\n`;
  if (related)
    yield `Content-Type: multipart/related;\r\n\tboundary="${related}";\r\n\ttype="multipart/alternative"\r\n\r\n--${related}\r\n`;
  yield `Content-Type: multipart/alternative;\r\n\tboundary="${alt}"\r\n\r\n--${alt}\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
  yield* base64Lines([Buffer.from(c.bodyText, 'utf8')]);
  yield `--${alt}\r\nContent-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
  yield* base64Lines([Buffer.from(htmlBodyOf(c), 'utf8')]);
  if (c.invitation)
    yield `--${alt}\r\nContent-Type: text/calendar; charset="utf-8"; method=REQUEST\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${invitation(c)}\r\n`;
  yield `--${alt}--\r\n`;
  for (const a of inline) {
    yield `--${related}\r\nContent-Type: ${a.contentType}; ${filenameParam('name', a.name)}\r\nContent-Description: ${encodeHeader(a.name)}\r\nContent-Disposition: inline; ${filenameParam('filename', a.name)}; size=${a.size}\r\nContent-ID: <${a.contentId}>\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
    yield* base64Lines(attachmentChunks(a));
  }
  if (related) yield `--${related}--\r\n`;
  for (const a of attached) {
    yield `--${mixed}\r\nContent-Type: ${a.contentType}; ${filenameParam('name', a.name)}\r\nContent-Description: ${encodeHeader(a.name)}\r\nContent-Disposition: attachment; ${filenameParam('filename', a.name)}; size=${a.size}\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
    yield* base64Lines(attachmentChunks(a));
  }
  if (mixed) yield `--${mixed}--\r\n`;
}

function* mimeChunks(m: MessageRecord): Generator<Buffer> {
  if (m.raw) {
    yield m.raw;
    return;
  }
  for (const p of parts(m)) yield typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

/** The message's MIME as a stream (a client's own MIME verbatim, otherwise rendered). */
export const mimeStream = (m: MessageRecord): Readable => Readable.from(mimeChunks(m), { objectMode: false });

export const mimeBuffer = (m: MessageRecord): Buffer => Buffer.concat([...mimeChunks(m)]);

function invitation(c: MessageContent): string {
  const stamp = (d: Date): string =>
    d
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  const start = new Date(c.sentAt.getTime() + 3 * 86_400_000);
  return [
    'BEGIN:VCALENDAR',
    'METHOD:REQUEST',
    'PRODID:Microsoft Exchange Server 2010',
    'VERSION:2.0',
    'BEGIN:VEVENT',
    `UID:${c.internetMessageId.replace(/[<>]/g, '')}`,
    `DTSTAMP:${stamp(c.sentAt)}`,
    `DTSTART:${stamp(start)}`,
    `DTEND:${stamp(new Date(start.getTime() + 3_600_000))}`,
    `SUMMARY;LANGUAGE=en-US:${c.subject}`,
    `ORGANIZER;CN="${c.from.name}":mailto:${c.from.address}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ].join('\r\n');
}
