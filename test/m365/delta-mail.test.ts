// Message and folder delta as a backup consumes it (graph-semantics.md §0, §1.1, §1.2; acceptance checks 1, 2, 2b,
// 3), through raw requests and through @microsoft/microsoft-graph-client's PageIterator.
import { PageCollection, PageIterator } from '@microsoft/microsoft-graph-client';
import { followPages, json, startTestEmulator, TestEmulator } from './support';

const PROFILE = {
  licensedUsers: 2,
  sharedMailboxes: 0,
  messages: { inbox: 5, archive: 3, sentitems: 40 },
  filesPerDrive: 0,
  fileBytes: { min: 0, max: 0 },
  attachmentEvery: 3,
  largeEvery: 0,
};

describe('mail delta', () => {
  let t: TestEmulator;
  let user: string;
  const inboxDelta = (): string => `/users/${user}/mailFolders/inbox/messages/delta`;

  /** Follows a round to its deltaLink; returns every page, each with exactly one of the two links. */
  async function round(first: string, headers: Record<string, string> = {}): Promise<Array<Record<string, any>>> {
    const pages = await followPages(t, first, headers);
    for (const page of pages)
      expect(Object.keys(page).filter((k) => k === '@odata.nextLink' || k === '@odata.deltaLink')).toHaveLength(1);
    return pages;
  }

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'delta-mail', profile: PROFILE });
    user = t.em.tenant().directory.correspondents()[0].userPrincipalName;
  });
  afterAll(() => t?.stop());

  it('pages a folder of 5 with maxpagesize 2: $skiptoken links, then one $deltatoken link; $select carried in the links (check 1)', async () => {
    const pages = await round(`${inboxDelta()}?$select=subject,isRead`, { prefer: 'odata.maxpagesize=2' });
    expect(pages).toHaveLength(3);
    expect(
      pages
        .slice(0, 2)
        .every((p) => /\$skiptoken=/.test(p['@odata.nextLink']) && !/\$select/.test(p['@odata.nextLink'])),
    ).toBe(true);
    expect(pages[2]['@odata.deltaLink']).toMatch(/\/messages\/delta\?\$deltatoken=/);
    const items = pages.flatMap((p) => p.value);
    expect(new Set(items.map((i: any) => i.id)).size).toBe(5);
    for (const i of items) {
      expect(Object.keys(i).sort()).toEqual(['@odata.etag', '@odata.type', 'id', 'isRead', 'subject']);
      expect(i['@odata.type']).toBe('#microsoft.graph.message');
    }
    expect(pages[0]['@odata.context']).toMatch(/\$metadata#Collection\(message\)$/);
  });

  it('reports exactly a deletion and a read-state change in the next round, with @removed, and a new deltaLink (check 2)', async () => {
    const first = await round(inboxDelta());
    const deltaLink = first.at(-1)!['@odata.deltaLink'] as string;
    const [a, b] = first.flatMap((p) => p.value) as Array<{ id: string; isRead: boolean }>;
    expect((await t.control('DELETE', `mail/${user}/messages/${encodeURIComponent(a.id)}`)).status).toBe(204);
    const patch = await t.graph('PATCH', `/users/${user}/messages/${b.id}`, { body: { isRead: !b.isRead } });
    expect(patch.status).toBe(200);
    const next = await round(deltaLink);
    const changes = next.flatMap((p) => p.value);
    expect(changes).toHaveLength(2);
    expect(changes).toContainEqual({
      '@odata.type': '#microsoft.graph.message',
      id: a.id,
      '@removed': { reason: 'deleted' },
    });
    expect(changes.find((c: any) => c.id === b.id)).toMatchObject({ isRead: !b.isRead });
    const again = await round(next.at(-1)!['@odata.deltaLink']);
    expect(again.flatMap((p) => p.value)).toEqual([]);
  });

  it('changeType=created returns only creations in later rounds (check 2b)', async () => {
    const first = await round(`/users/${user}/mailFolders/archive/messages/delta?changeType=created`);
    const [x, y] = first.flatMap((p) => p.value) as Array<{ id: string }>;
    const added = await t.control<{ id: string }>('POST', `mail/${user}/messages`, {
      folder: 'archive',
      subject: 'Only me',
    });
    await t.control('PATCH', `mail/${user}/messages/${encodeURIComponent(x.id)}`, {
      isRead: true,
      flag: { flagStatus: 'flagged' },
    });
    await t.control('DELETE', `mail/${user}/messages/${encodeURIComponent(y.id)}`);
    const next = (await round(first.at(-1)!['@odata.deltaLink'])).flatMap((p) => p.value);
    expect(next.map((m: any) => [m.id, m.subject])).toEqual([[added.body.id, 'Only me']]);
  });

  it('answers 410 SyncStateNotFound in the standard envelope for expired or unknown tokens (check 3)', async () => {
    const first = await round(inboxDelta());
    await t.control('POST', 'expire-tokens', { userId: user });
    for (const link of [
      first.at(-1)!['@odata.deltaLink'],
      `${t.em.graphBaseUrl}${inboxDelta()}?$deltatoken=bm90LWEtdG9rZW4`,
    ]) {
      const res = await t.graph('GET', link);
      expect(res.status).toBe(410);
      const body = await json(res);
      expect(body.error.code).toBe('SyncStateNotFound');
      expect(body.error.innerError).toEqual({
        date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
        'request-id': res.headers.get('request-id'),
        'client-request-id': res.headers.get('client-request-id'),
      });
    }
    expect((await t.graph('GET', inboxDelta())).status).toBe(200);
  });

  it('may hand out an empty page that still has a nextLink, and repeats an item changed again mid-round', async () => {
    const folder = 'sentitems';
    const first = await round(`/users/${user}/mailFolders/${folder}/messages/delta`, {
      prefer: 'odata.maxpagesize=10',
    });
    const ids = first.flatMap((p) => p.value.map((m: any) => m.id as string));
    expect(ids).toHaveLength(40);
    // Delete messages 10-19 (the second page's positions) and start over: page two is empty but not the last.
    for (const id of ids.slice(10, 20)) await t.control('DELETE', `mail/${user}/messages/${encodeURIComponent(id)}`);
    const again = await round(`/users/${user}/mailFolders/${folder}/messages/delta`, {
      prefer: 'odata.maxpagesize=10',
    });
    expect(again[1]).toMatchObject({ value: [], '@odata.nextLink': expect.any(String) });
    // A change round of two pages, where the item on page one changes again before page two is read.
    const base = again.at(-1)!['@odata.deltaLink'] as string;
    const live = again.flatMap((p) => p.value.map((m: any) => m.id as string));
    for (const id of live.slice(0, 3))
      await t.control('PATCH', `mail/${user}/messages/${encodeURIComponent(id)}`, { isRead: false });
    const p1 = await json(await t.graph('GET', base, { headers: { prefer: 'odata.maxpagesize=2' } }));
    expect(p1.value.map((m: any) => m.id)).toEqual(live.slice(0, 2));
    await t.control('PATCH', `mail/${user}/messages/${encodeURIComponent(live[0])}`, { categories: ['Red category'] });
    const p2 = await json(await t.graph('GET', p1['@odata.nextLink'], { headers: { prefer: 'odata.maxpagesize=2' } }));
    expect(p2.value.map((m: any) => m.id)).toEqual([live[2], live[0]]);
    expect(p2['@odata.deltaLink']).toBeDefined();
  });

  it('iterates a delta round with the SDK PageIterator and resumes from its deltaLink', async () => {
    const client = t.client();
    const seen: string[] = [];
    const firstPage = (await client
      .api(`/users/${user}/mailFolders/sentitems/messages/delta`)
      .header('Prefer', 'odata.maxpagesize=7')
      .select('subject')
      .get()) as PageCollection;
    const it = new PageIterator(
      client,
      firstPage,
      (m: { id: string; subject?: string }) => {
        expect(m.subject).toEqual(expect.any(String));
        seen.push(m.id);
        return true;
      },
      { headers: { Prefer: 'odata.maxpagesize=7' } },
    );
    await it.iterate();
    expect(it.isComplete()).toBe(true);
    expect(new Set(seen).size).toBe(30);
    const added = await t.control<{ id: string }>('POST', `mail/${user}/messages`, {
      folder: 'sentitems',
      subject: 'After the round',
    });
    const delta = (await client.api(it.getDeltaLink()!).get()) as PageCollection;
    expect(delta.value.map((m: { id: string; subject?: string }) => [m.id, m.subject])).toEqual([
      [added.body.id, 'After the round'],
    ]);
  });

  it('moves a message to a new id; the old id is then 404 ErrorItemNotFound, and the folders show both sides', async () => {
    const list = await json(await t.graph('GET', `/users/${user}/mailFolders/inbox/messages?$top=1&$select=subject`));
    const [m] = list.value as Array<{ id: string; subject: string }>;
    const res = await t.graph('POST', `/users/${user}/messages/${m.id}/move`, { body: { destinationId: 'archive' } });
    expect(res.status).toBe(201);
    const moved = await json(res);
    expect(moved.id).not.toBe(m.id);
    expect(moved.subject).toBe(m.subject);
    const archive = await json(await t.graph('GET', `/users/${user}/mailFolders/archive`));
    expect(moved.parentFolderId).toBe(archive.id);
    const old = await t.graph('GET', `/users/${user}/messages/${m.id}`);
    expect(old.status).toBe(404);
    expect((await json(old)).error.code).toBe('ErrorItemNotFound');
    expect((await t.graph('GET', `/users/${user}/messages/${moved.id}/$value`)).status).toBe(200);
  });

  it('lists the whole folder hierarchy flat in mailFolders/delta, nested folders and counts included', async () => {
    const pages = await round(`/users/${user}/mailFolders/delta`);
    const folders = pages.flatMap((p) => p.value) as Array<{
      id: string;
      displayName: string;
      parentFolderId: string;
      totalItemCount: number;
      childFolderCount: number;
    }>;
    const byName = new Map(folders.map((f) => [f.displayName, f]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining([
        'Inbox',
        'Sent Items',
        'Drafts',
        'Deleted Items',
        'Archive',
        'Junk Email',
        'Projects',
        'Clients – Übersicht',
      ]),
    );
    expect(byName.get('Projects')!.parentFolderId).toBe(byName.get('Inbox')!.id);
    expect(byName.get('Clients – Übersicht')!.parentFolderId).toBe(byName.get('Projects')!.id);
    expect(byName.get('Inbox')!.childFolderCount).toBe(1);
    const created = await t.graph('POST', `/users/${user}/mailFolders/${byName.get('Projects')!.id}/childFolders`, {
      body: { displayName: 'Falcon' },
    });
    expect(created.status).toBe(201);
    const next = (await round(pages.at(-1)!['@odata.deltaLink'])).flatMap((p) => p.value);
    expect(next).toEqual([
      expect.objectContaining({ displayName: 'Falcon', parentFolderId: byName.get('Projects')!.id }),
    ]);
  });

  it('applies $filter=receivedDateTime ge … from the first request to the whole round', async () => {
    const list = (
      await json(
        await t.graph('GET', `/users/${user}/mailFolders/sentitems/messages?$top=100&$select=receivedDateTime`),
      )
    ).value as Array<{ id: string; receivedDateTime: string }>;
    const cut = list[9].receivedDateTime;
    const filter = encodeURIComponent(`receivedDateTime ge ${cut}`);
    const pages = await round(
      `/users/${user}/mailFolders/sentitems/messages/delta?$filter=${filter}&$select=receivedDateTime`,
      { prefer: 'odata.maxpagesize=7' },
    );
    const items = pages.flatMap((p) => p.value) as Array<{ receivedDateTime: string }>;
    expect(items).toHaveLength(10);
    expect(items.every((m) => m.receivedDateTime >= cut)).toBe(true);
    expect(pages[0]['@odata.nextLink']).not.toMatch(/filter/);
  });
});
