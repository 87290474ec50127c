import { Readable } from 'node:stream';
import { bodyTextOf } from '../../../shared/mime/body-text';
import { MessageUnreadable, readMessage } from '../../../shared/mime/read-message';
import {
  attachedMessage,
  attachment,
  base64Part,
  messageHeaders,
  mimeBytes,
  multipart,
  textPart,
  withHeaders,
} from '../../support/mime-builder';

describe('reading a message (mailparser)', () => {
  const pdf = Buffer.alloc(200_000, 3);
  const raw = mimeBytes(
    withHeaders(
      messageHeaders('Quarterly report', 'read-1'),
      multipart('mixed', [
        multipart('related', [
          textPart('text/html; charset=iso-8859-1', '<p>Gr=FC=DFe <img src=3D"cid:logo@x"></p>'),
          base64Part('image/png; name="logo.png"', Buffer.alloc(50, 1), ['Content-ID: <logo@x>']),
        ]),
        attachment('=?UTF-8?Q?Bericht_f=C3=BCr_Q3.pdf?=', pdf, 'application/pdf'),
        attachedMessage(withHeaders(messageHeaders('Forwarded', 'fw-1'), textPart('text/plain', 'inner'))),
      ]),
    ),
  );

  it('decodes charsets and encoded names, keeps no attachment unless asked, and counts every one', async () => {
    const m = await readMessage(Readable.from([raw.subarray(0, 1000), raw.subarray(1000)]));
    expect(m.html).toBe('<p>Grüße <img src="cid:logo@x"></p>');
    expect(m.text).toBe('Grüße');
    expect(m.headers.get('subject')).toBe('Quarterly report');
    expect(m.attachments).toEqual([
      { name: 'logo.png', contentType: 'image/png', inline: true, contentId: 'logo@x', size: 50, bytes: undefined },
      { name: 'Bericht für Q3.pdf', contentType: 'application/pdf', inline: false, size: pdf.length, bytes: undefined },
      {
        name: 'message.rfc822',
        contentType: 'message/rfc822',
        inline: false,
        size: expect.any(Number),
        bytes: undefined,
      },
    ]);
    expect(m.truncated).toBe(false);
  });

  it('keeps what `keep` allows: an attachment larger than its limit is counted, not kept', async () => {
    const m = await readMessage(raw, { keep: (a) => (a.contentType === 'image/png' ? 100 : 1000) });
    expect(m.attachments.map((a) => a.bytes?.length)).toEqual([50, undefined, 277]);
    const all = await readMessage(raw, { keep: 'all' });
    expect(all.attachments[1].bytes.equals(pdf)).toBe(true);
  });

  it('stops reading at the cap and says so', async () => {
    const m = await readMessage(raw, { cap: 20_000 });
    expect(m.truncated).toBe(true);
    expect(m.html).toContain('Grüße');
    expect(m.attachments[1].size).toBeLessThan(20_000);
  });

  it("refuses a message beyond the parser's limits with MessageUnreadable, which search indexes without body text", async () => {
    const many = mimeBytes(
      withHeaders(
        messageHeaders('many', 'many-1'),
        multipart(
          'mixed',
          Array.from({ length: 1100 }, (_, i) => textPart('text/plain', `part ${i}`)),
        ),
      ),
    );
    const err = await readMessage(many).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageUnreadable);
    expect((err as Error).message).toBe('The message cannot be read: Max allowed child nodes exceeded.');
    expect(await bodyTextOf(many)).toBe('');
    // A failing source is not the message's fault: its error comes through as it is.
    const broken = (async function* () {
      yield many.subarray(0, 100);
      throw new Error('storage went away');
    })();
    await expect(readMessage(broken)).rejects.toThrow('storage went away');
  });
});
