// A tiny MIME builder for tests: messages as trees, rendered with CRLF or bare LF, plus an oracle of which bodies a
// splitter should cut out, and a seeded generator of varied messages for property-style tests.
import { createCipheriv, createHash } from 'node:crypto';

export type Eol = '\r\n' | '\n';

export type LeafBody =
  /** Written as is; '\n' in the text becomes the message's line break. */
  | { text: string }
  /** Base64 in 76-character lines, as Exchange writes attachments. */
  | { base64: Buffer }
  /** Like base64, for `size` seeded bytes generated while rendering (never held whole). */
  | { base64Seeded: { seed: string; size: number } }
  /** Raw bytes (Content-Transfer-Encoding: binary). */
  | { binary: Buffer };

export type MimeNode =
  | { kind: 'leaf'; headers: string[]; body: LeafBody; extractable: boolean }
  | {
      kind: 'multipart';
      headers: string[];
      boundary: string;
      parts: MimeNode[];
      preamble?: string;
      epilogue?: string;
      padding?: string;
      closed?: boolean;
    }
  | { kind: 'message'; headers: string[]; message: MimeNode };

export const textPart = (contentType: string, text: string, headers: string[] = []): MimeNode => ({
  kind: 'leaf',
  headers: [`Content-Type: ${contentType}`, 'Content-Transfer-Encoding: quoted-printable', ...headers],
  body: { text },
  extractable: false,
});

export const base64Part = (contentType: string, bytes: Buffer, headers: string[] = []): MimeNode => ({
  kind: 'leaf',
  headers: [`Content-Type: ${contentType}`, 'Content-Transfer-Encoding: base64', ...headers],
  body: { base64: bytes },
  extractable: true,
});

export const attachment = (name: string, bytes: Buffer, contentType = 'application/octet-stream'): MimeNode =>
  base64Part(`${contentType}; name="${name}"`, bytes, [
    `Content-Disposition: attachment; filename="${name}"; size=${bytes.length}`,
  ]);

let boundaries = 0;

export const multipart = (
  subtype: string,
  parts: MimeNode[],
  opts: {
    boundary?: string;
    headers?: string[];
    preamble?: string;
    epilogue?: string;
    padding?: string;
    closed?: boolean;
  } = {},
): MimeNode => {
  const { boundary = `_000_${subtype}_${++boundaries}_contoso_`, headers = [], ...layout } = opts;
  return {
    kind: 'multipart',
    headers: [`Content-Type: multipart/${subtype}; boundary="${boundary}"`, ...headers],
    boundary,
    parts,
    epilogue: '',
    ...layout,
  };
};

export const attachedMessage = (
  message: MimeNode,
  headers: string[] = ['Content-Type: message/rfc822', 'Content-Disposition: attachment'],
): MimeNode => ({ kind: 'message', headers, message });

/** The node with more header lines in front (a message's From/To/Subject, or a part's extra fields). */
export const withHeaders = (headers: string[], node: MimeNode): MimeNode => ({
  ...node,
  headers: [...headers, ...node.headers],
});

export const messageHeaders = (subject: string, id: string): string[] => [
  'From: Adele Vance <AdeleV@contoso.example>',
  'To: Alex Wilber <AlexW@contoso.example>',
  `Subject: ${subject}`,
  'Date: Tue, 17 Nov 2026 09:30:00 +0000',
  `Message-ID: <${id}@contoso.example>`,
  'MIME-Version: 1.0',
];

/** Deterministic pseudo-random bytes (AES-CTR keystream of the seed): incompressible, same seed same bytes. */
export function* seededByteChunks(seed: string, size: number, chunkSize = 57 * 1024): Generator<Buffer> {
  const cipher = createCipheriv(
    'aes-128-ctr',
    createHash('sha256').update(seed).digest().subarray(0, 16),
    Buffer.alloc(16),
  );
  const zeros = Buffer.alloc(chunkSize);
  for (let sent = 0; sent < size; sent += chunkSize)
    yield cipher.update(zeros.subarray(0, Math.min(chunkSize, size - sent)));
}

export const seededBytes = (seed: string, size: number): Buffer => Buffer.concat([...seededByteChunks(seed, size)]);

/** Base64 of the chunks in 76-character lines joined by `eol`, with no line break after the last line. */
function* base64Lines(chunks: Iterable<Buffer>, eol: Eol): Generator<Buffer> {
  let first = true;
  let rest = Buffer.alloc(0);
  const flush = function* (bytes: Buffer): Generator<Buffer> {
    const text = bytes.toString('base64');
    const lines: string[] = [];
    for (let i = 0; i < text.length; i += 76) lines.push(text.slice(i, i + 76));
    if (lines.length === 0) return;
    yield Buffer.from((first ? '' : eol) + lines.join(eol), 'latin1');
    first = false;
  };
  for (const chunk of chunks) {
    // Encode whole 57-byte groups only, so line breaks fall where encoding the bytes in one go would put them.
    const all = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const whole = all.length - (all.length % 57);
    yield* flush(all.subarray(0, whole));
    rest = Buffer.from(all.subarray(whole));
  }
  yield* flush(rest);
}

