// Realistic message MIME, generated deterministically: multipart/alternative text+html, attachments (one shared by
// many mailboxes, as a company policy PDF is in real tenants), inline images in multipart/related, RFC 2047 encoded
// non-ASCII headers, and calendar invitations.
import { hashOf, pick, rng } from './seeded';

export interface MailAddress {
  name: string;
  address: string;
}

export interface MessageSpec {
  key: string;
  subject: string;
  from: MailAddress;
  to: MailAddress[];
  date: Date;
  messageId: string;
  attachments: Array<{ name: string; type: string; size: number; shared?: boolean }>;
  inlineImage: boolean;
  invitation: boolean;
  bodyText: string;
}

const WORDS = ['budget', 'quarterly', 'review', 'migration', 'contract', 'roadmap', 'invoice', 'meeting', 'design', 'launch', 'audit', 'hiring', 'customer', 'renewal', 'security', 'backup', 'planning', 'report'];
const SUBJECTS = ['Re: {w} for {W}', '{W} update', 'Action needed: {w}', 'Fwd: {W} notes', 'Über die {w} – Zusammenfassung', '会议: {w}', 'Quick question about the {w}', '{W} ✔ approved'];

export function subjectFor(r: () => number): string {
  const w = pick(r, WORDS);
  return pick(r, SUBJECTS).replace('{w}', w).replace('{W}', w[0]!.toUpperCase() + w.slice(1));
}

export function bodyFor(r: () => number, sentences: number): string {
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const n = 6 + Math.floor(r() * 10);
    out.push(Array.from({ length: n }, () => pick(r, WORDS)).join(' ') + '.');
  }
  return out.join(' ');
}

/** RFC 2047 B-encoding for header values that are not plain ASCII. */
export function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

const addr = (a: MailAddress): string => `${encodeHeader(a.name)} <${a.address}>`;

/** Base64 body lines of 76 characters, as Exchange emits them. */
function base64Lines(bytes: Buffer): string {
  return bytes.toString('base64').replace(/.{76}/g, '$&\r\n');
}

/** Deterministic attachment bytes: the same (name, size) gives the same bytes in every mailbox. */
export function attachmentBytes(name: string, size: number, shared: boolean, key: string): Buffer {
  const seed = shared ? `shared:${name}:${size}` : `${key}:${name}:${size}`;
  const out = Buffer.alloc(size);
  let block = hashOf(seed);
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off, 0, Math.min(block.length, size - off));
    block = hashOf(seed, off);
  }
  return out;
}

export function renderMime(spec: MessageSpec): Buffer {
  const r = rng(spec.key, 'boundaries');
  const boundary = (kind: string): string => `_${kind}_${Math.floor(r() * 1e12).toString(16)}_`;
  const lines: string[] = [
    `From: ${addr(spec.from)}`,
    `To: ${spec.to.map(addr).join(', ')}`,
    `Subject: ${encodeHeader(spec.subject)}`,
    `Date: ${spec.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${spec.messageId}`,
    'MIME-Version: 1.0',
    'Content-Language: en-US',
  ];
  const html = `<html><head><meta charset="utf-8"></head><body><p>${spec.bodyText}</p>${spec.inlineImage ? '<p><img src="cid:logo@m365v"></p>' : ''}</body></html>`;
  const alt = boundary('alt');
  const alternative = [
    `Content-Type: multipart/alternative; boundary="${alt}"`, '', `--${alt}`,
    'Content-Type: text/plain; charset="utf-8"', 'Content-Transfer-Encoding: base64', '', base64Lines(Buffer.from(spec.bodyText, 'utf8')),
    `--${alt}`, 'Content-Type: text/html; charset="utf-8"', 'Content-Transfer-Encoding: base64', '', base64Lines(Buffer.from(html, 'utf8')),
    ...(spec.invitation ? [`--${alt}`, 'Content-Type: text/calendar; charset="utf-8"; method=REQUEST', 'Content-Transfer-Encoding: 7bit', '', invitation(spec)] : []),
    `--${alt}--`,
  ];
  let body = alternative;
  if (spec.inlineImage) {
    const rel = boundary('rel');
    body = [
      `Content-Type: multipart/related; boundary="${rel}"; type="multipart/alternative"`, '', `--${rel}`, ...alternative,
      `--${rel}`, 'Content-Type: image/png; name="logo.png"', 'Content-Description: logo.png', 'Content-Disposition: inline; filename="logo.png"',
      'Content-ID: <logo@m365v>', 'Content-Transfer-Encoding: base64', '', base64Lines(attachmentBytes('logo.png', 2048, true, spec.key)), `--${rel}--`,
    ];
  }
  if (spec.attachments.length > 0) {
    const mixed = boundary('mix');
    const parts: string[] = [`Content-Type: multipart/mixed; boundary="${mixed}"`, '', `--${mixed}`, ...body];
    for (const a of spec.attachments) {
      parts.push(`--${mixed}`, `Content-Type: ${a.type}; name="${encodeHeader(a.name)}"`, `Content-Disposition: attachment; filename="${encodeHeader(a.name)}"; size=${a.size}`,
        'Content-Transfer-Encoding: base64', '', base64Lines(attachmentBytes(a.name, a.size, a.shared === true, spec.key)));
    }
    parts.push(`--${mixed}--`);
    body = parts;
  }
  return Buffer.from([...lines, ...body, ''].join('\r\n'), 'utf8');
}

function invitation(spec: MessageSpec): string {
  const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const start = new Date(spec.date.getTime() + 3 * 86400_000);
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'METHOD:REQUEST', 'PRODID:-//m365-vault emulator//EN', 'BEGIN:VEVENT', `UID:${spec.messageId.replace(/[<>]/g, '')}`,
    `DTSTAMP:${stamp(spec.date)}`, `DTSTART:${stamp(start)}`, `DTEND:${stamp(new Date(start.getTime() + 3600_000))}`, `SUMMARY:${spec.subject}`,
    `ORGANIZER;CN=${spec.from.name}:mailto:${spec.from.address}`, 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
}
