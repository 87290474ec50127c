// Outlook immutable ids (outlook-immutable-id): with Prefer: IdType="ImmutableId" a message, contact or event keeps
// its id when it moves between folders of its mailbox; without it the id changes as before. Both forms work in
// requests, delta links serve both, $batch items need their own Prefer, and translateExchangeIds converts between
// Exchange's five formats. Raw HTTP and @microsoft/microsoft-graph-client.
import { followPages, json, startTestEmulator, TestEmulator } from './support';

const PROFILE = {
  licensedUsers: 2,
  sharedMailboxes: 0,
  messages: { inbox: 6, archive: 2 },
  contactFolders: 1,
  contactsPerMailbox: 3,
  contactsPerFolder: 1,
  eventsPerMailbox: 2,
  recurringEvery: 2,
  filesPerDrive: 0,
  fileBytes: { min: 0, max: 0 },
  attachmentEvery: 2,
  largeEvery: 0,
};
const IMMUTABLE = { prefer: 'IdType="ImmutableId"' };

describe('immutable ids', () => {
  let t: TestEmulator;
  let user: string;

  /** The items of a whole delta round, and its deltaLink. */
  async function round(
    first: string,
    headers: Record<string, string> = {},
  ): Promise<{ items: Array<Record<string, any>>; deltaLink: string }> {
    const pages = await followPages(t, first, headers);
    return { items: pages.flatMap((p) => p.value), deltaLink: pages.at(-1)!['@odata.deltaLink'] };
  }

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'immutable-ids', profile: PROFILE });
    user = t.em.tenant().directory.correspondents()[0].userPrincipalName;
  });
  afterAll(() => t?.stop());

  it("keeps a moved message's immutable id in both folders' delta, while its REST id changes", async () => {
    const inbox = await round(`/users/${user}/mailFolders/inbox/messages/delta?$select=subject`, IMMUTABLE);
    const archive = await round(`/users/${user}/mailFolders/archive/messages/delta?$select=subject`, IMMUTABLE);
    const restInbox = await round(`/users/${user}/mailFolders/inbox/messages/delta?$select=subject`);
    const target = inbox.items[0];
    expect(target.id).toMatch(/^AAkA/);
    expect(restInbox.items.map((m) => m.id)).not.toContain(target.id);
    const restId = restInbox.items.find((m) => m.subject === target.subject)!.id as string;

    // Moved through Graph with the header: the answer carries the same immutable id.
    const moved = await t.graph('POST', `/users/${user}/messages/${target.id}/move`, {
      body: { destinationId: 'archive' },
      headers: IMMUTABLE,
    });
    expect(moved.status).toBe(201);
    expect((await json(moved)).id).toBe(target.id);

    const fromInbox = await round(inbox.deltaLink, IMMUTABLE);
    const intoArchive = await round(archive.deltaLink, IMMUTABLE);
    expect(fromInbox.items).toEqual([
      { '@odata.type': '#microsoft.graph.message', id: target.id, '@removed': { reason: 'deleted' } },
    ]);
    expect(intoArchive.items.map((m) => [m.id, m.subject])).toEqual([[target.id, target.subject]]);

    // Without the header the same round shows the old REST id leaving and a new one arriving.
    const restNext = await round(restInbox.deltaLink);
    expect(restNext.items).toEqual([
      { '@odata.type': '#microsoft.graph.message', id: restId, '@removed': { reason: 'deleted' } },
    ]);
    expect((await t.graph('GET', `/users/${user}/messages/${restId}`)).status).toBe(404);
    const now = await json(await t.graph('GET', `/users/${user}/messages/${target.id}?$select=subject,parentFolderId`));
    expect(now.id).not.toBe(restId);
    expect(now.id).toMatch(/^AAMk/);
    expect(now.subject).toBe(target.subject);
    // Either form reaches the message, whatever the request prefers; $value too.
    expect(
      (await json(await t.graph('GET', `/users/${user}/messages/${now.id}?$select=id`, { headers: IMMUTABLE }))).id,
    ).toBe(target.id);
    expect((await t.graph('GET', `/users/${user}/messages/${target.id}/$value`)).status).toBe(200);
  });

  it('keeps the id through a move of the control API (a user in Outlook), and a copy is a new item in both forms', async () => {
    const arrived = await t.control<{ id: string; immutableId: string }>('POST', `mail/${user}/messages`, {
      folder: 'inbox',
      subject: 'to be filed',
    });
    const moved = await t.control<{ id: string; immutableId: string }>(
      'POST',
      `mail/${user}/messages/${encodeURIComponent(arrived.body.immutableId)}/move`,
      { to: 'archive' },
    );
    expect(moved.body.immutableId).toBe(arrived.body.immutableId);
    expect(moved.body.id).not.toBe(arrived.body.id);
    const copy = await json(
      await t.graph('POST', `/users/${user}/messages/${moved.body.immutableId}/copy`, {
        body: { destinationId: 'inbox' },
        headers: IMMUTABLE,
      }),
    );
    expect(copy.id).toMatch(/^AAkA/);
    expect(copy.id).not.toBe(moved.body.immutableId);
  });

  it('gives attachments, contacts and events (series masters, occurrences) immutable ids; a moved contact keeps its', async () => {
    const messages = await json(
      await t.graph('GET', `/users/${user}/mailFolders/archive/messages?$select=hasAttachments`, {
        headers: IMMUTABLE,
      }),
    );
    const withAttachment = (messages.value as Array<{ id: string; hasAttachments: boolean }>).find(
      (m) => m.hasAttachments,
    )!;
    const attachments = await json(
      await t.graph('GET', `/users/${user}/messages/${withAttachment.id}/attachments?$select=name`, {
        headers: IMMUTABLE,
      }),
    );
    const att = attachments.value[0] as { id: string; name: string };
    expect(att.id).toMatch(/^AAkA/);
    expect(
      (
        await json(
          await t.graph('GET', `/users/${user}/messages/${withAttachment.id}/attachments/${att.id}?$select=name`),
        )
      ).name,
    ).toBe(att.name);

    const contacts = await round(`/users/${user}/contacts/delta`, IMMUTABLE);
    const folder = (await json(await t.graph('GET', `/users/${user}/contactFolders`))).value[0] as { id: string };
    const inFolder = await round(`/users/${user}/contactFolders/${folder.id}/contacts/delta`, IMMUTABLE);
    const contact = contacts.items[0];
    expect(contact.id).toMatch(/^AAkA/);
    const movedContact = await t.control<{ id: string; immutableId: string }>(
      'POST',
      `contacts/${user}/contacts/${encodeURIComponent(contact.id)}/move`,
      { to: folder.id },
    );
    expect(movedContact.body.immutableId).toBe(contact.id);
    expect((await round(contacts.deltaLink, IMMUTABLE)).items).toEqual([
      { '@odata.type': '#microsoft.graph.contact', id: contact.id, '@removed': { reason: 'deleted' } },
    ]);
    expect((await round(inFolder.deltaLink, IMMUTABLE)).items.map((c) => [c.id, c.parentFolderId])).toEqual([
      [contact.id, folder.id],
    ]);

    const window = 'startDateTime=2020-01-01T00:00:00Z&endDateTime=2030-01-01T00:00:00Z';
    const view = await json(
      await t.graph('GET', `/users/${user}/calendarView?${window}&$top=100`, { headers: IMMUTABLE }),
    );
    const occurrence = (view.value as Array<{ id: string; seriesMasterId: string | null; type: string }>).find(
      (e) => e.type === 'occurrence',
    )!;
    expect(occurrence.id).toMatch(/^AAkA/);
    expect(occurrence.seriesMasterId).toMatch(/^AAkA/);
    const master = await json(
      await t.graph('GET', `/users/${user}/events/${occurrence.seriesMasterId}?$select=type`, { headers: IMMUTABLE }),
    );
    expect(master).toMatchObject({ id: occurrence.seriesMasterId, type: 'seriesMaster' });
    expect((await json(await t.graph('GET', `/users/${user}/events/${occurrence.id}?$select=type`))).type).toBe(
      'occurrence',
    );
  });

  it("applies the header per request: a $batch item needs its own, the batch's does not carry over", async () => {
    const res = await t.graph('POST', '/$batch', {
      headers: IMMUTABLE,
      body: {
        requests: [
          { id: '1', method: 'GET', url: `/users/${user}/mailFolders/inbox/messages?$top=1&$select=id` },
          {
            id: '2',
            method: 'GET',
            url: `/users/${user}/mailFolders/inbox/messages?$top=1&$select=id`,
            headers: IMMUTABLE,
          },
        ],
      },
    });
    const byId = new Map(
      ((await json(res)).responses as Array<{ id: string; body: { value: Array<{ id: string }> } }>).map((r) => [
        r.id,
        r.body.value[0].id,
      ]),
    );
    expect(byId.get('1')).toMatch(/^AAMk/);
    expect(byId.get('2')).toMatch(/^AAkA/);
  });

  it('translateExchangeIds converts between restId, ewsId, entryId, restImmutableEntryId and immutableEntryId, through the item', async () => {
    const arrived = await t.control<{ id: string; immutableId: string }>('POST', `mail/${user}/messages`, {
      folder: 'inbox',
      subject: 'translate me',
    });
    const moved = await t.control<{ id: string; immutableId: string }>(
      'POST',
      `mail/${user}/messages/${encodeURIComponent(arrived.body.id)}/move`,
      { to: 'archive' },
    );
    const translate = async (
      inputIds: string[],
      sourceIdType: string,
      targetIdType: string,
    ): Promise<Array<Record<string, any>>> => {
      const res = await t.graph('POST', `/users/${user}/translateExchangeIds`, {
        body: { inputIds, sourceIdType, targetIdType },
      });
      expect(res.status).toBe(200);
      return (await json(res)).value;
    };
    // The moved message's current REST id gives the immutable id it was created with.
    expect(await translate([moved.body.id], 'restId', 'restImmutableEntryId')).toEqual([
      { sourceId: moved.body.id, targetId: arrived.body.immutableId },
    ]);
    expect(await translate([arrived.body.immutableId], 'restImmutableEntryId', 'restId')).toEqual([
      { sourceId: arrived.body.immutableId, targetId: moved.body.id },
    ]);
    // The binary formats round-trip: URL-safe base64 with the padding count appended; EWS ids use standard base64.
    const [{ targetId: ews }] = await translate([moved.body.id], 'restId', 'ewsId');
    expect(ews).toBe(moved.body.id.replace(/-/g, '+').replace(/_/g, '/'));
    const [{ targetId: entry }] = await translate([ews], 'ewsId', 'entryId');
    expect(entry).toMatch(/^[A-Za-z0-9_-]+[012]$/);
    const [{ targetId: immutableEntry }] = await translate([entry], 'entryId', 'immutableEntryId');
    expect(await translate([immutableEntry], 'immutableEntryId', 'restImmutableEntryId')).toEqual([
      { sourceId: immutableEntry, targetId: arrived.body.immutableId },
    ]);
    // Per-id failures: a malformed id, the old REST id of a moved message.
    const failures = await translate(['not-an-id', arrived.body.id], 'restId', 'restImmutableEntryId');
    expect(failures).toEqual([
      { sourceId: 'not-an-id', errorDetails: { code: 'ErrorInvalidIdMalformed', message: 'Id is malformed.' } },
      {
        sourceId: arrived.body.id,
        errorDetails: { code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' },
      },
    ]);
    // At most 1,000 ids; a wrong format name is a 400 naming the field.
    const tooMany = await t.graph('POST', `/users/${user}/translateExchangeIds`, {
      body: {
        inputIds: Array.from({ length: 1001 }, () => moved.body.id),
        sourceIdType: 'restId',
        targetIdType: 'ewsId',
      },
    });
    expect(tooMany.status).toBe(400);
    const badType = await json(
      await t.graph('POST', `/users/${user}/translateExchangeIds`, {
        body: { inputIds: [moved.body.id], sourceIdType: 'restId', targetIdType: 'owaId' },
      }),
    );
    expect(badType.error.message).toMatch(/targetIdType/);
  });

  it('works through @microsoft/microsoft-graph-client: a Prefer header per call, translateExchangeIds as an action', async () => {
    const client = t.client();
    const page = await client
      .api(`/users/${user}/mailFolders/inbox/messages`)
      .header('Prefer', 'IdType="ImmutableId"')
      .select('subject')
      .top(1)
      .get();
    const id = page.value[0].id as string;
    expect(id).toMatch(/^AAkA/);
    const rest = await client.api(`/users/${user}/messages/${id}`).select('id').get();
    expect(rest.id).toMatch(/^AAMk/);
    const translated = await client
      .api(`/users/${user}/translateExchangeIds`)
      .post({ inputIds: [rest.id], sourceIdType: 'restId', targetIdType: 'restImmutableEntryId' });
    expect(translated.value).toEqual([{ sourceId: rest.id, targetId: id }]);
    const denied = await t
      .client({ app: 'm365-vault admin console' })
      .api(`/users/${user}/translateExchangeIds`)
      .post({ inputIds: [rest.id], sourceIdType: 'restId', targetIdType: 'ewsId' })
      .catch((e: { statusCode: number; code: string }) => e);
    expect(denied).toMatchObject({ statusCode: 403, code: 'ErrorAccessDenied' });
  });
});