function* leafBody(body: LeafBody, eol: Eol): Generator<Buffer> {
  if ('text' in body) yield Buffer.from(body.text.replace(/\n/g, eol));
  else if ('binary' in body) yield body.binary;
  else if ('base64' in body) yield* base64Lines([body.base64], eol);
  else yield* base64Lines(seededByteChunks(body.base64Seeded.seed, body.base64Seeded.size), eol);
}

/** The message as it would travel: header block, blank line, body; multipart bodies per RFC 2046. */
export function* renderMime(node: MimeNode, eol: Eol = '\r\n'): Generator<Buffer> {
  yield Buffer.from(node.headers.map((h) => h.replace(/\n/g, eol)).join(eol) + eol + eol);
  if (node.kind === 'leaf') yield* leafBody(node.body, eol);
  else if (node.kind === 'message') yield* renderMime(node.message, eol);
  else {
    const pad = node.padding ?? '';
    if (node.preamble !== undefined) yield Buffer.from(node.preamble.replace(/\n/g, eol) + eol);
    for (const [i, part] of node.parts.entries()) {
      yield Buffer.from(`${i === 0 ? '' : eol}--${node.boundary}${pad}${eol}`);
      yield* renderMime(part, eol);
    }
    if (node.closed !== false) {
      yield Buffer.from(`${eol}--${node.boundary}--${pad}`);
      if (node.epilogue !== undefined) yield Buffer.from(eol + node.epilogue.replace(/\n/g, eol));
    }
  }
}

export const mimeBytes = (node: MimeNode, eol: Eol = '\r\n'): Buffer => Buffer.concat([...renderMime(node, eol)]);

/** The bodies a splitter should cut out, in message order: extractable leaves whose body reaches the threshold. */
export function expectedParts(node: MimeNode, threshold: number, eol: Eol = '\r\n'): Buffer[] {
  if (node.kind === 'message') return expectedParts(node.message, threshold, eol);
  if (node.kind === 'multipart') return node.parts.flatMap((p) => expectedParts(p, threshold, eol));
  if (!node.extractable) return [];
  const body = Buffer.concat([...leafBody(node.body, eol)]);
  return body.length >= threshold ? [body] : [];
}

/** mulberry32: a small seeded generator, so a failing case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A varied, well-formed message: nested multiparts (mixed, alternative, related, digest-free), attached messages,
 * text and base64 leaves around the threshold, odd but legal boundaries, transport padding, preambles, epilogues.
 */
export function randomMessage(rand: () => number, threshold: number, depth = 0): MimeNode {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const size = (): number =>
    pick([0, 1, 57, threshold - 200, Math.floor((threshold * 3) / 4), threshold, threshold + 1, threshold * 3 + 5]);
  const boundary = (): string =>
    pick([
      'b',
      '----=_Part_0_12345.67890',
      "'()+_,-./:=? odd",
      '_000_DB9PR83MB0123ABCDEF_',
      `b${Math.floor(rand() * 1e6)}`,
    ]) + (depth > 0 ? `-${depth}-${Math.floor(rand() * 1e3)}` : '');
  const kind = depth >= 3 ? 'leaf' : pick(['leaf', 'leaf', 'multipart', 'multipart', 'message']);
  if (kind === 'message')
    return attachedMessage(withHeaders(messageHeaders('Fwd', `m${depth}`), randomMessage(rand, threshold, depth + 1)));
  if (kind === 'multipart') {
    const parts = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => randomMessage(rand, threshold, depth + 1));
    return multipart(pick(['mixed', 'alternative', 'related']), parts, {
      boundary: boundary(),
      ...(rand() < 0.3 ? { preamble: 'This is a multi-part message in MIME format.\n-- not a delimiter' } : {}),
      ...(rand() < 0.3 ? { padding: pick([' ', '\t', '  \t ']) } : {}),
      epilogue: pick(['', 'epilogue text\n', '--b looks like a delimiter but is not\n']),
    });
  }
  const n = size();
  const seed = `leaf${Math.floor(rand() * 4)}-${n}`;
  return pick([
    () => attachment(`file-${seed}.bin`, seededBytes(seed, n)),
    () =>
      base64Part('image/png', seededBytes(seed, n), [
        `Content-ID: <${seed}@contoso.example>`,
        'Content-Disposition: inline',
      ]),
    () => textPart('text/plain; charset="utf-8"', `Hello =E2=80=93 line\n--not a boundary\n${'x'.repeat(n)}`),
    () => textPart('text/html; charset="utf-8"', `<p>${'y'.repeat(n)}</p>`),
  ])();
}
