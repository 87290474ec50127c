import { Readable } from 'node:stream';
import { previewMessage } from '../../../shared/mime/preview';
import { LiveMemory } from '../../support/live-memory';
import {
  attachment,
  base64Part,
  messageHeaders,
  mimeBytes,
  multipart,
  renderMime,
  textPart,
  withHeaders,
} from '../../support/mime-builder';

describe('message preview', () => {
  const message = withHeaders(
    [
      'From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jm@contoso.example>',
      'To: Alex Wilber <AlexW@contoso.example>, =?UTF-8?Q?Ren=C3=A9e?= <renee@contoso.example>',
      'Subject: =?UTF-8?Q?Budget_f=C3=BCr_2027?=',
      'Date: Tue, 17 Nov 2026 09:30:00 +0000',
      'Message-ID: <p1@contoso.example>',
      'MIME-Version: 1.0',
    ],
    multipart('mixed', [
      multipart('related', [
        multipart('alternative', [
          textPart('text/plain; charset=utf-8', 'Grüße, siehe Anhang.'),
          textPart(
            'text/html; charset=utf-8',
            '<p onclick="steal()">Grüße</p><script>alert(1)</script><img src="https://tracker.example/p.gif"><img src="cid:logo"><img src="cid:chart"><a href="javascript:alert(2)">x</a>',
          ),
        ]),
        base64Part('image/png; name="logo.png"', Buffer.alloc(300, 1), [
          'Content-ID: <logo>',
          'Content-Disposition: inline; filename="logo.png"',
        ]),
        base64Part('image/png; name="chart.png"', Buffer.alloc(1024 * 1024 + 1, 2), [
          'Content-ID: <chart>',
          'Content-Disposition: inline; filename="chart.png"',
        ]),
      ]),
      attachment(
        'Plan Q1.xlsx',
        Buffer.alloc(5000, 7),
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      ),
    ]),
  );

  it('shows decoded headers, the text body, sanitized HTML with its small inline images, and the attachments with their sizes', async () => {
    const p = await previewMessage(mimeBytes(message), 8 * 1024 * 1024);
    expect(p.headers).toEqual({
      subject: 'Budget für 2027',
      from: '"Jürgen Müller" <jm@contoso.example>',
      to: '"Alex Wilber" <AlexW@contoso.example>, "Renée" <renee@contoso.example>',
      cc: '',
      date: 'Tue, 17 Nov 2026 09:30:00 +0000',
      messageId: '<p1@contoso.example>',
    });
    expect(p.text).toBe('Grüße, siehe Anhang.');
    expect(p.html).toBe(
      `<p>Grüße</p><img data-blocked-src="https://tracker.example/p.gif" /><img src="data:image/png;base64,${Buffer.alloc(300, 1).toString('base64')}" /><img /><a>x</a>`,
    );
    expect(p.attachments).toEqual([
      { name: 'logo.png', contentType: 'image/png', size: 300, inline: true },
      { name: 'chart.png', contentType: 'image/png', size: 1024 * 1024 + 1, inline: true },
      {
        name: 'Plan Q1.xlsx',
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        size: 5000,
        inline: false,
      },
    ]);
    expect(p.truncated).toBe(false);
  });

  it('streams: stops at the cap and says so, listing what it saw', async () => {
    const raw = mimeBytes(message);
    const chunks = Array.from({ length: Math.ceil(raw.length / 1000) }, (_, i) =>
      raw.subarray(i * 1000, (i + 1) * 1000),
    );
    const p = await previewMessage(Readable.from(chunks), 64 * 1024);
    expect(p.truncated).toBe(true);
    expect(p.text).toBe('Grüße, siehe Anhang.');
    expect(p.attachments.map((a) => a.name)).toEqual(['logo.png', 'chart.png']);
    expect(p.attachments[1].size).toBeLessThan(64 * 1024);
  });

  it('counts an attachment without holding it: a 128 MiB one grows memory by far less than its size', async () => {
    const size = 128 * 1024 * 1024;
    const big = withHeaders(
      messageHeaders('big', 'big-1'),
      multipart('mixed', [
        textPart('text/plain', 'hello'),
        {
          kind: 'leaf',
          headers: [
            'Content-Type: application/octet-stream; name="big.bin"',
            'Content-Transfer-Encoding: base64',
            'Content-Disposition: attachment; filename="big.bin"',
          ],
          body: { base64Seeded: { seed: 'preview-big', size } },
          extractable: true,
        },
      ]),
    );
    const memory = new LiveMemory();
    let sinceSample = 0;
    // Sampled as the message is read (every 16 MiB: each sample is a full collection), so a reader that held the
    // attachment would be seen holding it. The reader runs on microtasks only, so a timer would never fire.
    const source = (async function* () {
      for (const chunk of renderMime(big)) {
        sinceSample += chunk.length;
        if (sinceSample >= 16 * 2 ** 20) {
          memory.sample();
          sinceSample = 0;
        }
        yield chunk;
      }
    })();
    const p = await previewMessage(source, Number.POSITIVE_INFINITY);
    expect(p.attachments).toEqual([{ name: 'big.bin', contentType: 'application/octet-stream', size, inline: false }]);
    // A reader holding the attachment keeps 128 MiB alive (more with the text it came in).
    expect(memory.grewMiB).toBeLessThan(64);
  });

  it('takes a single-part message, and text from HTML when there is no plain part', async () => {
    const only = mimeBytes(withHeaders(['Subject: hi'], textPart('text/html', '<b>Hello</b>&nbsp;there')));
    expect(await previewMessage(only, 1024)).toMatchObject({
      text: 'Hello there',
      html: '<b>Hello</b>\u00a0there',
      attachments: [],
    });
  });
});
