// A message preview for the recovery console: its headers, its body as safe text and sanitized HTML, and its
// attachments. Pure, over a message the caller read up to a size cap; parts beyond it are listed as truncated.
import { headerFields, parseContentType } from './part-headers';

export interface MessagePreview {
  headers: { subject: string; from: string; to: string; cc: string; date: string; messageId: string };
  text: string;
  /** HTML with scripts, event handlers, active content and remote resources removed (see sanitizeHtml). */
  html?: string;
  attachments: Array<{ name: string; contentType: string; size: number; inline: boolean }>;
  /** The message was larger than the cap: later parts are not shown. */
  truncated: boolean;
}

interface Part { fields: Array<{ name: string; value: string }>; body: Buffer }

const field = (p: Part, name: string): string => p.fields.find((f) => f.name === name)?.value ?? '';

function splitPart(raw: Buffer): Part {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
  if (end < 0) return { fields: headerFields(raw), body: Buffer.alloc(0) };
  return { fields: headerFields(raw.subarray(0, end)), body: raw.subarray(end + (end === crlf ? 4 : 2)) };
}

function children(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const out: Buffer[] = [];
  let at = text.indexOf(delimiter);
  while (at >= 0) {
    const lineEnd = text.indexOf('\n', at);
    if (lineEnd < 0 || text.startsWith(`${delimiter}--`, at)) break;
    const next = text.indexOf(`\n${delimiter}`, lineEnd);
    const stop = next < 0 ? text.length : next > 0 && text[next - 1] === '\r' ? next - 1 : next;
    out.push(body.subarray(lineEnd + 1, stop));
    at = next < 0 ? -1 : next + 1;
  }
  return out;
}

function decodeBody(p: Part): Buffer {
  const cte = field(p, 'content-transfer-encoding').toLowerCase().trim();
  if (cte === 'base64') return Buffer.from(p.body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') {
    const text = p.body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  return p.body;
}

function decodeText(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** RFC 2047 encoded words (=?charset?B|Q?...?=), adjacent ones joined, as mail clients show them. */
export function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, enc: string, data: string) => {
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (__, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return decodeText(bytes, charset);
  });
}

const ACTIVE_ELEMENTS = ['script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form', 'link', 'meta', 'base', 'svg', 'math', 'template', 'noscript'];

/**
 * Removes what could run or phone home: active elements with their content, event handlers, javascript:/vbscript:/
 * data: URLs (but inline data: images), and remote images (kept as data-blocked-src so a console can offer them).
 */
export function sanitizeHtml(html: string): string {
  let out = html.replace(/<!--[\s\S]*?-->/g, '');
  for (const tag of ACTIVE_ELEMENTS) out = out.replace(new RegExp(`<${tag}\\b[\\s\\S]*?(</${tag}\\s*>|$)`, 'gi'), '');
  out = out.replace(/<\/?(?:script|style|iframe|object|embed|form|link|meta|base)\b[^>]*>/gi, '');
  out = out.replace(/\s(on[a-z]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, '');
  out = out.replace(/\s(href|src|action|formaction|background|poster|xlink:href)\s*=\s*("|')?\s*(javascript|vbscript|data(?!:image\/(?:png|gif|jpeg|webp);))[^"'\s>]*("|')?/gi, ' $1="#"');
  out = out.replace(/<img\b([^>]*?)\ssrc\s*=\s*("|')?(https?:)?\/\/([^"'\s>]*)("|')?/gi, '<img$1 data-blocked-src="https://$4"');
  out = out.replace(/url\s*\(\s*['"]?\s*(?:https?:|\/\/|javascript:)[^)]*\)/gi, 'none');
  return out;
}

export interface ReadMessage {
  /** Header fields of the top-level header block (names lower-cased, values raw). */
  fields: Array<{ name: string; value: string }>;
  text?: string;
  html?: string;
  attachments: Array<{ name: string; contentType: string; inline: boolean; contentId?: string; bytes: Buffer }>;
}

/** The decoded bodies and attachments of a message, as a mail client reads them. */
export function readMessage(raw: Buffer): ReadMessage {
  const top = splitPart(raw);
  const out: ReadMessage = { fields: top.fields, attachments: [] };
  const walk = (p: Part, depth: number): void => {
    const { mediaType, params } = parseContentType(field(p, 'content-type') || 'text/plain');
    const boundary = params.get('boundary');
    if (mediaType.startsWith('multipart/') && boundary && depth < 16) {
      for (const c of children(p.body, boundary)) walk(splitPart(c), depth + 1);
      return;
    }
    const disposition = parseContentType(field(p, 'content-disposition') || 'inline');
    const name = decodeWords(disposition.params.get('filename') ?? params.get('name') ?? '');
    const isBody = !name && disposition.mediaType !== 'attachment' && (mediaType === 'text/plain' || mediaType === 'text/html');
    if (isBody && mediaType === 'text/plain' && out.text === undefined) out.text = decodeText(decodeBody(p), params.get('charset'));
    else if (isBody && mediaType === 'text/html' && out.html === undefined) out.html = decodeText(decodeBody(p), params.get('charset'));
    else if (!isBody) {
      const contentId = field(p, 'content-id').replace(/^<|>$/g, '');
      out.attachments.push({ name: name || mediaType.replace('/', '.'), contentType: mediaType, inline: disposition.mediaType === 'inline' || !!contentId, ...(contentId ? { contentId } : {}), bytes: decodeBody(p) });
    }
  };
  walk(top, 0);
  return out;
}

export function previewMime(raw: Buffer, truncated = false): MessagePreview {
  const m = readMessage(raw);
  const top = { fields: m.fields, body: Buffer.alloc(0) };
  const html = m.html === undefined ? undefined : sanitizeHtml(m.html);
  return {
    headers: {
      subject: decodeWords(field(top, 'subject')), from: decodeWords(field(top, 'from')), to: decodeWords(field(top, 'to')),
      cc: decodeWords(field(top, 'cc')), date: field(top, 'date'), messageId: field(top, 'message-id'),
    },
    text: m.text ?? (html ? html.replace(/<[^>]+>/g, ' ').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim() : ''),
    ...(html !== undefined ? { html } : {}),
    attachments: m.attachments.map((a) => ({ name: a.name, contentType: a.contentType, size: a.bytes.length, inline: a.inline })),
    truncated,
  };
}
