import { control } from '../../local/cli/emulator-control';
import type { LocalApp } from '../../local/cli/local-app';
import type { VersionStore } from '../../shared/catalog/version-store';
import type { VersionDoc } from '../../shared/catalog/version-doc';
import { sha } from '../support/bytes';
import { EmuSite, Point, Restore, SiteApp, startSiteApp } from '../support/site-app';

interface DriveEntry {
  id: string;
  name: string;
  parentId: string | null;
  size: number;
  folder: boolean;
  root: boolean;
}
describe('SharePoint sites end to end (local host + Microsoft 365 emulator + stack)', () => {
  let env: SiteApp;
  let app: LocalApp;
  let versions: VersionStore;
  let accountId: string;
  let jobId: string;
  let sites: EmuSite[];
  /** The communication site, whose Documents library the incremental changes. */
  let intranet: EmuSite;
  let driveId: string;
  let itemOf: (s: EmuSite) => string;
  const changed: { added?: string; edited?: DriveEntry; renamed?: DriveEntry; deleted?: DriveEntry } = {};

  const api = `/api/accounts`;
  const tree = async (drive: string): Promise<DriveEntry[]> =>
    (await control<DriveEntry[]>(app.emulator, 'GET', `drive/${encodeURIComponent(drive)}/items`)).body;
  const bytesOf = async (drive: string, id: string): Promise<Buffer> =>
    (await control(app.emulator, 'GET', `drive/${encodeURIComponent(drive)}/files/${encodeURIComponent(id)}/content`))
      .raw;
  const stored = (d: VersionDoc): Promise<Buffer> => env.stored(d);
  const pointsOf = (itemId: string): Promise<Point[]> => env.pointsOf(itemId);
  const restore = (body: Record<string, unknown>): Promise<Restore> => env.restore(body);

  beforeAll(async () => {
    env = await startSiteApp('sites');
    ({ app, versions, accountId, jobId, sites, itemOf } = env);
    intranet = sites.find((s) => s.kind === 'communication')!;
    driveId = intranet.lists.find((l) => l.name === 'Shared Documents')!.driveId!;
  });
  afterAll(async () => {
    await app?.stop();
    env?.client.dispose();
  });

  it('backs up every site (root, group, communication, team, subsite), each library of each, bytes intact', async () => {
    expect(sites.map((s) => s.kind).sort()).toEqual(['communication', 'group', 'group', 'root', 'subsite', 'team']);
    const done = await app.admin.runJob(accountId, jobId, 120_000);
    expect(done).toMatchObject({ status: 'success', items: sites.length, itemsFailed: 0 });

    const items = await app.reader.call<{ value: Array<{ id: string; kind: string; address: string }> }>(
      'GET',
      `${api}/${accountId}/protected-items`,
    );
    expect(
      items.body.value
        .filter((i) => i.kind === 'site')
        .map((i) => i.address)
        .sort(),
    ).toEqual(sites.map((s) => s.webUrl).sort());

    // The team site has two libraries: both are containers of its one protected item, every file stored as served;
    // its generic list is one more (test/e2e/site-lists.test.ts follows lists).
    const team = sites.find((s) => s.kind === 'team')!;
    const libraries = team.lists.filter((l) => l.template === 'documentLibrary');
    expect(libraries).toHaveLength(2);
    const [point] = await pointsOf(itemOf(team));
    expect(Object.keys(point.containers).sort()).toEqual(
      [
        ...libraries.map((l) => `drive:${l.driveId}`),
        ...team.lists.filter((l) => l.template === 'genericList').map((l) => `list:${l.id}`),
        'pages',
      ].sort(),
    );
    const view = (await versions.view(itemOf(team), 1).fetchAll()).resources;
    for (const library of libraries) {
      const files = (await tree(library.driveId!)).filter((e) => !e.folder);
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const doc = view.find((d) => d.containerId === `drive:${library.driveId}` && d.itemId === f.id)!;
        expect(doc.props).toMatchObject({ name: f.name, size: f.size });
        expect(typeof doc.props.createdDateTime).toBe('string');
        expect(doc.props.createdBy).toMatchObject({ user: { displayName: expect.any(String) } });
        expect(doc.props.lastModifiedBy).toMatchObject({ user: { displayName: expect.any(String) } });
        // Its version history as metadata: a generated file has one version.
        expect(doc.props.versionHistory).toEqual([
          {
            id: '1.0',
            size: f.size,
            lastModifiedDateTime: doc.props.lastModifiedDateTime,
            lastModifiedBy: doc.props.lastModifiedBy,
          },
        ]);
        expect(sha(await stored(doc))).toBe(sha(await bytesOf(library.driveId!, f.id)));
      }
      // The library's root is named for the library, so a browse shows "Documents" and "Project Files".
      expect(view.find((d) => d.containerId === `drive:${library.driveId}` && d.props.root)?.props.displayName).toBe(
        library.displayName,
      );
    }
  });

  it('records exactly the changes of an incremental: a file added, edited, renamed and deleted in a library', async () => {
    const entries = await tree(driveId);
    const root = entries.find((e) => e.root)!;
    const files = entries.filter((e) => !e.folder && e.parentId === root.id);
    expect(files.length).toBeGreaterThanOrEqual(3);
    [changed.edited, changed.renamed, changed.deleted] = files;
    const file = (
      await control<{ id: string }>(app.emulator, 'POST', `drive/${driveId}/files`, {
        name: 'Added after the full.txt',
        content: Buffer.from('a new file in the intranet library\n').toString('base64'),
      })
    ).body;
    changed.added = file.id;
    const path = (e: DriveEntry) => `drive/${driveId}/files/${encodeURIComponent(e.id)}`;
    await control(app.emulator, 'PATCH', path(changed.edited!), {
      content: Buffer.from('edited after the full backup\n').toString('base64'),
    });
    await control(app.emulator, 'PATCH', path(changed.renamed!), { name: `Renamed ${changed.renamed!.name}` });
    await control(app.emulator, 'DELETE', path(changed.deleted!));
    await control(app.emulator, 'DELETE', 'counters');

    const done = await app.admin.runJob(accountId, jobId, 120_000);
    expect(done).toMatchObject({ status: 'success', items: sites.length });
    expect(done.written).toBe(3);
    expect(done.deleted).toBe(1);
    // Only the new and the edited file are downloaded; the rename is a change of properties.
    const counters = (await control<{ byRoute: Record<string, number> }>(app.emulator, 'GET', 'counters')).body;
    const downloads = Object.entries(counters.byRoute)
      .filter(([route]) => route.endsWith('/content'))
      .reduce((t, [, n]) => t + n, 0);
    expect(downloads).toBe(2);

    const after = new Map((await versions.view(itemOf(intranet), 2).fetchAll()).resources.map((d) => [d.itemId, d]));
    expect(after.has(changed.deleted!.id)).toBe(false);
    expect(after.get(changed.renamed!.id)?.props.name).toBe(`Renamed ${changed.renamed!.name}`);
    expect((await stored(after.get(changed.edited!.id)!)).toString()).toBe('edited after the full backup\n');
    // The edit made a second version; the first is listed after it with its own size.
    expect(after.get(changed.edited!.id)?.props.versionHistory).toMatchObject([
      { id: '2.0', size: 'edited after the full backup\n'.length },
      { id: '1.0', size: changed.edited!.size },
    ]);
    expect((await stored(after.get(changed.added)!)).toString()).toBe('a new file in the intranet library\n');
  });

  it('browses a library at each recovery point', async () => {
    const base = `${api}/${accountId}/protected-items/${encodeURIComponent(itemOf(intranet))}/recovery-points`;
    const folders = await app.reader.call<{ value: Array<{ id: string; name: string; root?: boolean }> }>(
      'GET',
      `${base}/1/folders`,
    );
    const root = folders.body.value.find((f) => f.root && f.name === 'Documents')!;
    expect(root).toBeDefined();
    const names = async (seq: number): Promise<string[]> =>
      (
        await app.reader.call<{ value: Array<{ name: string }> }>(
          'GET',
          `${base}/${seq}/items?folderId=${encodeURIComponent(root.id)}&pageSize=200`,
        )
      ).body.value.map((i) => i.name);
    const [at1, at2] = [await names(1), await names(2)];
    expect(at1).toEqual(expect.arrayContaining([changed.deleted!.name, changed.renamed!.name]));
    expect(at1).not.toContain('Added after the full.txt');
    expect(at2).toEqual(expect.arrayContaining(['Added after the full.txt', `Renamed ${changed.renamed!.name}`]));
    expect(at2).not.toContain(changed.deleted!.name);
    // A file's preview shows its version history at the point.
    const preview = async (seq: number) =>
      (
        await app.reader.call<{ properties: { versionHistory: Array<{ id: string }> } }>(
          'GET',
          `${base}/${seq}/preview?itemId=${encodeURIComponent(changed.edited!.id)}`,
        )
      ).body.properties.versionHistory.map((v) => v.id);
    expect(await preview(1)).toEqual(['1.0']);
    expect(await preview(2)).toEqual(['2.0', '1.0']);
  });

  it('restores a deleted file into its library byte for byte, skips what is still there, and refuses other targets', async () => {
    const original = (await versions.view(itemOf(intranet), 1).fetchAll()).resources.find(
      (d) => d.itemId === changed.deleted!.id,
    )!;
    const parent = String(original.props.parentId);
    const restored = await restore({
      protectedItemId: itemOf(intranet),
      seq: 1,
      selection: { items: [changed.deleted!.id, changed.edited!.id] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    expect(restored).toMatchObject({ status: 'completed', counts: { total: 2, restored: 1, skipped: 1, failed: 0 } });
    const back = (await tree(driveId)).find((e) => e.name === changed.deleted!.name && e.parentId === parent)!;
    expect(sha(await bytesOf(driveId, back.id))).toBe(sha(await stored(original)));

    const elsewhere = await app.admin.call<{ error: { message: string } }>('POST', `${api}/${accountId}/restores`, {
      protectedItemId: itemOf(intranet),
      seq: 1,
      selection: { items: [changed.deleted!.id] },
      target: { type: 'mailbox', user: app.tenant.users[0].userPrincipalName },
    });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error.message).toMatch(/^body\.target\.type: /);
  });

  it('raises the locked-site alarm with its URL and unlock steps for a locked and an archived site; the others go on', async () => {
    const [locked, archived] = sites.filter((s) => s.kind === 'group');
    // A locked collection hides its subsites from discovery; the subsite known from earlier runs stays in the run,
    // locked with it.
    const team = sites.find((s) => s.kind === 'team')!;
    const subsite = sites.find((s) => s.kind === 'subsite')!;
    await control(app.emulator, 'PUT', `sites/${encodeURIComponent(team.id)}/lock`, { lockState: 'noAccess' });
    await control(app.emulator, 'PUT', `sites/${encodeURIComponent(locked.id)}/lock`, { lockState: 'noAccess' });
    await control(app.emulator, 'PUT', `sites/${encodeURIComponent(archived.id)}/lock`, { archived: true });
    // A read-only site is still read: its backup succeeds; a restore into it fails naming it, with the steps.
    await control(app.emulator, 'PUT', `sites/${encodeURIComponent(intranet.id)}/lock`, { lockState: 'readOnly' });
    try {
      const refused = await restore({
        protectedItemId: itemOf(intranet),
        seq: 1,
        selection: { items: [changed.renamed!.id] },
        target: { type: 'original', overwriteBehavior: 'rename' },
      });
      expect(refused.counts).toMatchObject({ total: 1, restored: 0, failed: 1 });
      expect(refused.failures[0].reason).toContain(`site ${intranet.webUrl} for the site '${intranet.displayName}'`);
      expect(refused.failures[0].reason).toContain(`Set-SPOSite -Identity "${intranet.webUrl}" -LockState Unlock`);

      const done = await app.admin.runJob(accountId, jobId, 120_000);
      expect(done).toMatchObject({ status: 'warning', items: sites.length, itemsFailed: 4 });
      for (const s of [locked, archived, team, subsite]) {
        const point = (await pointsOf(itemOf(s))).find((p) => p.runId === done.runId)!;
        expect(point.status).toBe('failed');
        const alarm = point.alarms.find((a) => a.code === 'site.locked')!;
        expect(alarm.message).toContain(`Access to the site ${s.webUrl} for the site '${s.displayName}'`);
        expect(alarm.fix).toContain(`Set-SPOSite -Identity "${s.webUrl}" -LockState Unlock`);
        expect(alarm.fix).toContain('Connect-SPOService -Url "https://contoso-admin.sharepoint.com"');
      }
      const others = sites.filter((s) => ![locked, archived, team, subsite].includes(s));
      for (const s of others)
        expect((await pointsOf(itemOf(s))).find((p) => p.runId === done.runId)?.status).toBe('success');
    } finally {
      for (const s of [locked, archived, team, intranet])
        await control(app.emulator, 'PUT', `sites/${encodeURIComponent(s.id)}/lock`, {
          lockState: 'unlock',
          archived: false,
        });
    }
  });

  it('re-synchronises every library in full when Graph expires the delta tokens (410): a deletion meanwhile is seen, nothing stored twice', async () => {
    const gone = (await tree(driveId)).find((e) => e.name === 'Added after the full.txt')!;
    await control(app.emulator, 'POST', 'expire-tokens', {});
    await control(app.emulator, 'DELETE', `drive/${driveId}/files/${encodeURIComponent(gone.id)}`);
    await control(app.emulator, 'DELETE', 'counters');
    const done = await app.admin.runJob(accountId, jobId, 120_000);
    expect(done).toMatchObject({ status: 'success', items: sites.length, written: 0, deleted: 1 });
    const counters = (await control<{ byStatus: Record<string, number> }>(app.emulator, 'GET', 'counters')).body;
    // Every library's token was refused once: a site has one or two.
    expect(counters.byStatus['410']).toBeGreaterThanOrEqual(sites.length);
    const [latest] = await pointsOf(itemOf(intranet));
    const view = (await versions.view(itemOf(intranet), latest.seq).fetchAll()).resources;
    expect(view.some((d) => d.itemId === gone.id)).toBe(false);
  });
  it('restores a library folder and a list into another site: files byte for byte under a folder named for the restore, the items into its list of that title', async () => {
    const team = sites.find((s) => s.kind === 'team')!;
    const view = (await versions.view(itemOf(intranet), 2).fetchAll()).resources;
    const general = view.find((d) => d.containerId === `drive:${driveId}` && d.props.name === 'General')!;
    const files = view.filter((d) => d.props.parentId === general.itemId && d.props.folder !== true);
    expect(files.length).toBeGreaterThan(0);
    const list = intranet.lists.find((l) => l.template === 'genericList')!;
    const listItems = view.filter((d) => d.containerId === `list:${list.id}`);

    const teamListItems = async (title: string): Promise<Array<number | null>> =>
      (
        await control<Array<{ id: string; lists: Array<{ displayName: string; items: number | null }> }>>(
          app.emulator,
          'GET',
          'sites',
        )
      ).body
        .find((s) => s.id === team.id)!
        .lists.filter((l) => l.displayName === title)
        .map((l) => l.items);
    const [before] = (await teamListItems(list.displayName)) as number[];
    const done = await restore({
      protectedItemId: itemOf(intranet),
      seq: 2,
      selection: { folders: [general.itemId, list.id] },
      target: { type: 'site', site: team.webUrl },
    });
    expect(done).toMatchObject({
      status: 'completed',
      counts: { total: files.length + listItems.length, restored: files.length + listItems.length, failed: 0 },
    });
    const teamDrive = team.lists.find((l) => l.name === 'Shared Documents')!.driveId!;
    const entries = await tree(teamDrive);
    const root = entries.find((e) => e.root)!;
    const folder = entries.find(
      (e) => e.parentId === root.id && /^Restored \d{4}-\d\d-\d\d \d\d-\d\d UTC - .+ - Documents$/.test(e.name),
    )!;
    expect(folder.name).toContain(intranet.displayName);
    const copied = entries.find((e) => e.parentId === folder.id && e.name === 'General')!;
    for (const f of files) {
      const copy = entries.find((e) => e.parentId === copied.id && e.name === f.props.name)!;
      expect({ name: f.props.name, sha: sha(await bytesOf(teamDrive, copy.id)) }).toEqual({
        name: f.props.name,
        sha: sha(await stored(f)),
      });
    }
    // The team site has a list of that title (every generated site has): the items are added to it.
    expect(await teamListItems(list.displayName)).toEqual([before + listItems.length]);

    // Overwrite behaviours are for the item's own site.
    const refused = await app.admin.call<{ error: { message: string } }>('POST', `${api}/${accountId}/restores`, {
      protectedItemId: itemOf(intranet),
      seq: 2,
      selection: { folders: [general.itemId] },
      target: { type: 'site', site: team.webUrl, overwriteBehavior: 'skip' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/overwriteBehavior/);
  });

  it("backs up each site's pages with their canvas, an edit as a new version, and restores a deleted page with its web parts", async () => {
    interface EmuPage {
      id: string;
      name: string;
      title: string;
      canvasLayout: { horizontalSections: unknown[] };
    }
    const pagesOf = async (siteId: string) =>
      (await control<EmuPage[]>(app.emulator, 'GET', `sites/${encodeURIComponent(siteId)}/pages`)).body;
    const before = await pagesOf(intranet.id);
    expect(before.map((p) => p.name).sort()).toEqual(['Home.aspx', 'Quarterly-update.aspx']);
    const [first] = await pointsOf(itemOf(intranet));
    const stored = async (seq: number) =>
      (await versions.view(itemOf(intranet), seq).fetchAll()).resources.filter((d) => d.kind === 'sitePage');
    // Every page as Graph served it, canvas included, in a "Site Pages" folder.
    const atFirst = await stored(first.seq);
    expect(atFirst.find((d) => d.props.folder)?.props.name).toBe('Site Pages');
    for (const page of before) {
      const doc = atFirst.find((d) => d.itemId === page.id)!;
      const json = JSON.parse((await env.stored(doc)).toString('utf8')) as EmuPage;
      expect({ title: json.title, canvasLayout: json.canvasLayout }).toEqual({
        title: page.title,
        canvasLayout: page.canvasLayout,
      });
    }

    const home = before.find((p) => p.name === 'Home.aspx')!;
    const news = before.find((p) => p.name !== 'Home.aspx')!;
    const pagePath = (p: EmuPage) => `sites/${encodeURIComponent(intranet.id)}/pages/${p.id}`;
    await control(app.emulator, 'PATCH', pagePath(home), { html: '<p>Edited after the backup</p>' });
    await control(app.emulator, 'DELETE', pagePath(news));
    const done = await app.admin.runJob(accountId, jobId, 120_000);
    expect(done.status).toBe('success');
    const [latest] = await pointsOf(itemOf(intranet));
    const atLatest = await stored(latest.seq);
    expect(atLatest.some((d) => d.itemId === news.id)).toBe(false);
    expect(atLatest.find((d) => d.itemId === home.id)!.validFrom).toBe(latest.seq);
    // Found by its title.
    const search = await app.reader.call<{ value: Array<{ id: string }> }>(
      'GET',
      `${api}/${accountId}/protected-items/${encodeURIComponent(itemOf(intranet))}/search?q=quarterly&fromSeq=${first.seq}&toSeq=${first.seq}`,
    );
    expect(search.body.value.map((v) => v.id)).toContain(news.id);

    // The deleted page comes back with its web parts; the edited one is skipped, then kept beside as a copy.
    const skip = await restore({
      protectedItemId: itemOf(intranet),
      seq: first.seq,
      selection: { items: [news.id, home.id] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    expect(skip).toMatchObject({ status: 'completed', counts: { restored: 1, skipped: 1, failed: 0 } });
    const rename = await restore({
      protectedItemId: itemOf(intranet),
      seq: first.seq,
      selection: { items: [home.id] },
      target: { type: 'original', overwriteBehavior: 'rename' },
    });
    expect(rename).toMatchObject({ status: 'completed', counts: { restored: 1, failed: 0 } });
    const after = await pagesOf(intranet.id);
    const back = after.find((p) => p.name === news.name)!;
    expect({ title: back.title, canvasLayout: back.canvasLayout }).toEqual({
      title: news.title,
      canvasLayout: news.canvasLayout,
    });
    expect(after.find((p) => p.name === 'Home (1).aspx')?.canvasLayout).toEqual(home.canvasLayout);
    expect(after.find((p) => p.name === 'Home.aspx')?.canvasLayout).not.toEqual(home.canvasLayout);
  });

  it('keeps who had access once the job asks for sharing permissions: site groups inherited, a person and a link, a re-share', async () => {
    const entries = await tree(driveId);
    const root = entries.find((e) => e.root)!;
    const folder = entries.find((e) => e.folder && e.parentId === root.id)!;
    const file = entries.find((e) => !e.folder && e.parentId === folder.id)!;
    const [adele, alex] = app.tenant.users.filter((u) => u.licensed);
    const share = (id: string, body: Record<string, unknown>) =>
      control(app.emulator, 'POST', `drive/${driveId}/files/${encodeURIComponent(id)}/permissions`, body);
    await share(file.id, { roles: ['read'], user: adele.userPrincipalName });
    await share(folder.id, { roles: ['write'], link: { type: 'edit', scope: 'organization' } });
    const jobPath = `${api}/${accountId}/jobs/${jobId}`;
    const job = await app.admin.call<{ options: Record<string, unknown> }>('GET', jobPath);
    const patched = await app.admin.call(
      'PATCH',
      jobPath,
      { options: { ...job.body.options, sharingPermissions: true } },
      { headers: { 'if-match': job.headers.get('etag')! } },
    );
    expect(patched.status).toBe(200);

    // The first run with it lists every library whole again: each item gets a version with its permissions.
    const first = await app.admin.runJob(accountId, jobId, 120_000);
    // (Its bytes are those of the files the restore above put into the team site, new to it.)
    expect(first).toMatchObject({ status: 'success' });
    const base = `${api}/${accountId}/protected-items/${encodeURIComponent(itemOf(intranet))}/recovery-points`;
    type Permission = {
      roles: string[];
      grantedToV2?: { user?: { displayName: string }; siteGroup?: { displayName: string } };
      link?: { type: string; scope: string };
      inheritedFrom?: { id: string };
    };
    const permissions = async (seq: number, id: string) =>
      (
        await app.reader.call<{ properties: { permissions: Permission[] } }>(
          'GET',
          `${base}/${seq}/preview?itemId=${encodeURIComponent(id)}`,
        )
      ).body.properties.permissions;
    const [point] = await pointsOf(itemOf(intranet));
    const seen = await permissions(point.seq, file.id);
    expect(seen.map((p) => p.grantedToV2?.siteGroup?.displayName).filter(Boolean)).toEqual([
      `${intranet.displayName} Owners`,
      `${intranet.displayName} Members`,
      `${intranet.displayName} Visitors`,
    ]);
    expect(seen).toContainEqual(
      expect.objectContaining({
        roles: ['write'],
        link: { type: 'edit', scope: 'organization' },
        inheritedFrom: expect.objectContaining({ id: folder.id }),
      }),
    );
    expect(seen).toContainEqual(
      expect.objectContaining({
        roles: ['read'],
        grantedToV2: { user: expect.objectContaining({ displayName: adele.displayName }) },
      }),
    );
    expect(seen.find((p) => p.grantedToV2?.user)?.inheritedFrom).toBeUndefined();

    // A re-share moves no eTag: the file alone gets a new version, without a download.
    await share(file.id, { roles: ['write'], user: alex.userPrincipalName });
    const second = await app.admin.runJob(accountId, jobId, 120_000);
    expect(second).toMatchObject({ status: 'success', written: 1, bytes: 0 });
    const [latest] = await pointsOf(itemOf(intranet));
    const users = async (seq: number) =>
      (await permissions(seq, file.id)).flatMap((p) => (p.grantedToV2?.user ? [p.grantedToV2.user.displayName] : []));
    expect(await users(latest.seq)).toEqual([adele.displayName, alex.displayName]);
    expect(await users(point.seq)).toEqual([adele.displayName]);
  });
});
