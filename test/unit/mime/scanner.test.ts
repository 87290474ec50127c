import { createHash } from 'node:crypto';
import { MimeScanner, ScanOptionsInput } from '../../../shared/mime/scanner';
import { spliceParts } from '../../../shared/mime/splice';
import {
  attachedMessage,
  attachment,
  base64Part,
  Eol,
  expectedParts,
  messageHeaders,
  mimeBytes,
  MimeNode,
  multipart,
  randomMessage,
  seededBytes,
  seededRandom,
  textPart,
  withHeaders,
} from '../../support/mime-builder';

const THRESHOLD = 32 * 1024;

interface Scanned {
  skeleton: Buffer;
  parts: Array<{ offset: number; bytes: Buffer }>;
}

/** Feeds `input` in chunks of the sizes `next()` returns and collects what the scanner routed where. */
function scan(input: Buffer, next: () => number = () => input.length, opts?: ScanOptionsInput): Scanned {
  const scanner = new MimeScanner(opts);
  const skeleton: Buffer[] = [];
  let skeletonBytes = 0;
  const parts: Array<{ offset: number; chunks: Buffer[] }> = [];
  let open = false;
  const sequence = (ok: boolean): void => {
    if (!ok) throw new Error('scanner events out of order');
  };
  const apply = (events: ReturnType<MimeScanner['push']>): void => {
    for (const e of events) {
      if (e.type === 'skeleton') {
        sequence(!open);
        skeleton.push(e.bytes);
        skeletonBytes += e.bytes.length;
      } else if (e.type === 'partStart') {
        sequence(!open);
        open = true;
        parts.push({ offset: skeletonBytes, chunks: [] });
      } else if (e.type === 'part') {
        sequence(open);
        parts.at(-1)!.chunks.push(e.bytes);
      } else {
        sequence(open);
        open = false;
      }
    }
  };
  for (let i = 0; i < input.length;) {
    const n = Math.max(1, next());
    apply(scanner.push(input.subarray(i, i + n)));
    i += n;
  }
  apply(scanner.end());
  sequence(!open);
  return {
    skeleton: Buffer.concat(skeleton),
    parts: parts.map((p) => ({ offset: p.offset, bytes: Buffer.concat(p.chunks) })),
  };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** A compact, comparable form (jest's deep equality walks Buffers byte by byte). */
const digest = (s: Scanned): unknown => ({
  skeleton: sha(s.skeleton),
  parts: s.parts.map((p) => ({ offset: p.offset, size: p.bytes.length, sha256: sha(p.bytes) })),
});

async function reassemble(s: Scanned): Promise<Buffer> {
  const out: Buffer[] = [];
  const parts = s.parts.map((p) => ({ offset: p.offset, size: p.bytes.length, open: async () => [p.bytes] }));
  for await (const chunk of spliceParts([s.skeleton], s.skeleton.length, parts)) out.push(chunk);
  return Buffer.concat(out);
}

/** Round trip exact, and the extracted bodies are exactly the ones the builder says should be. */
async function expectSplit(node: MimeNode, eol: Eol = '\r\n'): Promise<Scanned> {
  const input = mimeBytes(node, eol);
  const s = scan(input);
  expect((await reassemble(s)).equals(input)).toBe(true);
  expect(s.parts.map((p) => p.bytes.toString('latin1'))).toEqual(
    expectedParts(node, THRESHOLD, eol).map((b) => b.toString('latin1')),
  );
  return s;
}

const big = (seed: string, n = 100_000): Buffer => seededBytes(seed, n);
const body = 'Hi Alex,\nplease find the report attached.\n-- \nAdele';
const alternative = (): MimeNode =>
  multipart('alternative', [
    textPart('text/plain; charset="utf-8"', body),
    textPart('text/html; charset="utf-8"', `<p>${body}</p>`),
  ]);

describe('MimeScanner', () => {
  it('cuts out large attachments of multipart/mixed and keeps small ones and text in the skeleton', async () => {
    const msg = withHeaders(
      messageHeaders('Report', 'a1'),
      multipart('mixed', [
        alternative(),
        attachment('report.pdf', big('pdf'), 'application/pdf'),
        attachment('small.txt', big('small', 300), 'text/plain'),
      ]),
    );
    const s = await expectSplit(msg);
    expect(s.parts).toHaveLength(1);
    expect(s.skeleton.length).toBeLessThan(3000);
    // The part goes back right after its header block: the skeleton there ends with the blank line.
    expect(s.skeleton.subarray(0, s.parts[0].offset).toString('latin1')).toMatch(
      /filename="report\.pdf"; size=100000\r\n\r\n$/,
    );
    expect(s.skeleton.subarray(s.parts[0].offset).toString('latin1')).toMatch(/^\r\n--_000_mixed_/);
  });

  it('finds attachments inside nested alternative/related parts and inline images with Content-ID', async () => {
    const related = multipart('related', [
      textPart('text/html; charset="utf-8"', '<img src="cid:logo@contoso">'),
      base64Part('image/png; name="logo.png"', big('logo', 40_000), [
        'Content-ID: <logo@contoso>',
        'Content-Disposition: inline; filename="logo.png"',
      ]),
    ]);
    const msg = withHeaders(
      messageHeaders('Inline', 'a2'),
      multipart('mixed', [
        multipart('alternative', [textPart('text/plain', body), related]),
        attachment('data.xlsx', big('xlsx')),
      ]),
    );
    const s = await expectSplit(msg);
    expect(s.parts).toHaveLength(2);
  });

  it('reads into an attached message/rfc822 and cuts out its own attachment', async () => {
    const inner = withHeaders(
      messageHeaders('Original', 'inner'),
      multipart('mixed', [textPart('text/plain', body), attachment('contract.docx', big('docx'))]),
    );
    const msg = withHeaders(
      messageHeaders('Fwd: Original', 'outer'),
      multipart('mixed', [textPart('text/plain', 'see below'), attachedMessage(inner)]),
    );
    const s = await expectSplit(msg);
    expect(s.parts).toHaveLength(1);
  });

  it('handles a calendar invitation (text/calendar alternative and a base64 .ics attachment)', async () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'METHOD:REQUEST',
      'BEGIN:VEVENT',
      'SUMMARY:Quarterly review',
      `DESCRIPTION:${'agenda '.repeat(8000)}`,
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\n');
    const msg = withHeaders(
      messageHeaders('Invitation', 'cal'),
      multipart('mixed', [
        multipart('alternative', [
          textPart('text/plain', body),
          textPart('text/calendar; charset="utf-8"; method=REQUEST', ics),
        ]),
        attachment('invite.ics', Buffer.from(ics), 'application/ics'),
      ]),
    );
    const s = await expectSplit(msg);
    // The text/calendar body is text (quoted-printable) and stays; the base64 .ics attachment is cut out.
    expect(s.parts).toHaveLength(1);
    expect(s.skeleton.toString('latin1')).toContain('SUMMARY:Quarterly review');
  });

  it('keeps non-ASCII RFC 2047 and raw UTF-8 headers byte for byte', async () => {
    const msg = withHeaders(
      [
        'Subject: =?UTF-8?B?w4R0c2No?= =?iso-8859-1?Q?=FCber_M=E4rz?=',
        'From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <jm@contoso.example>',
        'Thread-Topic: Überprüfung – 日本語',
      ],
      multipart('mixed', [textPart('text/plain; charset="utf-8"', 'Grüße'), attachment('Übersicht.pdf', big('u'))]),
    );
    await expectSplit(msg);
  });

  it('splits bare-LF messages the same way', async () => {
    const msg = withHeaders(
      messageHeaders('LF', 'lf'),
      multipart('mixed', [alternative(), attachment('a.bin', big('lf'))]),
    );
    const s = await expectSplit(msg, '\n');
    expect(s.parts[0].bytes.includes('\r')).toBe(false);
    expect(s.parts[0].bytes.at(-1)).not.toBe(0x0a);
  });

  it('cuts the body of a single-part base64 message up to the end of input', async () => {
    const msg = withHeaders(messageHeaders('Scan', 'single'), base64Part('application/pdf', big('single')));
    await expectSplit(msg);
    const plain = withHeaders(messageHeaders('Text', 'plain'), textPart('text/plain', 'x'.repeat(100_000)));
    expect((await expectSplit(plain)).parts).toEqual([]);
  });

  it('applies the extraction rule: base64 of any type, non-text in binary encoding; not quoted-printable text', async () => {
    const binary: MimeNode = {
      kind: 'leaf',
      headers: ['Content-Type: application/zip', 'Content-Transfer-Encoding: binary'],
      body: { binary: big('zip') },
      extractable: true,
    };
    const binaryText: MimeNode = {
      kind: 'leaf',
      headers: ['Content-Type: text/csv', 'Content-Transfer-Encoding: 8bit'],
      body: { text: 'a,b\n'.repeat(20_000) },
      extractable: false,
    };
    const html64 = base64Part('text/html; charset="utf-8"', Buffer.from('<p>long</p>'.repeat(5000)));
    const s = await expectSplit(
      multipart('mixed', [binary, binaryText, html64, textPart('application/json', '{}'.repeat(30_000))]),
    );
    expect(s.parts).toHaveLength(2);
  });

  it('reads header names in any case, folded Content-Type, unquoted boundaries, comments and transport padding', async () => {
    const a = big('fold');
    const text = [
      'content-TYPE: Multipart/Mixed; (a comment)',
      '\tBOUNDARY=simple-boundary ;',
      ' charset=us-ascii',
      '',
      '--simple-boundary \t',
      'CONTENT-TRANSFER-ENCODING: BASE64',
      'Content-type: application/octet-stream',
      '',
      a.toString('base64'),
      '--simple-boundary--  ',
      '',
    ].join('\r\n');
    const s = scan(Buffer.from(text));
    expect(s.parts.map((p) => p.bytes.toString())).toEqual([a.toString('base64')]);
    expect((await reassemble(s)).toString()).toBe(text);
  });

  it('does not take near-misses for delimiters: a longer boundary, text after it, a single trailing dash', async () => {
    const a = big('near').toString('base64');
    const lines = (eol: string): string =>
      [
        'Content-Type: multipart/mixed; boundary="abc"',
        '',
        '--abc',
        'Content-Type: application/octet-stream',
        'Content-Transfer-Encoding: base64',
        '',
        a.slice(0, 40_000),
        '--abcd',
        '--abc x',
        '--abc-',
        '-',
        '--',
        a.slice(40_000),
        '--abc--',
        '',
      ].join(eol);
    for (const eol of ['\r\n', '\n']) {
      const text = lines(eol);
      const s = scan(Buffer.from(text));
      expect(s.parts).toHaveLength(1);
      expect(s.parts[0].bytes.toString()).toBe(
        [a.slice(0, 40_000), '--abcd', '--abc x', '--abc-', '-', '--', a.slice(40_000)].join(eol),
      );
      expect((await reassemble(s)).toString()).toBe(text);
    }
  });

  it('ends nested multiparts at an outer delimiter when their close delimiter is missing', async () => {
    const inner = multipart('related', [attachment('i.png', big('i'))], { closed: false });
    const msg = multipart('mixed', [inner, attachment('after.bin', big('after'))]);
    const s = await expectSplit(msg);
    expect(s.parts).toHaveLength(2);
  });

  it('never throws or loses bytes on malformed or truncated input', async () => {
    const good = mimeBytes(
      withHeaders(messageHeaders('T', 't'), multipart('mixed', [alternative(), attachment('t.bin', big('t'))])),
    );
    const cases: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('no headers at all'),
      Buffer.from('Subject: only headers\r\n'),
      Buffer.from('Content-Type: multipart/mixed\r\n\r\n--\r\nno boundary parameter\r\n'),
      Buffer.from('Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n\r\n'),
      Buffer.from(`Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\n--x--`),
      Buffer.from('\r\n\r\n\r\r\n\n\r'),
      Buffer.from(
        `Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n${big('u').toString('base64')}`,
      ),
      seededBytes('garbage', 50_000),
    ];
    for (const cut of [1, 100, 500, 2000, 40_000, good.length - 30, good.length - 1]) cases.push(good.subarray(0, cut));
    for (const input of cases) {
      for (const next of [() => input.length, () => 1, () => 7]) {
        const s = scan(input, next);
        expect((await reassemble(s)).equals(input)).toBe(true);
      }
    }
    // Truncated inside the attachment: what was read of it is still cut out.
    const truncated = scan(good.subarray(0, good.length - 1000));
    expect(truncated.parts).toHaveLength(1);
  });

  it('keeps memory bounded: long lines pass in pieces, oversized header blocks are not parsed', async () => {
    const oneLine = big('line', 400_000).toString('base64');
    const text = [
      'Content-Type: multipart/mixed; boundary=x',
      '',
      '--x',
      'Content-Type: text/plain',
      '',
      '-'.repeat(5000),
      '--x',
      'Content-Transfer-Encoding: base64',
      '',
      oneLine,
      '--x--',
    ].join('\r\n');
    const s = scan(Buffer.from(text), () => 4096);
    expect(s.parts.map((p) => p.bytes.toString())).toEqual([oneLine]);
    expect((await reassemble(s)).toString()).toBe(text);

    const hugeHeaders = Buffer.from(
      [
        'Content-Type: multipart/mixed; boundary=x',
        `X-Long: ${'h'.repeat(300 * 1024)}`,
        '',
        '--x',
        'Content-Transfer-Encoding: base64',
        '',
        big('h').toString('base64'),
        '--x--',
      ].join('\r\n'),
    );
    const h = scan(hugeHeaders, () => 65536);
    expect(h.parts).toEqual([]);
    expect(h.skeleton.equals(hugeHeaders)).toBe(true);
    expect(scan(hugeHeaders, () => 65536, { maxHeaderBytes: 512 * 1024 }).parts).toHaveLength(1);
  });

  it('keeps a delimiter line longer than the line cap in the body, whatever the chunking', () => {
    const a = big('cap').toString('base64');
    const text = [
      'Content-Type: multipart/mixed; boundary=x',
      '',
      '--x',
      'Content-Transfer-Encoding: base64',
      '',
      a,
      `--x${' '.repeat(2000)}`,
      a,
      '--x--',
    ].join('\r\n');
    const whole = scan(Buffer.from(text));
    expect(whole.parts).toHaveLength(1);
    expect(whole.parts[0].bytes.length).toBe(2 * a.length + 2007);
    expect(digest(scan(Buffer.from(text), () => 3))).toEqual(digest(whole));
  });

  it('gives identical results for 1-byte, 7-byte and random-sized chunks', () => {
    const msg = withHeaders(
      messageHeaders('Chunks', 'c'),
      multipart('mixed', [
        alternative(),
        attachment('one.bin', big('one', 50_000)),
        attachedMessage(multipart('mixed', [textPart('text/plain', body), attachment('two.bin', big('two', 40_000))])),
      ]),
    );
    for (const eol of ['\r\n', '\n'] as const) {
      const input = mimeBytes(msg, eol);
      const whole = scan(input);
      expect(whole.parts).toHaveLength(2);
      const rand = seededRandom(42);
      expect(digest(scan(input, () => 1))).toEqual(digest(whole));
      expect(digest(scan(input, () => 7))).toEqual(digest(whole));
      expect(digest(scan(input, () => 1 + Math.floor(rand() * 3000)))).toEqual(digest(whole));
    }
  });

  it('property: seeded random messages round-trip, cut exactly the expected bodies, and ignore chunking', async () => {
    for (let seed = 1; seed <= 150; seed++) {
      const rand = seededRandom(seed);
      const eol: Eol = rand() < 0.5 ? '\r\n' : '\n';
      const msg = withHeaders(messageHeaders(`Random ${seed}`, `r${seed}`), randomMessage(rand, THRESHOLD));
      const input = mimeBytes(msg, eol);
      const whole = scan(input);
      expect({ seed, ok: (await reassemble(whole)).equals(input) }).toEqual({ seed, ok: true });
      expect({ seed, parts: whole.parts.map((p) => sha(p.bytes)) }).toEqual({
        seed,
        parts: expectedParts(msg, THRESHOLD, eol).map(sha),
      });
      const sizes = seededRandom(seed * 7919);
      expect({ seed, chunked: digest(scan(input, () => 1 + Math.floor(sizes() * 200))) }).toEqual({
        seed,
        chunked: digest(whole),
      });
      // The same message cut short anywhere still round-trips.
      const cut = input.subarray(0, Math.floor(rand() * input.length));
      expect({ seed, ok: (await reassemble(scan(cut, () => 1 + Math.floor(sizes() * 5000)))).equals(cut) }).toEqual({
        seed,
        ok: true,
      });
    }
  });
});
