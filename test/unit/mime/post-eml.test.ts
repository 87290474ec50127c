import { simpleParser } from 'mailparser';
import { postEml } from '../../../shared/mime/post-eml';
import { readAll } from '../../../shared/storage/read-all';

async function* stream(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

describe('a group post as .eml', () => {
  it('is a message any parser reads: encoded subject and names, the HTML body, files byte for byte across chunks', async () => {
    const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
    // Chunks of every size around a 3-byte group and a 57-byte line: the base64 lines must not care.
    const chunks = [1, 2, 56, 57, 58, 1000, 3, 8823].map((n, i, all) => {
      const at = all.slice(0, i).reduce((a, b) => a + b, 0);
      return bytes.subarray(at, at + n);
    });
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    const eml = await readAll(
      postEml(
        {
          id: 'AAMk=post/1',
          receivedDateTime: '2026-07-02T08:30:00Z',
          body: { contentType: 'html', content: '<p>Zahlen für Q3 – anbei</p>' },
          from: { emailAddress: { name: 'Zoë "Z" Müller', address: 'zoe@contoso.example' } },
          sender: { emailAddress: { name: 'Zoë "Z" Müller', address: 'zoe@contoso.example' } },
        },
        'Budget Übersicht (Q3)',
        [
          {
            name: 'Budget Übersicht "final".xlsx',
            contentType: 'application/vnd.ms-excel',
            isInline: false,
            open: () => Promise.resolve(stream(chunks)),
          },
          {
            name: 'empty.txt',
            contentType: 'text/plain',
            isInline: false,
            open: () => Promise.resolve(stream([])),
          },
        ],
      ),
    );
    const mail = await simpleParser(eml);
    expect(mail.subject).toBe('Budget Übersicht (Q3)');
    expect(mail.from?.value[0]).toMatchObject({ name: 'Zoë Z Müller', address: 'zoe@contoso.example' });
    expect(mail.date?.toISOString()).toBe('2026-07-02T08:30:00.000Z');
    expect(mail.html).toContain('Zahlen für Q3 – anbei');
    expect(mail.attachments.map((a) => a.filename)).toEqual(['Budget Übersicht "final".xlsx', 'empty.txt']);
    expect(mail.attachments[0].content.equals(bytes)).toBe(true);
    expect(mail.attachments[1].content.length).toBe(0);
    // Lines stay within RFC 5322's 78 characters.
    expect(
      Math.max(
        ...eml
          .toString('latin1')
          .split('\r\n')
          .map((l) => l.length),
      ),
    ).toBeLessThanOrEqual(78);
  });
});
