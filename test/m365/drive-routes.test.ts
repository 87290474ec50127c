// Drive routes a backup and a restore meet: DELETE of an item (204; it leaves the drive for the recycle bin with
// what is below it, and root delta reports each as deleted), `/drives/{d}/root/children` and
// `/users/{u}/drive/root/children`. Raw HTTP and @microsoft/microsoft-graph-client.
import { followPages, json, startTestEmulator, TestEmulator } from './support';

type Json = Record<string, any>;

const PROFILE = {
  licensedUsers: 1,
  sharedMailboxes: 0,
  messages: {},
  filesPerDrive: 6,
  fileBytes: { min: 100, max: 200 },
  attachmentEvery: 0,
  largeEvery: 0,
};

describe('drive routes', () => {
  let t: TestEmulator;
  let user: string;
  let driveId: string;

  async function deltaRound(link: string): Promise<{ items: Json[]; deltaLink: string }> {
    const pages = await followPages(t, link);
    return { items: pages.flatMap((p) => p.value), deltaLink: pages.at(-1)!['@odata.deltaLink'] };
  }

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'drive-routes', profile: PROFILE });
    user = t.em.tenant().directory.correspondents()[0].userPrincipalName;
    driveId = (await json(await t.graph('GET', `/users/${user}/drive`))).id;
  });
  afterAll(() => t?.stop());

  it("lists the root's children through /drives/{d}/root/children and /users/{u}/drive/root/children alike", async () => {
    const byDrive = await json(await t.graph('GET', `/drives/${driveId}/root/children`));
    const byUser = await json(await t.graph('GET', `/users/${user}/drive/root/children?$select=id,name`));
    expect(byDrive.value.length).toBeGreaterThan(2);
    expect(byDrive.value.every((i: Json) => i.parentReference.id === `${driveId}!root`)).toBe(true);
    expect(byUser.value.map((i: Json) => i.id)).toEqual(byDrive.value.map((i: Json) => i.id));
    expect(Object.keys(byUser.value[0]).sort()).toEqual(['id', 'name']);
    const client = await t.client().api(`/users/${user}/drive/root/children`).get();
    expect(client.value.map((i: Json) => i.id)).toEqual(byDrive.value.map((i: Json) => i.id));
  });

  it('DELETE answers 204; the item and everything below it are gone, and delta reports each deleted', async () => {
    const start = await deltaRound(`/drives/${driveId}/root/delta`);
    const folder = start.items.find((i) => i.folder && !i.root)!;
    const below = start.items.filter((i) => i.parentReference?.id === folder.id).map((i) => i.id);
    expect(below.length).toBeGreaterThan(0);
    const res = await t.graph('DELETE', `/drives/${driveId}/items/${folder.id}`);
    expect(res.status).toBe(204);
    expect((await t.graph('GET', `/drives/${driveId}/items/${folder.id}`)).status).toBe(404);
    expect((await t.graph('GET', `/drives/${driveId}/items/${below[0]}`)).status).toBe(404);
    const next = await deltaRound(start.deltaLink);
    expect(next.items.map((i) => i.id).sort()).toEqual([folder.id, ...below].sort());
    expect(next.items.every((i) => i.deleted?.state === 'deleted')).toBe(true);
    // Gone is gone: a second delete is a 404; the root cannot be deleted.
    expect((await t.graph('DELETE', `/drives/${driveId}/items/${folder.id}`)).status).toBe(404);
    expect((await t.graph('DELETE', `/drives/${driveId}/items/root`)).status).toBe(403);
  });

  it('honours If-Match (412 on a stale eTag), and deletes through the SDK', async () => {
    const files = (await deltaRound(`/drives/${driveId}/root/delta`)).items.filter((i) => i.file);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const [a, b] = files;
    const stale = await t.graph('DELETE', `/drives/${driveId}/items/${a.id}`, {
      headers: { 'if-match': '"{stale},0"' },
    });
    expect(stale.status).toBe(412);
    expect((await json(stale)).error.code).toBe('resourceModified');
    expect(
      (await t.graph('DELETE', `/drives/${driveId}/items/${a.id}`, { headers: { 'if-match': a.eTag } })).status,
    ).toBe(204);
    await t.client().api(`/users/${user}/drive/items/${b.id}`).delete();
    expect((await t.graph('GET', `/drives/${driveId}/items/${b.id}`)).status).toBe(404);
    // A read-only app may not delete.
    const c = files[2];
    const denied = await t.graph('DELETE', `/drives/${driveId}/items/${c.id}`, {
      token: await t.token('m365-vault read-only backup'),
    });
    expect(denied.status).toBe(403);
  });
});
