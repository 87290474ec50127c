// Directory reads and delta (graph-semantics.md §1.5, §1.6; acceptance check 11 directory part is in access.test):
// default property sets, $select/$filter/paging, users delta with $deltaToken=latest, $select-aware changes,
// Prefer: return=minimal, @removed changed/deleted; groups delta with members@delta; 410 + Location.
import { json, startTestEmulator, TestEmulator } from './support';

describe('directory', () => {
  let t: TestEmulator;

  async function round(
    first: string,
    headers: Record<string, string> = {},
  ): Promise<{ items: any[]; deltaLink: string }> {
    const items: any[] = [];
    let url: string | undefined = first;
    let deltaLink = '';
    while (url) {
      const page: Record<string, any> = await json(await t.graph('GET', url, { headers }));
      items.push(...page.value);
      url = page['@odata.nextLink'];
      deltaLink = page['@odata.deltaLink'] ?? deltaLink;
    }
    return { items, deltaLink };
  }

  beforeAll(async () => {
    t = await startTestEmulator({
      seed: 'directory',
      profile: {
        licensedUsers: 6,
        sharedMailboxes: 1,
        messages: {},
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 0,
        largeEvery: 0,
        unlicensedUsers: 1,
        deletedUsers: 2,
        groups: { unified: 2, teams: 1, security: 1, membersPerGroup: 3 },
      },
    });
  });
  afterAll(() => t?.stop());

  it('lists users with the default properties, $select, $filter and $top paging; soft-deleted users only in deletedItems', async () => {
    const all = await round('/users?$top=4');
    expect(all.items).toHaveLength(6 + 1 + 1 + 1);
    expect(Object.keys(all.items[0]).sort()).toEqual([
      'businessPhones',
      'displayName',
      'givenName',
      'id',
      'jobTitle',
      'mail',
      'mobilePhone',
      'officeLocation',
      'preferredLanguage',
      'surname',
      'userPrincipalName',
    ]);
    const selected = await json(await t.graph('GET', '/users?$select=id,assignedLicenses,userType,accountEnabled'));
    expect(selected['@odata.context']).toMatch(/#users\(id,assignedLicenses,userType,accountEnabled\)$/);
    expect(selected.value.filter((u: any) => u.assignedLicenses.length > 0)).toHaveLength(6);
    expect(selected.value.find((u: any) => u.userType === 'Guest')).toBeDefined();
    const shared = await json(
      await t.graph(
        'GET',
        `/users?$filter=${encodeURIComponent("accountEnabled eq false and startswith(userPrincipalName,'info')")}&$select=id,userPrincipalName`,
      ),
    );
    expect(shared.value.map((u: any) => u.userPrincipalName)).toEqual(['info@directory.onmicrosoft.com']);
    const deleted = await json(await t.graph('GET', '/directory/deletedItems/microsoft.graph.user'));
    expect(deleted.value).toHaveLength(2);
    expect((await t.graph('GET', `/users/${deleted.value[0].id}`)).status).toBe(404);
    const byUpn = await json(await t.graph('GET', `/users/${all.items[0].userPrincipalName}?$select=id,department`));
    expect(byUpn).toMatchObject({ id: all.items[0].id, department: expect.any(String) });
    const bad = await t.graph('GET', `/users?$filter=${encodeURIComponent('displayName wibble 3')}`);
    expect(bad.status).toBe(400);
  });

  it('starts users delta from now with $deltaToken=latest and reports only selected-property changes, removals with their reason', async () => {
    const latest = await json(await t.graph('GET', '/users/delta?$select=displayName,jobTitle&$deltaToken=latest'));
    expect(latest.value).toEqual([]);
    expect(latest['@odata.deltaLink']).toMatch(/\$deltatoken=/);
    const [a, b, c, d] = t.em.tenant().directory.correspondents();
    await t.control('PATCH', `directory/users/${a.id}`, { jobTitle: 'Chief Backup Officer' });
    await t.control('PATCH', `directory/users/${b.id}`, { officeLocation: 'Nowhere' }); // not selected: not reported
    await t.control('DELETE', `directory/users/${c.id}`);
    await t.control('DELETE', `directory/users/${d.id}?permanent=true`);
    const next = await round(latest['@odata.deltaLink']);
    expect(next.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: a.id, jobTitle: 'Chief Backup Officer', displayName: a.displayName }),
        { id: c.id, '@removed': { reason: 'changed' } },
        { id: d.id, '@removed': { reason: 'deleted' } },
      ]),
    );
    expect(next.items).toHaveLength(3);
    await t.control('POST', `directory/users/${c.id}/restore`);
    await t.control('PATCH', `directory/users/${a.id}`, { displayName: 'Adele V.' });
    const minimal = await round(next.deltaLink, { prefer: 'return=minimal' });
    expect(minimal.items).toEqual(
      expect.arrayContaining([
        { id: a.id, displayName: 'Adele V.' },
        expect.objectContaining({ id: c.id, displayName: c.displayName }),
      ]),
    );
  });

  it('tracks group membership with members@delta (additions, and removals with @removed)', async () => {
    const first = await round('/groups/delta?$select=displayName,groupTypes,resourceProvisioningOptions,members');
    expect(first.items).toHaveLength(3);
    const team = first.items.find((g: any) => g.resourceProvisioningOptions.includes('Team'));
    expect(team.groupTypes).toEqual(['Unified']);
    expect(team['members@delta'].length).toBeGreaterThan(0);
    expect(team['members@delta'][0]).toEqual({ '@odata.type': '#microsoft.graph.user', id: expect.any(String) });
    const people = t.em
      .tenant()
      .directory.correspondents()
      .map((u) => u.id);
    const current = team['members@delta'].map((m: any) => m.id) as string[];
    const newcomer = people.find((p) => !current.includes(p))!;
    await t.control('POST', `directory/groups/${team.id}/members`, { add: [newcomer], remove: [current[0]] });
    const next = await round(first.deltaLink);
    expect(next.items).toHaveLength(1);
    expect(next.items[0]['members@delta']).toEqual(
      expect.arrayContaining([
        { '@odata.type': '#microsoft.graph.user', id: newcomer },
        { '@odata.type': '#microsoft.graph.user', id: current[0], '@removed': { reason: 'deleted' } },
      ]),
    );
    const members = await json(await t.graph('GET', `/groups/${team.id}/members?$select=id,displayName`));
    expect(members.value.map((m: any) => m.id)).toContain(newcomer);
    expect(members.value[0]['@odata.type']).toBe('#microsoft.graph.user');
    const unified = await json(
      await t.graph('GET', `/groups?$filter=${encodeURIComponent("groupTypes/any(c:c eq 'Unified')")}`),
    );
    expect(unified.value).toHaveLength(2);
  });

  it('answers 410 with a Location for a full resync once directory tokens expire: on demand, or after 7 days', async () => {
    const first = await round('/users/delta?$select=displayName');
    await t.control('POST', 'expire-tokens', {});
    const res = await t.graph('GET', first.deltaLink);
    expect(res.status).toBe(410);
    expect(res.headers.get('location')).toMatch(/\/users\/delta\?\$deltatoken=$/);
    expect((await json(res)).error.code).toBe('resyncRequired');
    const fresh = await round('/groups/delta');
    await t.control('POST', 'clock', { advanceSeconds: 6 * 86_400 });
    // The emulator's clock moved: its access tokens from before are expired too.
    let token = await t.token('m365-vault backup', { fresh: true });
    expect((await t.graph('GET', fresh.deltaLink, { token })).status).toBe(200);
    await t.control('POST', 'clock', { advanceSeconds: 2 * 86_400 });
    token = await t.token('m365-vault backup', { fresh: true });
    expect((await t.graph('GET', fresh.deltaLink, { token })).status).toBe(410);
  });
});
