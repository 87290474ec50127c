// A group post as an RFC 5322 message (.eml), readable by any mail client: Graph serves an application no MIME of a
// post, so it is written from the stored post (Graph's JSON) and its files, each file's bytes streamed from storage
// into base64 lines as the reader pulls them.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export interface PostFile {
  name: string;
  contentType: string;
  isInline: boolean;
  contentId?: string;
  open(): Promise<AsyncIterable<Buffer>>;
}

type Recipient = { emailAddress?: { name?: string; address?: string } } | undefined;

/** RFC 2047 encoded word for a header text that is not plain ASCII. */
const word = (text: string): string =>
  /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;

const mailbox = (r: Recipient): string => {
  const { name, address } = r?.emailAddress ?? {};
  if (!address) return word(name ?? '');
  return name ? `${word(name.replace(/["\\]/g, ''))} <${address}>` : `<${address}>`;
};

/** RFC 2231 parameter value: any file name survives, quoted ASCII where it can. */
const param = (key: string, value: string): string =>
  /^[\x20-\x7e]*$/.test(value) && !/["\\]/.test(value)
    ? `${key}="${value}"`
    : `${key}*=UTF-8''${encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;

/** Base64 in 76-character lines, from chunks of any size (3-byte groups carried between chunks). */
async function* base64Lines(source: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<string> {
  let rest = Buffer.alloc(0);
  for await (const chunk of source) {
    const data = Buffer.concat([rest, chunk]);
    const whole = data.length - (data.length % 57);
    for (let at = 0; at < whole; at += 57) yield `${data.subarray(at, at + 57).toString('base64')}\r\n`;
    rest = data.subarray(whole);
  }
  if (rest.length) yield `${rest.toString('base64')}\r\n`;
}

const dateHeader = (iso: unknown): string => {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return new Date(Number.isNaN(t) ? 0 : t).toUTCString().replace('GMT', '+0000');
};

export function postEml(post: Record<string, unknown>, topic: string, files: readonly PostFile[]): Readable {
  const boundary = `=_post_${randomBytes(12).toString('hex')}`;
  const body = (post.body ?? {}) as { contentType?: string; content?: string };
  const type = body.contentType === 'html' ? 'text/html' : 'text/plain';
  const id = typeof post.id === 'string' ? post.id : '';
  async function* lines(): AsyncGenerator<string> {
    yield `From: ${mailbox(post.from as Recipient)}\r\n`;
    if (post.sender) yield `Sender: ${mailbox(post.sender as Recipient)}\r\n`;
    yield `Date: ${dateHeader(post.receivedDateTime)}\r\n`;
    yield `Subject: ${word(topic)}\r\n`;
    yield `X-MS-Graph-Post-Id: ${id.replace(/[^\x21-\x7e]/g, '')}\r\n`;
    yield 'MIME-Version: 1.0\r\n';
    yield `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n`;
    yield `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
    yield* base64Lines([Buffer.from(body.content ?? '', 'utf8')]);
    for (const f of files) {
      // Parameters folded onto lines of their own (a long name may still pass 78 characters, never 998).
      yield `--${boundary}\r\nContent-Type: ${f.contentType || 'application/octet-stream'};\r\n ${param('name', f.name)}\r\n`;
      yield `Content-Disposition: ${f.isInline ? 'inline' : 'attachment'};\r\n ${param('filename', f.name)}\r\n`;
      if (f.contentId) yield `Content-ID: <${f.contentId.replace(/[<>\r\n]/g, '')}>\r\n`;
      yield 'Content-Transfer-Encoding: base64\r\n\r\n';
      yield* base64Lines(await f.open());
    }
    yield `--${boundary}--\r\n`;
  }
  return Readable.from(lines(), { objectMode: false });
}
