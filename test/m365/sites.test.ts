// SharePoint as a backup consumes it (graph-semantics.md §1.8, §1.9, §2.3, §4.2): sites and their addressing,
// lists and list items, listItem delta (deleted facet, repeats, 410 + Location), site locks, permissions, per-site
// throttling, and document libraries served by the shared drive code; through raw requests and the SDK's PageIterator.
import { createHash } from 'node:crypto';
import { PageCollection, PageIterator } from '@microsoft/microsoft-graph-client';
import { followPages, json, startTestEmulator, TestEmulator } from './support';

const PROFILE = {
  licensedUsers: 2,
  sharedMailboxes: 0,
  messages: { inbox: 1 },
  filesPerDrive: 3,
  fileBytes: { min: 1_000, max: 20_000 },
  attachmentEvery: 0,
  largeEvery: 0,
  groups: { unified: 1, teams: 0, security: 1, membersPerGroup: 2 },
  sites: { communication: 1, team: 1, listsPerSite: 1, itemsPerList: 12 },
};
const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}';

interface ControlSite {
  id: string;
  kind: string;
  name: string;
  groupId: string | null;
  lists: Array<{ id: string; displayName: string; template: string; driveId: string | null }>;
}

describe('SharePoint sites', () => {
  let t: TestEmulator;
  let sites: ControlSite[];
  const host = 'sitestest.sharepoint.com';
  const site = (kind: string): ControlSite => sites.find((s) => s.kind === kind)!;
  const list = (s: ControlSite, template: string): ControlSite['lists'][number] =>
    s.lists.find((l) => l.template === template)!;
  const itemsPath = (s: ControlSite): string => `/sites/${s.id}/lists/${list(s, 'genericList').id}/items`;

  const round = (first: string, headers: Record<string, string> = {}): Promise<Array<Record<string, any>>> =>
    followPages(t, first, headers);
  const lock = async (s: ControlSite, body: Record<string, unknown>): Promise<void> =>
    expect((await t.control('PUT', `sites/${encodeURIComponent(s.id)}/lock`, body)).status).toBe(200);

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'sites-test', profile: PROFILE });
    sites = (await t.control<ControlSite[]>('GET', 'sites')).body;
  });
  afterAll(() => t?.stop());

  it("generates the root site, a site per Microsoft 365 group, the profile's sites and a subsite, with Graph's composite ids", async () => {
    expect(sites.map((s) => s.kind)).toEqual(['root', 'group', 'communication', 'team', 'subsite']);
    const root = await json(await t.graph('GET', '/sites/root'));
    expect(root).toMatchObject({
      id: expect.stringMatching(new RegExp(`^${host.replace(/\./g, '\\.')},${GUID},${GUID}$`)),
      webUrl: `https://${host}`,
      root: {},
      siteCollection: { hostname: host, root: {} },
    });
    expect(await json(await t.graph('GET', `/sites/${host}`))).toEqual(root);
    const team = site('team');
    const byId = await json(await t.graph('GET', `/sites/${team.id}`));
    expect(byId).toMatchObject({
      id: team.id,
      displayName: 'Project Apollo',
      name: 'projectapollo',
      webUrl: `https://${host}/sites/projectapollo`,
      root: {},
    });
    expect(await json(await t.graph('GET', `/sites/${host}:/sites/projectapollo`))).toEqual(byId);
    expect(await json(await t.graph('GET', `/sites/${host}:/sites/projectapollo:/lists`))).toEqual(
      await json(await t.graph('GET', `/sites/${team.id}/lists`)),
    );
    const missing = await t.graph('GET', `/sites/${host}:/sites/nope`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('itemNotFound');
    const group = site('group');
    expect((await json(await t.graph('GET', `/groups/${group.groupId}/sites/root`))).id).toBe(group.id);
    const security = (
      await t.control<{ groups: Array<{ id: string; groupTypes: string[] }> }>('GET', 'tenant')
    ).body.groups.find((g) => !g.groupTypes.length)!;
    for (const path of [
      `/groups/${security.id}/sites/root`,
      `/groups/${security.id}/drive`,
      `/sites/${host},${team.id.split(',')[2]},${team.id.split(',')[1]}/drive/root/delta`,
    ]) {
      const res = await t.graph('GET', path);
      expect([path, res.status]).toEqual([path, 404]);
      expect((await json(res)).error.code).toBe('itemNotFound');
    }
    const subsites = await json(await t.graph('GET', `/sites/${team.id}/sites`));
    expect(subsites.value.map((s: any) => s.id)).toEqual([site('subsite').id]);
    expect(subsites.value[0].root).toBeUndefined();
    expect((await json(await t.graph('GET', `/sites/${site('communication').id}/sites`))).value).toEqual([]);
  });

  it('enumerates site collections with getAllSites (paged) and finds sites with search', async () => {
    const pages = await round('/sites/getAllSites?$top=2&$select=id,webUrl');
    expect(pages).toHaveLength(2);
    expect(pages.flatMap((p) => p.value.map((v: any) => Object.keys(v).sort().join()))).toEqual(
      Array(4).fill('id,webUrl'),
    );
    expect(pages.flatMap((p) => p.value.map((s: any) => s.id))).toEqual(
      sites.filter((s) => s.kind !== 'subsite').map((s) => s.id),
    );
    const found = await json(await t.graph('GET', '/sites?search=apollo'));
    expect(found.value.map((s: any) => s.displayName)).toEqual(['Project Apollo', 'Project Apollo Archive']);
  });

  it("lists a site's libraries and generic lists, their columns, and items paged with $expand=fields and $select", async () => {
    const team = site('team');
    const lists = (await json(await t.graph('GET', `/sites/${team.id}/lists`))).value;
    expect(lists.map((l: any) => [l.displayName, l.list.template])).toEqual([
      ['Documents', 'documentLibrary'],
      ['Project Files', 'documentLibrary'],
      ['Issue tracker', 'genericList'],
    ]);
    expect(lists[0]).toMatchObject({
      name: 'Shared Documents',
      webUrl: `https://${host}/sites/projectapollo/Shared%20Documents`,
      parentReference: { siteId: team.id },
    });
    const generic = list(team, 'genericList');
    expect(await json(await t.graph('GET', `/sites/${team.id}/lists/Issue%20tracker`))).toMatchObject({
      id: generic.id,
    });
    const columns = (await json(await t.graph('GET', `/sites/${team.id}/lists/${generic.id}/columns`))).value;
    expect(columns.map((c: any) => c.name)).toEqual(['Title', 'Status', 'Priority', 'DueDate', 'Done']);
    expect(columns[1].choice.choices).toContain('Done');
    const pages = await round(`${itemsPath(team)}?$top=5&$expand=fields($select=Title,Status)&$select=id,eTag`);
    expect(pages.map((p) => p.value.length)).toEqual([5, 5, 2]);
    const first = pages[0].value[0];
    expect(Object.keys(first).sort()).toEqual(['@odata.etag', 'eTag', 'fields', 'id']);
    expect(Object.keys(first.fields).sort()).toEqual(['@odata.etag', 'Status', 'Title', 'id']);
    const one = await json(await t.graph('GET', `${itemsPath(team)}/1`));
    expect(one).toMatchObject({
      id: '1',
      contentType: { name: 'Item' },
      parentReference: { id: generic.id, siteId: team.id },
      createdBy: { user: { displayName: expect.any(String) } },
    });
    expect(one.fields).toBeUndefined();
    const fields = await json(await t.graph('GET', `${itemsPath(team)}/1/fields`));
    expect(fields).toMatchObject({ id: '1', Title: first.fields.Title, ContentType: 'Item', _UIVersionString: '1.0' });
  });

  it("serves a list's content types, and its schema in one request with $expand=columns,contentTypes", async () => {
    const team = site('team');
    const generic = list(team, 'genericList');
    const base = `/sites/${team.id}/lists/${generic.id}`;
    const types = (await json(await t.graph('GET', `${base}/contentTypes`))).value;
    expect(types.map((c: any) => [c.name, c.parentId])).toEqual([
      ['Item', '0x01'],
      ['Folder', '0x0120'],
    ]);
    expect(types[0].id).toMatch(/^0x0100[0-9A-F]{32}$/);
    const library = (
      await json(await t.graph('GET', `/sites/${team.id}/lists/${list(team, 'documentLibrary').id}/contentTypes`))
    ).value;
    expect(library.map((c: any) => c.name)).toEqual(['Document', 'Folder']);
    const expanded = await json(await t.graph('GET', `${base}?$expand=columns,contentTypes`));
    expect(expanded).toMatchObject({ id: generic.id, list: { template: 'genericList' } });
    expect(expanded.columns).toEqual((await json(await t.graph('GET', `${base}/columns`))).value);
    expect(expanded.contentTypes).toEqual(types);
    const plain = await json(await t.graph('GET', base));
    expect(plain.columns).toBeUndefined();
    expect(plain.contentTypes).toBeUndefined();
  });

  it('reports adds, edits and deletions in the next listItem delta round, deletions as a deleted facet', async () => {
    const s = site('communication');
    const first = await round(`${itemsPath(s)}/delta?$expand=fields`, { prefer: 'odata.maxpagesize=5' });
    expect(first).toHaveLength(3);
    expect(first.slice(0, 2).every((p) => /\/items\/delta\?token=/.test(p['@odata.nextLink']))).toBe(true);
    expect(first.flatMap((p) => p.value)).toHaveLength(12);
    expect(first[0].value[0].fields.Title).toEqual(expect.any(String));
    const added = await t.control<{ id: string }>(
      'POST',
      `sites/${encodeURIComponent(s.id)}/lists/${list(s, 'genericList').id}/items`,
      { fields: { Title: 'From a user', Status: 'Not started' } },
    );
    expect(added.body.id).toBe('13');
    expect((await t.graph('PATCH', `${itemsPath(s)}/2/fields`, { body: { Status: 'Done', Done: true } })).status).toBe(
      200,
    );
    expect((await t.graph('DELETE', `${itemsPath(s)}/3`)).status).toBe(204);
    const next = (await round(first.at(-1)!['@odata.deltaLink'])).flatMap((p) => p.value);
    expect(next).toEqual([
      expect.objectContaining({ id: '13', fields: expect.objectContaining({ Title: 'From a user' }) }),
      expect.objectContaining({
        id: '2',
        fields: expect.objectContaining({ Status: 'Done', Done: true, _UIVersionString: '2.0' }),
      }),
      { id: '3', parentReference: { siteId: s.id }, deleted: { state: 'deleted' } },
    ]);
    const latest = await json(await t.graph('GET', `${itemsPath(s)}/delta?token=latest`));
    expect(latest).toMatchObject({ value: [], '@odata.deltaLink': expect.stringMatching(/token=/) });
  });

  it('repeats an item changed again while a round pages', async () => {
    const s = site('group');
    const base = (await round(`${itemsPath(s)}/delta`)).at(-1)!['@odata.deltaLink'] as string;
    for (const id of ['4', '5', '6']) await t.graph('PATCH', `${itemsPath(s)}/${id}/fields`, { body: { Priority: 1 } });
    const p1 = await json(await t.graph('GET', base, { headers: { prefer: 'odata.maxpagesize=2' } }));
    expect(p1.value.map((i: any) => i.id)).toEqual(['4', '5']);
    await t.graph('PATCH', `${itemsPath(s)}/4/fields`, { body: { Priority: 3 } });
    const p2 = await json(await t.graph('GET', p1['@odata.nextLink'], { headers: { prefer: 'odata.maxpagesize=2' } }));
    expect(p2.value.map((i: any) => i.id)).toEqual(['6', '4']);
    expect(p2['@odata.deltaLink']).toBeDefined();
  });

  it('answers 410 resyncRequired with a Location that starts over once tokens expire', async () => {
    const s = site('root');
    const link = (await round(`${itemsPath(s)}/delta`)).at(-1)!['@odata.deltaLink'] as string;
    expect((await t.control('POST', 'expire-tokens', {})).status).toBe(204);
    const res = await t.graph('GET', link);
    expect(res.status).toBe(410);
    expect((await json(res)).error).toMatchObject({
      code: 'resyncRequired',
      innerError: { code: 'resyncChangesApplyDifferences' },
    });
    const location = res.headers.get('location')!;
    expect(location).toBe(`${t.em.graphBaseUrl}/sites/${s.id}/lists/${list(s, 'genericList').id}/items/delta`);
    expect((await round(location)).flatMap((p) => p.value)).toHaveLength(12);
  });

  it('creates, edits and deletes items as a restore does, and the control API reads them back', async () => {
    const s = site('subsite');
    const created = await t.graph('POST', itemsPath(s), {
      body: { fields: { Title: 'Restored', Priority: 2, DueDate: '2026-07-01T00:00:00Z' } },
    });
    expect(created.status).toBe(201);
    const item = await json(created);
    expect(item.fields).toMatchObject({ Title: 'Restored', Priority: 2 });
    expect(
      await json(await t.graph('PATCH', `${itemsPath(s)}/${item.id}/fields`, { body: { Title: 'Restored again' } })),
    ).toMatchObject({ Title: 'Restored again', Priority: 2 });
    const bad = await t.graph('PATCH', `${itemsPath(s)}/${item.id}/fields`, { body: { Colour: 'red' } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({
      code: 'invalidRequest',
      message: "Field 'Colour' is not recognized",
    });
    const back = (
      await t.control<Array<{ id: string; fields: Record<string, unknown> }>>(
        'GET',
        `sites/${encodeURIComponent(s.id)}/lists/Issue%20tracker/items`,
      )
    ).body;
    expect(back.find((i) => i.id === item.id)!.fields).toEqual({
      Title: 'Restored again',
      Priority: 2,
      DueDate: '2026-07-01T00:00:00Z',
    });
    expect((await t.graph('DELETE', `${itemsPath(s)}/${item.id}`)).status).toBe(204);
    const gone = await t.graph('GET', `${itemsPath(s)}/${item.id}`);
    expect(gone.status).toBe(404);
    expect((await json(gone)).error.code).toBe('itemNotFound');
    const intoLibrary = await t.graph('POST', `/sites/${s.id}/lists/${list(s, 'documentLibrary').id}/items`, {
      body: { fields: { Title: 'x' } },
    });
    expect(intoLibrary.status).toBe(400);
  });

  it('serves a library through the drive code: drive, drives, root delta, /content download, uploads, and its items as listItems', async () => {
    const team = site('team');
    const library = list(team, 'documentLibrary');
    const drive = await json(await t.graph('GET', `/sites/${team.id}/drive`));
    expect(drive).toMatchObject({
      id: library.driveId,
      driveType: 'documentLibrary',
      name: 'Documents',
      owner: { user: { displayName: 'System Account' } },
    });
    expect((await json(await t.graph('GET', `/sites/${team.id}/drives`))).value.map((d: any) => d.name)).toEqual([
      'Documents',
      'Project Files',
    ]);
    const group = site('group');
    expect(await json(await t.graph('GET', `/groups/${group.groupId}/drive`))).toMatchObject({
      id: list(group, 'documentLibrary').driveId,
      owner: { group: { id: group.groupId } },
    });
    const first = await round(`/sites/${team.id}/drive/root/delta`);
    const files = first.flatMap((p) => p.value).filter((i: any) => i.file);
    expect(files).toHaveLength(3);
    expect(files[0].parentReference).toMatchObject({
      driveId: library.driveId,
      driveType: 'documentLibrary',
      siteId: team.id,
    });
    const redirect = await t.graph('GET', `/sites/${team.id}/drive/items/${encodeURIComponent(files[0].id)}/content`);
    expect(redirect.status).toBe(302);
    const bytes = Buffer.from(await (await t.fetch(redirect.headers.get('location')!)).arrayBuffer());
    const expected = await t.fetch(
      `${t.em.url}/_emulator/drive/${encodeURIComponent(library.driveId!)}/files/${encodeURIComponent(files[0].id)}/content`,
    );
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(expected.headers.get('x-sha256'));
    const added = await t.control<{ id: string }>('POST', `drive/${encodeURIComponent(library.driveId!)}/files`, {
      name: 'Minutes.txt',
      content: Buffer.from('minutes').toString('base64'),
    });
    const upload = await t.graph('PUT', `/sites/${team.id}/drive/items/root:/Restored.txt:/content`, {
      body: 'restored bytes',
      headers: { 'content-type': 'text/plain' },
    });
    expect(upload.status).toBe(201);
    const next = (await round(first.at(-1)!['@odata.deltaLink'])).flatMap((p) => p.value);
    expect(next.map((i: any) => i.name)).toEqual(['Minutes.txt', 'Restored.txt']);
    expect(next[0].id).toBe(added.body.id);
    const restored = await t.fetch(
      `${t.em.url}/_emulator/drive/${encodeURIComponent(library.driveId!)}/files/${encodeURIComponent(next[1].id)}/content`,
    );
    expect(Buffer.from(await restored.arrayBuffer()).toString()).toBe('restored bytes');
    const asItems = (await json(await t.graph('GET', `/sites/${team.id}/lists/${library.id}/items?$expand=fields`)))
      .value;
    expect(asItems.map((i: any) => i.fields.FileLeafRef)).toEqual(
      expect.arrayContaining(['General', 'Minutes.txt', 'Restored.txt']),
    );
    expect(asItems.find((i: any) => i.fields.FileLeafRef === 'General').contentType.name).toBe('Folder');
  });

  it('answers 423 notAllowed for every call on a NoAccess or archived site, and refuses only writes on a ReadOnly one', async () => {
    const s = site('communication');
    const library = list(s, 'documentLibrary');
    const paths = ['', '/lists', `/lists/${list(s, 'genericList').id}/items/delta`, '/drive/root/delta']
      .map((p) => `/sites/${s.id}${p}`)
      .concat(`/drives/${library.driveId}/root`);
    for (const state of [{ lockState: 'noAccess' }, { lockState: 'unlock', archived: true }]) {
      await lock(s, state);
      for (const path of paths) {
        const res = await t.graph('GET', path);
        expect([path, res.status]).toEqual([path, 423]);
        expect((await json(res)).error).toMatchObject({
          code: 'notAllowed',
          message: 'Access to this site has been blocked. Please contact the administrator to resolve this problem.',
        });
      }
      await lock(s, { lockState: 'unlock', archived: false });
    }
    await lock(s, { lockState: 'readOnly' });
    for (const path of paths) expect((await t.graph('GET', path)).status).toBe(200);
    const writes = [
      await t.graph('POST', itemsPath(s), { body: { fields: { Title: 'No' } } }),
      await t.graph('PUT', `/sites/${s.id}/drive/items/root:/No.txt:/content`, { body: 'no' }),
    ];
    for (const res of writes) {
      expect(res.status).toBe(403);
      expect((await json(res)).error).toMatchObject({ code: 'accessDenied', innerError: { code: 'serviceReadOnly' } });
    }
    await lock(s, { lockState: 'unlock' });
    expect((await t.graph('POST', itemsPath(s), { body: { fields: { Title: 'Yes' } } })).status).toBe(201);
  });

  it('answers 403 accessDenied without a Sites permission, and refuses writes to a read-only app', async () => {
    const none = await t.token('m365-vault admin console', { fresh: true });
    const s = site('team');
    for (const path of [
      '/sites/root',
      `/sites/${s.id}/lists`,
      '/sites/getAllSites',
      `/sites/${s.id}/drive/root/delta`,
    ]) {
      const res = await t.graph('GET', path, { token: none });
      expect([path, res.status]).toEqual([path, 403]);
      expect((await json(res)).error.code).toBe('accessDenied');
    }
    const readOnly = await t.token('m365-vault read-only backup', { fresh: true });
    expect((await t.graph('GET', itemsPath(s), { token: readOnly })).status).toBe(200);
    expect((await t.graph('POST', itemsPath(s), { token: readOnly, body: { fields: { Title: 'No' } } })).status).toBe(
      403,
    );
  });

  it('throttles per site: 429 with Retry-After on one site while another still answers', async () => {
    await t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 3, windowSeconds: 60 });
    try {
      const [a, b] = [site('team'), site('communication')];
      for (let i = 0; i < 3; i++) expect((await t.graph('GET', `/sites/${a.id}/lists`)).status).toBe(200);
      const limited = await t.graph('GET', `/sites/${a.id}/drive/root/delta`);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await t.graph('GET', `/sites/${b.id}`)).status).toBe(200);
    } finally {
      await t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 10_000, windowSeconds: 600 });
    }
  });

  it('charges resource units per app and tenant once a budget is set: 429 + Retry-After until the minute has room', async () => {
    const s = site('team');
    expect((await t.control('PUT', 'resource-units', { perMinute: 5 })).status).toBe(200);
    try {
      expect((await t.graph('GET', `/sites/${s.id}/lists`)).status).toBe(200); // a collection: 2
      expect((await t.graph('GET', `/sites/${s.id}`)).status).toBe(200); // one item: 1
      expect((await t.graph('PATCH', `${itemsPath(s)}/8/fields`, { body: { Priority: 2 } })).status).toBe(200); // a write: 2
      const limited = await t.graph('GET', `/sites/${site('communication').id}/drive/root`);
      expect(limited.status).toBe(429);
      expect((await json(limited)).error.code).toBe('TooManyRequests');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
      await t.control('POST', 'clock', { advanceSeconds: 60 });
      expect((await t.graph('GET', `/sites/${s.id}`)).status).toBe(200);
    } finally {
      await t.control('PUT', 'resource-units', { perMinute: null });
    }
  });

  it('iterates a listItem delta round with the SDK PageIterator and resumes from its deltaLink', async () => {
    const s = site('team');
    const client = t.client();
    const seen: string[] = [];
    const firstPage = (await client
      .api(`${itemsPath(s)}/delta`)
      .header('Prefer', 'odata.maxpagesize=4')
      .expand('fields')
      .get()) as PageCollection;
    const it = new PageIterator(
      client,
      firstPage,
      (i: { id: string; fields?: { Title?: string } }) => {
        expect(i.fields?.Title).toEqual(expect.any(String));
        seen.push(i.id);
        return true;
      },
      { headers: { Prefer: 'odata.maxpagesize=4' } },
    );
    await it.iterate();
    expect(it.isComplete()).toBe(true);
    expect(new Set(seen).size).toBe(12);
    await t.control('DELETE', `sites/${encodeURIComponent(s.id)}/lists/Issue%20tracker/items/7`);
    const delta = (await client.api(it.getDeltaLink()!).get()) as PageCollection;
    expect(delta.value).toEqual([{ id: '7', parentReference: { siteId: s.id }, deleted: { state: 'deleted' } }]);
  });

  it('deletes a generic list through the control API: gone from /lists, its items and delta a 404', async () => {
    const s = site('subsite');
    const generic = list(s, 'genericList');
    expect((await t.control('DELETE', `sites/${encodeURIComponent(s.id)}/lists/${generic.id}`)).status).toBe(204);
    const lists = (await json(await t.graph('GET', `/sites/${s.id}/lists`))).value;
    expect(lists.map((l: any) => l.id)).not.toContain(generic.id);
    expect(lists.some((l: any) => l.list.template === 'documentLibrary')).toBe(true);
    expect((await t.graph('GET', `/sites/${s.id}/lists/${generic.id}/items/delta`)).status).toBe(404);
    const library = list(s, 'documentLibrary');
    expect((await t.control('DELETE', `sites/${encodeURIComponent(s.id)}/lists/${library.id}`)).status).toBe(404);
  });
});
