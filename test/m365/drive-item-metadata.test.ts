// Drive item metadata a backup records: who created and last changed an item (createdBy / lastModifiedBy identity
// sets), and the eTag moving on any change while the cTag moves only with the content (a rename changes the eTag).
import { followPages, json, startTestEmulator, TestEmulator } from './support';

type Json = Record<string, any>;

describe('drive item metadata', () => {
  let t: TestEmulator;

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'drive-item-metadata', profile: 'demo' });
  });
  afterAll(() => t?.stop());

  const delta = async (driveId: string, link = `/drives/${driveId}/root/delta`) => {
    const pages = await followPages(t, link);
    return { items: pages.flatMap((p) => p.value as Json[]), deltaLink: pages.at(-1)!['@odata.deltaLink'] as string };
  };

  it("names a OneDrive's owner and a library's member as creator and last modifier, the same on every read", async () => {
    const user = t.em.tenant().directory.correspondents()[0];
    const oneDrive = (await json(await t.graph('GET', `/users/${user.userPrincipalName}/drive`))).id as string;
    for (const item of (await delta(oneDrive)).items) {
      expect(item.createdBy).toEqual({ user: { id: user.id, displayName: user.displayName, email: user.mail } });
      expect(item.lastModifiedBy).toEqual(item.createdBy);
    }
    const site = (await t.control<Array<{ lists: Array<{ driveId: string | null }> }>>('GET', 'sites')).body[0];
    const library = site.lists.find((l) => l.driveId)!.driveId!;
    const first = (await delta(library)).items;
    const members = new Set(
      t.em
        .tenant()
        .directory.correspondents()
        .map((u) => u.id),
    );
    for (const item of first) {
      expect(members.has(item.createdBy.user.id)).toBe(true);
      expect(item.lastModifiedBy).toEqual(item.createdBy);
    }
    const again = (await delta(library)).items;
    expect(again.map((i) => i.createdBy)).toEqual(first.map((i) => i.createdBy));
  });

  it('moves the eTag and not the cTag on a rename, and both on new content', async () => {
    const site = (await t.control<Array<{ lists: Array<{ driveId: string | null }> }>>('GET', 'sites')).body[0];
    const driveId = site.lists.find((l) => l.driveId)!.driveId!;
    const start = await delta(driveId);
    const file = start.items.find((i) => i.file)!;
    const path = `drive/${encodeURIComponent(driveId)}/files/${encodeURIComponent(file.id)}`;
    await t.control('PATCH', path, { name: `Renamed ${file.name}` });
    const renamed = (await delta(driveId, start.deltaLink)).items.find((i) => i.id === file.id)!;
    expect(renamed.name).toBe(`Renamed ${file.name}`);
    expect(renamed.eTag).not.toBe(file.eTag);
    expect(renamed.cTag).toBe(file.cTag);
    // The eTag an If-Match names is the current one: the one before the rename is stale.
    const stale = await t.graph('DELETE', `/drives/${driveId}/items/${file.id}`, {
      headers: { 'if-match': file.eTag },
    });
    expect(stale.status).toBe(412);
    await t.control('PATCH', path, { content: Buffer.from('new bytes').toString('base64') });
    const item = await json(await t.graph('GET', `/drives/${driveId}/items/${file.id}`));
    expect(item.cTag).not.toBe(renamed.cTag);
    expect(item.eTag).not.toBe(renamed.eTag);
    expect(item.eTag).not.toBe(file.eTag);
  });
});
