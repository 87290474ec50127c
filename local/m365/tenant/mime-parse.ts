// Reads a client's MIME (a restore) into the fields Graph derives from it: subject, addresses, dates, text and HTML
// bodies, attachments (inline ones with their Content-ID) and whether it carries a meeting request. Handles folded
// headers, RFC 2047 encoded words, RFC 2231 file names, nested multiparts, base64 and quoted-printable.

export interface MimeHeader {
  name: string;
  value: string;
}

export interface MimeLeaf {
  headers: MimeHeader[];
  contentType: string;
  params: Record<string, string>;
  disposition?: string;
  filename?: string;
  contentId?: string;
  body: Buffer;
  /** Inside a multipart/related (an inline part when it has a Content-ID). */
  related: boolean;
}

export interface ParsedMime {
  headers: MimeHeader[];
  leaves: MimeLeaf[];
}

function splitHead(buf: Buffer): { head: string; body: Buffer } {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return { head: buf.toString('latin1'), body: Buffer.alloc(0) };
  const useCrlf = crlf >= 0 && (lf < 0 || crlf <= lf);
  const at = useCrlf ? crlf : lf;
  return { head: buf.subarray(0, at).toString('latin1'), body: buf.subarray(at + (useCrlf ? 4 : 2)) };
}

function parseHeaders(head: string): MimeHeader[] {
  return head
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .filter((l) => l.includes(':'))
    .map((l) => {
      const i = l.indexOf(':');
      // Header bytes were read as latin1; re-read raw 8-bit (UTF-8) header text as UTF-8.
      return {
        name: l.slice(0, i).trim().toLowerCase(),
        value: Buffer.from(l.slice(i + 1).trim(), 'latin1').toString('utf8'),
      };
    });
}

const headerOf = (hs: MimeHeader[], name: string): string | undefined => hs.find((h) => h.name === name)?.value;

/** "type/sub; a=b; c*=utf-8''x" → value and lower-cased parameter names (RFC 2231 values decoded). */
export function parseParams(value: string): { value: string; params: Record<string, string> } {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  const params: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const i = p.indexOf('=');
    if (i < 0) continue;
    const key = p.slice(0, i).trim().toLowerCase();
    let v = p.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (key.endsWith('*')) {
      const m = /^([^']*)'[^']*'(.*)$/.exec(v);
      params[key.slice(0, -1)] = m ? decodeURIComponent(m[2]) : v;
    } else if (!(key in params)) {
      params[key] = decodeWords(v);
    }
  }
  return { value: parts[0].trim().toLowerCase(), params };
}

function decodeCharset(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** RFC 2047 encoded words (=?charset?B|Q?text?=), adjacent words joined without the whitespace between them. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=/g, (_m, cs: string, enc: string, text: string) => {
      const bytes =
        enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            );
      return decodeCharset(bytes, cs);
    });
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable': {
      const text = body.toString('latin1').replace(/=\r?\n/g, '');
      return Buffer.from(
        text.replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      );
    }
    default:
      return body;
  }
}

function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const out: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const afterDelim = at + delimiter.length;
    if (body.subarray(afterDelim, afterDelim + 2).toString() === '--') break;
    const lineEnd = body.indexOf('\n', afterDelim);
    if (lineEnd < 0) break;
    const next = body.indexOf(delimiter, lineEnd);
    const end = next < 0 ? body.length : next;
    // The line break before the next delimiter belongs to the delimiter.
    let partEnd = end;
    if (body[partEnd - 1] === 0x0a) partEnd--;
    if (body[partEnd - 1] === 0x0d) partEnd--;
    out.push(body.subarray(lineEnd + 1, Math.max(lineEnd + 1, partEnd)));
    at = next;
  }
  return out;
}

function walk(buf: Buffer, related: boolean, out: MimeLeaf[], depth: number): MimeHeader[] {
  const { head, body } = splitHead(buf);
  const headers = parseHeaders(head);
  const ct = parseParams(headerOf(headers, 'content-type') ?? 'text/plain; charset=us-ascii');
  if (ct.value.startsWith('multipart/') && ct.params.boundary && depth < 20) {
    for (const part of splitMultipart(body, ct.params.boundary))
      walk(part, related || ct.value === 'multipart/related', out, depth + 1);
    return headers;
  }
  const disp = headerOf(headers, 'content-disposition');
  const d = disp ? parseParams(disp) : undefined;
  const filename = d?.params.filename ?? ct.params.name;
  const cid = headerOf(headers, 'content-id')?.replace(/^<|>$/g, '');
  out.push({
    headers,
    contentType: ct.value,
    params: ct.params,
    ...(d ? { disposition: d.value } : {}),
    ...(filename ? { filename } : {}),
    ...(cid ? { contentId: cid } : {}),
    body: decodeBody(body, headerOf(headers, 'content-transfer-encoding')),
    related,
  });
  return headers;
}

export function parseMime(buf: Buffer): ParsedMime {
  const leaves: MimeLeaf[] = [];
  const headers = walk(buf, false, leaves, 0);
  return { headers, leaves };
}

export const mimeHeader = (m: ParsedMime, name: string): string | undefined => {
  const v = headerOf(m.headers, name.toLowerCase());
  return v === undefined ? undefined : decodeWords(v);
};

/** "A <a@x>, \"B, Jr.\" <b@y>, c@z" → name/address pairs. */
export function parseAddressList(value: string | undefined): Array<{ name: string; address: string }> {
  if (!value) return [];
  const items: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '<') angle = true;
    if (!quoted && ch === '>') angle = false;
    if (ch === ',' && !quoted && !angle) {
      items.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  items.push(cur);
  return items
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^(.*)<([^>]+)>\s*$/.exec(s);
      if (!m) return { name: '', address: s };
      return { name: decodeWords(m[1].trim()).replace(/^"|"$/g, ''), address: m[2].trim() };
    });
}

/** Text of a leaf, in its declared charset. */
export const leafText = (leaf: MimeLeaf): string => decodeCharset(leaf.body, leaf.params.charset ?? 'utf-8');
