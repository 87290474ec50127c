import { control } from '../../local/cli/emulator-control';
import type { VersionDoc } from '../../shared/catalog/version-doc';
import { API, EmuSite, SiteApp, startSiteApp } from '../support/site-app';

interface EmuItem {
  id: string;
  version: number;
  fields: Record<string, unknown>;
}
interface Summary {
  id: string;
  kind: string;
  name: string;
  folderId?: string;
  root?: boolean;
  validFrom: number;
  validTo?: number;
}

describe("SharePoint lists end to end: a site's generic list, its schema and items (local host + emulator + stack)", () => {
  let env: SiteApp;
  let intranet: EmuSite;
  let list: EmuSite['lists'][number];
  let library: EmuSite['lists'][number];
  const changed: { added?: string; edited?: string; deleted?: string; goneInResync?: string } = {};

  const itemsPath = (): string => `sites/${encodeURIComponent(intranet.id)}/lists/${encodeURIComponent(list.id)}/items`;
  const emuItems = async (): Promise<EmuItem[]> =>
    (await control<EmuItem[]>(env.app.emulator, 'GET', itemsPath())).body;
  const view = async (seq: number): Promise<VersionDoc[]> =>
    (await env.versions.view(env.itemOf(intranet), seq).fetchAll()).resources;
  const listItemsAt = async (seq: number): Promise<VersionDoc[]> =>
    (await view(seq)).filter((d) => d.containerId === `list:${list.id}`);
  const base = (): string => `${API}/${env.accountId}/protected-items/${encodeURIComponent(env.itemOf(intranet))}`;
  const run = () => env.app.admin.runJob(env.accountId, env.jobId, 120_000);

  /** Every item of the list at a point is the emulator's, field for field (the writable columns and the version). */
  async function expectFieldIdentical(seq: number): Promise<void> {
    const docs = await listItemsAt(seq);
    const items = await emuItems();
    expect(docs.map((d) => d.itemId).sort()).toEqual(items.map((i) => `${list.id}.${i.id}`).sort());
    for (const item of items) {
      const doc = docs.find((d) => d.itemId === `${list.id}.${item.id}`)!;
      expect(doc.kind).toBe('listItem');
      expect(doc.props.fields).toMatchObject({ ...item.fields, _UIVersionString: `${item.version}.0` });
      // The stored content is Graph's listItem, fields included: what a restore writes back.
      const content = JSON.parse((await env.stored(doc)).toString('utf8')) as { id: string; fields: unknown };
      expect(content.id).toBe(item.id);
      expect(content.fields).toEqual(doc.props.fields);
    }
  }

  beforeAll(async () => {
    env = await startSiteApp('sitelists', (sites) => ({
      scope: 'selected',
      include: { mailboxes: false, oneDrives: false, sites: false },
      items: [{ kind: 'site', match: sites.find((s) => s.kind === 'communication')!.webUrl }],
    }));
    intranet = env.sites.find((s) => s.kind === 'communication')!;
    list = intranet.lists.find((l) => l.template === 'genericList')!;
    library = intranet.lists.find((l) => l.template === 'documentLibrary')!;
  });
  afterAll(async () => {
    await env?.app.stop();
    env?.client.dispose();
  });

  it('backs up a generic list with its columns and content types, and every item field-identical', async () => {
    expect((await emuItems()).length).toBeGreaterThanOrEqual(4);
    const done = await run();
    expect(done).toMatchObject({ status: 'success', items: 1, itemsFailed: 0 });
    const [point] = await env.pointsOf(env.itemOf(intranet));
    expect(Object.keys(point.containers).sort()).toEqual(
      [`drive:${library.driveId}`, `list:${list.id}`, 'pages'].sort(),
    );
    await expectFieldIdentical(1);

    // The list itself (not the library, which is a drive) with its schema, so a restore can recreate it.
    const lists = (await view(1)).filter((d) => d.containerId === 'lists');
    expect(lists.map((d) => [d.kind, d.itemId, d.props.displayName])).toEqual([['list', list.id, list.displayName]]);
    expect(lists[0].props.list).toMatchObject({ template: 'genericList' });
    const schema = JSON.parse((await env.stored(lists[0])).toString('utf8')) as {
      id: string;
      columns: Array<{ name: string; choice?: { choices: string[] } }>;
      contentTypes: Array<{ name: string }>;
    };
    expect(schema.id).toBe(list.id);
    expect(schema.columns.map((c) => c.name)).toEqual(['Title', 'Status', 'Priority', 'DueDate', 'Done']);
    expect(schema.columns.find((c) => c.name === 'Status')?.choice?.choices).toContain('In progress');
    expect(schema.contentTypes.map((c) => c.name)).toEqual(['Item', 'Folder']);
  });

  it('records exactly the changes of an incremental: an item added, one edited, one deleted', async () => {
    const [, edited, deleted] = await emuItems();
    const added = (
      await control<{ id: string }>(env.app.emulator, 'POST', itemsPath(), {
        fields: { Title: 'Quarterly zebra audit, "phase 2"', Status: 'Not started', Priority: 2, Done: false },
      })
    ).body.id;
    await control(env.app.emulator, 'PATCH', `${itemsPath()}/${edited.id}`, {
      fields: { Status: 'Done', Done: true, Title: 'Renamed by the incremental' },
    });
    await control(env.app.emulator, 'DELETE', `${itemsPath()}/${deleted.id}`);
    Object.assign(changed, { added, edited: edited.id, deleted: deleted.id });

    const done = await run();
    expect(done).toMatchObject({ status: 'success', items: 1, written: 2, deleted: 1 });
    await expectFieldIdentical(2);
    // The full's point still holds the items as they were.
    const before = new Map((await listItemsAt(1)).map((d) => [d.itemId, d]));
    expect(before.has(`${list.id}.${added}`)).toBe(false);
    expect(before.get(`${list.id}.${deleted.id}`)?.props.fields).toMatchObject(deleted.fields);
    expect(before.get(`${list.id}.${edited.id}`)?.props.fields).toMatchObject(edited.fields);
  });

  it('shows the list among the folders of each point, its items listed and found by field values', async () => {
    const folders = await env.app.reader.call<{ value: Summary[] }>('GET', `${base()}/recovery-points/1/folders`);
    expect(folders.status).toBe(200);
    const entry = folders.body.value.find((f) => f.id === list.id)!;
    expect(entry).toMatchObject({ kind: 'list', name: list.displayName, root: true });
    expect(folders.body.value.find((f) => f.root && f.name === library.displayName)).toBeDefined();

    const names = async (seq: number): Promise<string[]> => {
      const r = await env.app.reader.call<{ value: Summary[] }>(
        'GET',
        `${base()}/recovery-points/${seq}/items?folderId=${encodeURIComponent(list.id)}&pageSize=200`,
      );
      expect(r.status).toBe(200);
      return r.body.value.map((i) => i.name).sort();
    };
    const at1 = (await listItemsAt(1)).map((d) =>
      String(d.props.fields && (d.props.fields as { Title: string }).Title),
    );
    expect(await names(1)).toEqual(at1.sort());
    const at2 = await names(2);
    expect(at2).toContain('Quarterly zebra audit, "phase 2"');
    expect(at2).toContain('Renamed by the incremental');

    const found = await env.app.reader.call<{ value: Summary[] }>('GET', `${base()}/search?q=zebra`);
    expect(found.status).toBe(200);
    expect(found.body.value).toEqual([
      expect.objectContaining({ id: `${list.id}.${changed.added}`, kind: 'listItem', folderId: list.id, validFrom: 2 }),
    ]);
    // A choice value finds the edited item from the point it took it on.
    const done = await env.app.reader.call<{ value: Summary[] }>('GET', `${base()}/search?q=renamed%20by%20the`);
    expect(done.body.value.map((s) => [s.id, s.validFrom])).toEqual([[`${list.id}.${changed.edited}`, 2]]);
  });

  it('downloads the list at a point as CSV (RFC 4180) and JSON, columns from the recorded schema', async () => {
    const url = (seq: number, query = '') => `${base()}/recovery-points/${seq}/lists/${list.id}${query}`;
    // Content: an administrator's, audited, as a file's download is.
    expect((await env.app.reader.call('GET', url(2))).status).toBe(403);
    const csv = await env.app.admin.call('GET', url(2));
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(csv.headers.get('content-disposition')).toContain(`filename="${list.displayName}.csv"`);
    const lines = csv.raw.toString('utf8').split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe('ID,Title,Status,Priority,DueDate,Done');
    const docs = await listItemsAt(2);
    expect(lines).toHaveLength(docs.length + 1);
    expect(lines).toContain(`${changed.added},"Quarterly zebra audit, ""phase 2""",Not started,2,,false`);
    for (const d of docs) {
      const f = d.props.fields as Record<string, string | number | boolean>;
      const id = String(d.props.listItemId);
      if (id === changed.added) continue;
      expect(lines).toContain([id, f.Title, f.Status, f.Priority, f.DueDate, f.Done].join(','));
    }

    const asJson = await env.app.admin.call<Array<Record<string, unknown>>>('GET', url(1, '?format=json'));
    expect(asJson.status).toBe(200);
    expect(asJson.headers.get('content-type')).toMatch(/^application\/json/);
    const expected = (await listItemsAt(1)).map((d) => {
      const { Title, Status, Priority, DueDate, Done } = d.props.fields as Record<string, unknown>;
      return { id: d.props.listItemId, Title, Status, Priority, DueDate, Done };
    });
    expect(asJson.body).toHaveLength(expected.length);
    expect(asJson.body).toEqual(expect.arrayContaining(expected));

    const bad = await env.app.admin.call<{ error: { message: string } }>('GET', url(2, '?format=xlsx'));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^query\.format: /);
    const notAList = await env.app.admin.call('GET', `${base()}/recovery-points/2/lists/${library.id}`);
    expect(notAList.status).toBe(404);
    const audit = await env.app.admin.call<{ value: Array<{ action: string; subject: Record<string, unknown> }> }>(
      'GET',
      `/api/accounts/${env.accountId}/audit`,
    );
    expect(
      audit.body.value.filter((a) => a.action === 'download' && a.subject.kind === 'list').map((a) => a.subject.format),
    ).toEqual(expect.arrayContaining(['csv', 'json']));
  });

  it('re-synchronises the list in full when Graph expires its delta token (410): a deletion meanwhile is seen, nothing stored twice', async () => {
    const [gone] = (await emuItems()).filter((i) => i.id !== changed.added);
    changed.goneInResync = gone.id;
    await control(env.app.emulator, 'POST', 'expire-tokens', {});
    await control(env.app.emulator, 'DELETE', `${itemsPath()}/${gone.id}`);
    await control(env.app.emulator, 'DELETE', 'counters');
    const done = await run();
    expect(done).toMatchObject({ status: 'success', items: 1, written: 0, deleted: 1 });
    const counters = (
      await control<{ byStatus: Record<string, number>; byRoute: Record<string, number> }>(
        env.app.emulator,
        'GET',
        'counters',
      )
    ).body;
    // The library's token and the list's were both refused once.
    expect(counters.byStatus['410']).toBe(2);
    const [latest] = await env.pointsOf(env.itemOf(intranet));
    expect(latest.seq).toBe(3);
    await expectFieldIdentical(3);
    expect((await listItemsAt(3)).some((d) => d.itemId === `${list.id}.${gone.id}`)).toBe(false);
  });

  it('restores list items into their list field-identical: a deleted one created again, an edited one overwritten, then skip and rename', async () => {
    const restore = (body: Record<string, unknown>) =>
      env.restore({ protectedItemId: env.itemOf(intranet), seq: 1, ...body });
    const COLUMNS = ['Title', 'Status', 'Priority', 'DueDate', 'Done'];
    const writable = (f: Record<string, unknown>) => Object.fromEntries(COLUMNS.map((c) => [c, f[c]]));
    const atOne = new Map((await listItemsAt(1)).map((d) => [String(d.props.listItemId), d]));
    const backedUp = (id: string) => writable(atOne.get(id)!.props.fields as Record<string, unknown>);
    const idOf = (id: string) => `${list.id}.${id}`;

    const first = await restore({
      selection: { items: [idOf(changed.deleted!), idOf(changed.edited!)] },
      target: { type: 'original', overwriteBehavior: 'overwrite' },
    });
    expect(first).toMatchObject({ status: 'completed', counts: { total: 2, failed: 0, skipped: 0 } });
    let items = await emuItems();
    expect(writable(items.find((i) => i.id === changed.edited)!.fields)).toEqual(backedUp(changed.edited!));
    const recreated = items.filter((i) => i.fields.Title === backedUp(changed.deleted!).Title);
    expect(recreated).toHaveLength(1);
    expect(writable(recreated[0].fields)).toEqual(backedUp(changed.deleted!));

    const skipped = await restore({
      selection: { items: [idOf(changed.edited!)] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    expect(skipped).toMatchObject({ status: 'completed', counts: { total: 1, restored: 0, skipped: 1, failed: 0 } });

    const before = (await emuItems()).length;
    const renamed = await restore({
      selection: { items: [idOf(changed.edited!)] },
      target: { type: 'original', overwriteBehavior: 'rename' },
    });
    expect(renamed).toMatchObject({ status: 'completed', counts: { total: 1, restored: 1, failed: 0 } });
    items = await emuItems();
    expect(items).toHaveLength(before + 1);
    expect(items.filter((i) => i.fields.Title === backedUp(changed.edited!).Title)).toHaveLength(2);

    // The whole list: what is there is skipped, what is gone since (the item deleted before the resync) comes back.
    const whole = await restore({
      selection: { folders: [list.id] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    expect(whole).toMatchObject({ status: 'completed', counts: { total: atOne.size, failed: 0 } });
    expect(whole.counts.restored).toBeGreaterThanOrEqual(1);
    const titles = (await emuItems()).map((i) => i.fields.Title);
    for (const id of atOne.keys()) expect(titles).toContain(backedUp(id).Title);
  });

  it('records every item of a deleted list as deleted, and the list leaves the folders of the next point', async () => {
    // The restores above changed the list: a run records that first.
    expect(await run()).toMatchObject({ status: 'success' });
    const before = (await listItemsAt(4)).length;
    expect(before).toBeGreaterThan(0);
    const removed = await control(
      env.app.emulator,
      'DELETE',
      `sites/${encodeURIComponent(intranet.id)}/lists/${encodeURIComponent(list.id)}`,
    );
    expect(removed.status).toBe(204);
    const done = await run();
    expect(done).toMatchObject({ status: 'success', items: 1, written: 0, deleted: before });
    expect(await listItemsAt(5)).toEqual([]);
    expect((await view(5)).some((d) => d.containerId === 'lists')).toBe(false);
    const folders = async (seq: number): Promise<string[]> =>
      (
        await env.app.reader.call<{ value: Summary[] }>('GET', `${base()}/recovery-points/${seq}/folders`)
      ).body.value.map((f) => f.id);
    expect(await folders(4)).toContain(list.id);
    expect(await folders(5)).not.toContain(list.id);
    // The point before still holds the list and its items.
    expect((await listItemsAt(4)).length).toBe(before);
  });

  it('restores a deleted list: recreated with its title and columns, every item field-identical', async () => {
    type EmuList = { id: string; displayName: string; columns: Array<Record<string, unknown>> | null };
    const siteLists = async (): Promise<EmuList[]> =>
      (await control<Array<{ id: string; lists: EmuList[] }>>(env.app.emulator, 'GET', 'sites')).body.find(
        (s) => s.id === intranet.id,
      )!.lists;
    const named = async () => (await siteLists()).filter((l) => l.displayName === list.displayName);
    expect(await named()).toEqual([]);
    const atFour = await listItemsAt(4);
    const COLUMNS = ['Title', 'Status', 'Priority', 'DueDate', 'Done'];
    const writable = (f: Record<string, unknown>) => JSON.stringify(COLUMNS.map((c) => f[c] ?? null));
    const backedUp = atFour.map((d) => writable(d.props.fields as Record<string, unknown>)).sort();

    const restored = await env.restore({
      protectedItemId: env.itemOf(intranet),
      seq: 4,
      selection: { folders: [list.id] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    expect(restored).toMatchObject({
      status: 'completed',
      counts: { total: atFour.length, restored: atFour.length, failed: 0 },
    });
    const [again] = await named();
    expect(again.id).not.toBe(list.id);
    // The columns the backup recorded (each with its type facet), read back from the tenant.
    const schemaDoc = (await view(4)).find((d) => d.containerId === 'lists' && d.itemId === list.id)!;
    const schema = JSON.parse((await env.stored(schemaDoc)).toString('utf8')) as {
      columns: Array<Record<string, unknown>>;
    };
    const FACETS = ['text', 'choice', 'number', 'dateTime', 'boolean'];
    const shape = (c: Record<string, unknown>) =>
      JSON.stringify([c.name, ...FACETS.map((f) => (c[f] === undefined ? null : c[f]))]);
    expect(again.columns!.map(shape)).toEqual(schema.columns.map(shape));
    const items = (
      await control<EmuItem[]>(
        env.app.emulator,
        'GET',
        `sites/${encodeURIComponent(intranet.id)}/lists/${encodeURIComponent(again.id)}/items`,
      )
    ).body;
    expect(items.map((i) => writable(i.fields)).sort()).toEqual(backedUp);

    // Asked again, the list of that title is used, not a second one made.
    const one = await env.restore({
      protectedItemId: env.itemOf(intranet),
      seq: 4,
      selection: { items: [atFour[0].itemId] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    expect(one).toMatchObject({ status: 'completed', counts: { total: 1, restored: 1, failed: 0 } });
    expect(await named()).toHaveLength(1);
  });
});
