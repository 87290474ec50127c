// Message content: generated MIME (graph-semantics.md §3.1), restore from MIME and from JSON with the draft flag
// (§3.2; acceptance check 7), attachments and the large-attachment upload session (§3.4; acceptance check 8).
import { createHash } from 'node:crypto';
import { parseMime } from '../../local/m365/tenant/mime-parse';
import { json, startTestEmulator, TestEmulator } from './support';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('MIME, restores and attachments', () => {
  let t: TestEmulator;
  let user: string;
  let messages: Array<{ id: string; subject: string; hasAttachments: boolean }>;

  const bytes = async (res: Response): Promise<Buffer> => Buffer.from(await res.arrayBuffer());
  const mimeOf = async (id: string): Promise<Buffer> => {
    const res = await t.graph('GET', `/users/${user}/messages/${id}/$value`);
    expect(res.status).toBe(200);
    return bytes(res);
  };

  beforeAll(async () => {
    t = await startTestEmulator({
      seed: 'mime',
      profile: {
        licensedUsers: 3,
        sharedMailboxes: 0,
        messages: { inbox: 24 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 3,
        largeEvery: 10,
      },
    });
    user = t.em.tenant().directory.correspondents()[0].id;
    messages = (
      await json(
        await t.graph('GET', `/users/${user}/mailFolders/inbox/messages?$top=50&$select=subject,hasAttachments`),
      )
    ).value;
  });
  afterAll(() => t?.stop());

  it('renders realistic MIME: text+html alternatives, attachments, inline images with Content-ID, RFC 2047 headers, invitations', async () => {
    const all = await Promise.all(messages.map((m) => mimeOf(m.id)));
    const text = all.map((b) => b.toString('latin1'));
    expect(
      text.every(
        (m) =>
          /^From: .+\r\nTo: .+\r\n/.test(m) && /\r\nMIME-Version: 1\.0\r\n/.test(m) && /multipart\/alternative/.test(m),
      ),
    ).toBe(true);
    expect(
      text.some((m) => /Content-Type: multipart\/mixed/.test(m) && /Content-Disposition: attachment;/.test(m)),
    ).toBe(true);
    expect(
      text.some((m) => /Content-Type: multipart\/related/.test(m) && /Content-ID: <image001\.png@[0-9A-F]+>/.test(m)),
    ).toBe(true);
    expect(text.some((m) => /^Subject: =\?UTF-8\?B\?/m.test(m))).toBe(true);
    expect(text.some((m) => /Content-Type: text\/calendar; charset="utf-8"; method=REQUEST/.test(m))).toBe(true);
    expect(all.some((b) => b.length > 3 * 1024 * 1024)).toBe(true);
    // The parts decode to what the JSON says: subject, and an inline image referenced from the HTML body.
    const withInline = messages.find((_, i) => /Content-ID:/.test(text[i]))!;
    const parsed = parseMime(all[messages.indexOf(withInline)]);
    const html = parsed.leaves.find((l) => l.contentType === 'text/html')!.body.toString('utf8');
    const image = parsed.leaves.find((l) => l.contentId)!;
    expect(html).toContain(`cid:${image.contentId}`);
    const graphJson = await json(await t.graph('GET', `/users/${user}/messages/${withInline.id}`));
    expect(graphJson.body.content).toContain(`cid:${image.contentId}`);
    expect(graphJson.hasAttachments).toBe(parsed.leaves.some((l) => l.disposition === 'attachment'));
  });

  it('restores a message from base64 MIME into a folder: 201, same subject/from/to/body, and the same bytes back (check 7)', async () => {
    const original = messages.find((m) => m.hasAttachments)!;
    const mime = await mimeOf(original.id);
    const archive = await json(await t.graph('GET', `/users/${user}/mailFolders/archive`));
    const res = await t.graph('POST', `/users/${user}/mailFolders/${archive.id}/messages`, {
      body: mime.toString('base64'),
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(201);
    const restored = await json(res);
    const before = await json(await t.graph('GET', `/users/${user}/messages/${original.id}`));
    expect(restored).toMatchObject({
      parentFolderId: archive.id,
      subject: before.subject,
      from: before.from,
      toRecipients: before.toRecipients,
      isDraft: true,
      hasAttachments: true,
    });
    expect(restored.body.content).toBe(before.body.content);
    expect(sha(await mimeOf(restored.id))).toBe(sha(mime));
    const attachments = (
      await json(
        await t.graph('GET', `/users/${user}/messages/${restored.id}/attachments?$select=name,size,contentType`),
      )
    ).value;
    const originals = (
      await json(
        await t.graph('GET', `/users/${user}/messages/${original.id}/attachments?$select=name,size,contentType`),
      )
    ).value;
    expect(attachments.map((a: any) => [a.name, a.size])).toEqual(originals.map((a: any) => [a.name, a.size]));
  });

  it('rejects MIME that is not base64 with 400 "Invalid base64 string for MIME content"', async () => {
    for (const body of ['From: a@b\r\nSubject: raw\r\n\r\nnot base64', 'QUJD$$']) {
      const res = await t.graph('POST', `/users/${user}/mailFolders/inbox/messages`, {
        body,
        headers: { 'content-type': 'text/plain' },
      });
      expect(res.status).toBe(400);
      expect((await json(res)).error.message).toContain('Invalid base64 string for MIME content');
    }
  });

  it('creates from JSON as a draft unless PR_MESSAGE_FLAGS (Integer 0x0E07) is given; honours the delivery time property', async () => {
    const base = {
      subject: 'Restored — Übersicht',
      body: { contentType: 'html', content: '<p>Hello <b>there</b></p>' },
      toRecipients: [{ emailAddress: { name: 'Zoë', address: 'zoe@fabrikam.example' } }],
    };
    const draft = await json(await t.graph('POST', `/users/${user}/mailFolders/inbox/messages`, { body: base }));
    expect(draft).toMatchObject({
      isDraft: true,
      subject: base.subject,
      body: { contentType: 'html', content: '<p>Hello <b>there</b></p>' },
    });
    const res = await t.graph('POST', `/users/${user}/mailFolders/inbox/messages`, {
      body: {
        ...base,
        singleValueExtendedProperties: [
          { id: 'Integer 0x0E07', value: '1' },
          { id: 'SystemTime 0x0E06', value: '2024-03-01T10:00:00Z' },
        ],
      },
    });
    expect(res.status).toBe(201);
    const sent = await json(res);
    expect(sent).toMatchObject({ isDraft: false, isRead: true, receivedDateTime: '2024-03-01T10:00:00Z' });
    const flags = await json(
      await t.graph(
        'GET',
        `/users/${user}/messages/${sent.id}?$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E07')`,
      ),
    );
    expect(flags.singleValueExtendedProperties).toEqual([{ id: 'Integer 0x0E07', value: '1' }]);
    const mime = (await mimeOf(sent.id)).toString('utf8');
    expect(mime).toMatch(/^Subject: =\?UTF-8\?B\?/m);
    expect(
      parseMime(Buffer.from(mime))
        .leaves.find((l) => l.contentType === 'text/html')!
        .body.toString(),
    ).toBe('<p>Hello <b>there</b></p>');
  });

  it('lists attachments with contentBytes and serves $value with the same bytes as the MIME part', async () => {
    const m = messages.find((x) => x.hasAttachments)!;
    const list = (await json(await t.graph('GET', `/users/${user}/messages/${m.id}/attachments`))).value as Array<{
      id: string;
      name: string;
      size: number;
      contentBytes: string;
      '@odata.type': string;
    }>;
    expect(list.length).toBeGreaterThan(0);
    const parts = parseMime(await mimeOf(m.id)).leaves.filter((l) => l.filename);
    for (const a of list) {
      expect(a['@odata.type']).toBe('#microsoft.graph.fileAttachment');
      const raw = await bytes(await t.graph('GET', `/users/${user}/messages/${m.id}/attachments/${a.id}/$value`));
      expect(raw.length).toBe(a.size);
      expect(sha(raw)).toBe(sha(Buffer.from(a.contentBytes, 'base64')));
      expect(sha(raw)).toBe(sha(parts.find((p) => p.filename === a.name)!.body));
    }
  });

  it('uploads a 5 MB attachment through an upload session without Authorization on the chunks (check 8)', async () => {
    const draft = await json(
      await t.graph('POST', `/users/${user}/messages`, { body: { subject: 'With a large file' } }),
    );
    const size = 5 * 1024 * 1024 + 123;
    const res = await t.graph('POST', `/users/${user}/messages/${draft.id}/attachments/createUploadSession`, {
      body: { AttachmentItem: { attachmentType: 'file', name: 'Übersicht.bin', size } },
    });
    expect(res.status).toBe(201);
    const session = await json(res);
    expect(session).toMatchObject({
      uploadUrl: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\//),
      expirationDateTime: expect.any(String),
      nextExpectedRanges: ['0-'],
    });
    const payload = createHash('sha512').update('seed').digest();
    const file = Buffer.alloc(size);
    for (let i = 0; i < size; i += payload.length) payload.copy(file, i);
    const chunk = 2 * 1024 * 1024;
    let last: Response | undefined;
    for (let start = 0; start < size; start += chunk) {
      const end = Math.min(size, start + chunk) - 1;
      last = await t.fetch(session.uploadUrl, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${end}/${size}` },
        body: file.subarray(start, end + 1),
      });
      if (end + 1 < size) {
        expect(last.status).toBe(200);
        expect((await json(last)).nextExpectedRanges).toEqual([String(end + 1)]);
      }
    }
    expect(last!.status).toBe(201);
    expect(await last!.text()).toBe('');
    const attachmentId = /Attachments\('([^']+)'\)/.exec(last!.headers.get('location') ?? '')?.[1];
    expect(attachmentId).toBeDefined();
    const back = await bytes(
      await t.graph('GET', `/users/${user}/messages/${draft.id}/attachments/${attachmentId}/$value`),
    );
    expect(sha(back)).toBe(sha(file));
    const again = await t.fetch(session.uploadUrl, {
      method: 'PUT',
      headers: { 'content-range': `bytes 0-9/${size}` },
      body: file.subarray(0, 10),
    });
    expect(again.status).toBe(404);
  });

  it('generates identical ids and bytes from the same seed, and different ones from another seed', async () => {
    const twin = await startTestEmulator({
      seed: 'mime',
      profile: {
        licensedUsers: 3,
        sharedMailboxes: 0,
        messages: { inbox: 24 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 3,
        largeEvery: 10,
      },
    });
    const other = await startTestEmulator({
      seed: 'mime2',
      profile: {
        licensedUsers: 3,
        sharedMailboxes: 0,
        messages: { inbox: 24 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 3,
        largeEvery: 10,
      },
    });
    try {
      const twinList = (
        await json(await twin.graph('GET', `/users/${user}/mailFolders/inbox/messages?$top=5&$select=subject`))
      ).value;
      const generated = messages.filter((m) => twinList.some((x: any) => x.id === m.id));
      expect(generated).toHaveLength(5);
      for (const m of generated) {
        const a = await mimeOf(m.id);
        const b = Buffer.from(await (await twin.graph('GET', `/users/${user}/messages/${m.id}/$value`)).arrayBuffer());
        expect(sha(a)).toBe(sha(b));
      }
      expect(other.em.tenantId).not.toBe(t.em.tenantId);
      const otherUser = other.em.tenant().directory.correspondents()[0].id;
      const otherIds = (
        await json(await other.graph('GET', `/users/${otherUser}/mailFolders/inbox/messages?$top=5`))
      ).value.map((m: any) => m.id);
      expect(otherIds.some((id: string) => generated.some((m) => m.id === id))).toBe(false);
    } finally {
      await twin.stop();
      await other.stop();
    }
  });
});
