// Calendar and contacts as a backup reads and restores them (graph-semantics.md §1.3, §1.4): calendarView delta over
// a window fixed by the first request (series expanded into occurrences and exceptions, changes outside the window
// as @removed), events CRUD; contact folders, contacts delta per folder, contacts CRUD.
import { json, startTestEmulator, TestEmulator } from './support';

describe('calendar and contacts', () => {
  let t: TestEmulator;
  let user: string;
  const WINDOW = 'startDateTime=2025-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z';

  async function round(
    first: string,
    headers: Record<string, string> = {},
  ): Promise<{ items: any[]; deltaLink: string }> {
    const items: any[] = [];
    let url: string | undefined = first;
    let deltaLink = '';
    while (url) {
      const res = await t.graph('GET', url, { headers });
      expect(res.status).toBe(200);
      const page = await json(res);
      items.push(...page.value);
      url = page['@odata.nextLink'];
      deltaLink = page['@odata.deltaLink'] ?? deltaLink;
    }
    return { items, deltaLink };
  }

  beforeAll(async () => {
    t = await startTestEmulator({
      seed: 'calendar',
      profile: {
        licensedUsers: 2,
        sharedMailboxes: 0,
        messages: {},
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 0,
        largeEvery: 0,
        eventsPerMailbox: 6,
        recurringEvery: 3,
        contactsPerMailbox: 5,
        contactFolders: 2,
        contactsPerFolder: 3,
      },
    });
    user = t.em.tenant().directory.correspondents()[0].id;
  });
  afterAll(() => t?.stop());

  it('expands series into occurrences and exceptions in calendarView/delta; the window and options travel in the links', async () => {
    const events = (await json(await t.graph('GET', `/users/${user}/events?$top=50`))).value;
    expect(events.map((e: any) => e.type).sort()).toEqual([
      'seriesMaster',
      'seriesMaster',
      'singleInstance',
      'singleInstance',
      'singleInstance',
      'singleInstance',
    ]);
    const first = await round(`/users/${user}/calendarView/delta?${WINDOW}`, { prefer: 'odata.maxpagesize=2' });
    expect(first.deltaLink).not.toMatch(/startDateTime/);
    const byType = (type: string) => first.items.filter((e) => e.type === type);
    expect(byType('seriesMaster')).toHaveLength(0);
    expect(byType('singleInstance')).toHaveLength(4);
    // Two weekly series of 12, each with one occurrence moved (an exception) and one cancelled.
    expect(byType('occurrence')).toHaveLength(2 * 10);
    expect(byType('exception')).toHaveLength(2);
    expect(first.items.every((e) => e['@odata.type'] === '#microsoft.graph.event' && e.start.timeZone === 'UTC')).toBe(
      true,
    );
    const occurrence = byType('occurrence')[0];
    expect(occurrence.seriesMasterId).toBe(
      events.find((e: any) => e.type === 'seriesMaster' && e.id === occurrence.seriesMasterId).id,
    );
    expect((await json(await t.graph('GET', `/users/${user}/events/${occurrence.id}`))).type).toBe('occurrence');
    const missing = await t.graph('GET', `/users/${user}/calendarView/delta`);
    expect(missing.status).toBe(400);
  });

  it('reports created, updated and deleted events in later rounds; changes outside the window come as @removed', async () => {
    const first = await round(
      `/users/${user}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-12-31T00:00:00Z`,
    );
    const created = await json(
      await t.graph('POST', `/users/${user}/events`, {
        body: {
          subject: 'Restore drill',
          start: { dateTime: '2026-09-01T09:00:00', timeZone: 'UTC' },
          end: { dateTime: '2026-09-01T10:00:00', timeZone: 'UTC' },
        },
      }),
    );
    expect(created).toMatchObject({ subject: 'Restore drill', type: 'singleInstance' });
    const outside = await json(
      await t.graph('POST', `/users/${user}/calendar/events`, {
        body: {
          subject: 'Far future',
          start: { dateTime: '2030-01-01T09:00:00' },
          end: { dateTime: '2030-01-01T10:00:00' },
        },
      }),
    );
    const series = first.items.find((e) => e.type === 'occurrence');
    const next = await round(first.deltaLink);
    expect(next.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: created.id, subject: 'Restore drill' }),
        { '@odata.type': '#microsoft.graph.event', id: outside.id, '@removed': { reason: 'deleted' } },
      ]),
    );
    expect(
      (await t.graph('PATCH', `/users/${user}/events/${created.id}`, { body: { subject: 'Restore drill (moved)' } }))
        .status,
    ).toBe(200);
    expect((await t.graph('DELETE', `/users/${user}/events/${series.seriesMasterId}`)).status).toBe(204);
    const last = await round(next.deltaLink);
    expect(last.items.find((e) => e.id === created.id).subject).toBe('Restore drill (moved)');
    const removed = last.items.filter((e) => e['@removed']).map((e) => e.id);
    expect(removed).toContain(series.id);
    expect(removed.length).toBeGreaterThanOrEqual(
      first.items.filter((e) => e.seriesMasterId === series.seriesMasterId).length,
    );
  });

  it('tracks the default contacts and each contact folder with their own delta, and supports contact CRUD', async () => {
    const folders = (await json(await t.graph('GET', `/users/${user}/contactFolders`))).value;
    expect(folders.map((f: any) => f.displayName)).toEqual(['Suppliers', 'Family']);
    const defaults = await round(`/users/${user}/contacts/delta`);
    expect(defaults.items).toHaveLength(5);
    expect(defaults.items[0]).toMatchObject({
      '@odata.type': '#microsoft.graph.contact',
      displayName: expect.any(String),
      emailAddresses: [expect.objectContaining({ address: expect.stringContaining('@') })],
    });
    const inFolder = await round(`/users/${user}/contactFolders/${folders[0].id}/contacts/delta?$select=displayName`);
    expect(inFolder.items).toHaveLength(3);
    expect(Object.keys(inFolder.items[0]).sort()).toEqual(['@odata.etag', '@odata.type', 'displayName', 'id']);
    const added = await json(
      await t.graph('POST', `/users/${user}/contactFolders/${folders[0].id}/contacts`, {
        body: {
          givenName: 'Ünal',
          surname: 'Kaya',
          emailAddresses: [{ name: 'Ünal Kaya', address: 'unal@adatum.example' }],
        },
      }),
    );
    expect(added).toMatchObject({ displayName: 'Ünal Kaya', parentFolderId: folders[0].id });
    await t.graph('PATCH', `/users/${user}/contacts/${inFolder.items[0].id}`, { body: { jobTitle: 'Buyer' } });
    await t.graph('DELETE', `/users/${user}/contacts/${inFolder.items[1].id}`);
    const next = await round(inFolder.deltaLink);
    expect(next.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: added.id, displayName: 'Ünal Kaya' }),
        expect.objectContaining({ id: inFolder.items[0].id }),
        { '@odata.type': '#microsoft.graph.contact', id: inFolder.items[1].id, '@removed': { reason: 'deleted' } },
      ]),
    );
    expect((await round(defaults.deltaLink)).items).toEqual([]);
    const newFolder = await t.graph('POST', `/users/${user}/contactFolders`, { body: { displayName: 'Press' } });
    expect(newFolder.status).toBe(201);
    expect((await t.graph('POST', `/users/${user}/contactFolders`, { body: { displayName: 'press' } })).status).toBe(
      409,
    );
  });
});
