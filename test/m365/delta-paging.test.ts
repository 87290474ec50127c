// Paging and defaults of delta functions, and Graph's 401 challenge: calendarView delta pages counted in instances
// (occurrences and exceptions) under Prefer: odata.maxpagesize, a series split across pages; groups delta with
// members@delta when no $select names properties; $skip on channel message delta; WWW-Authenticate on every 401.
// Raw HTTP and @microsoft/microsoft-graph-client.
import { PageCollection, PageIterator } from '@microsoft/microsoft-graph-client';
import { BEARER_CHALLENGE } from '../../local/m365/graph/errors';
import { followPages, json, startTestEmulator, TestEmulator } from './support';

type Json = Record<string, any>;

const WINDOW = 'startDateTime=2020-01-01T00:00:00Z&endDateTime=2030-01-01T00:00:00Z';

describe('delta paging and defaults', () => {
  let t: TestEmulator;
  let user: string;

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'delta-paging', profile: 'demo' });
    await t.control('PUT', 'teams-throttle', { requestsPerSecond: null });
    user = t.em.tenant().directory.correspondents()[0].userPrincipalName;
  });
  afterAll(() => t?.stop());

  it('counts calendarView delta pages in instances: maxpagesize 5 gives pages of 5 across series, every instance once', async () => {
    const all = (await followPages(t, `/users/${user}/calendarView?${WINDOW}&$top=1000`)).flatMap(
      (p) => p.value,
    ) as Json[];
    expect(all.filter((e) => e.type === 'occurrence').length).toBeGreaterThan(10);
    const pages = await followPages(t, `/users/${user}/calendarView/delta?${WINDOW}`, {
      prefer: 'odata.maxpagesize=5',
    });
    const items = pages.flatMap((p) => p.value) as Json[];
    expect(pages.slice(0, -1).every((p) => p.value.length === 5)).toBe(true);
    expect(pages.at(-1)!.value.length).toBeLessThanOrEqual(5);
    expect(items.map((e) => e.id).sort()).toEqual(all.map((e) => e.id).sort());

    // A change to a series comes back as its instances, paged the same way.
    const series = all.find((e) => e.type === 'occurrence')!.seriesMasterId as string;
    expect(
      (await t.graph('PATCH', `/users/${user}/events/${series}`, { body: { subject: 'Moved to the big room' } }))
        .status,
    ).toBe(200);
    const next = await followPages(t, pages.at(-1)!['@odata.deltaLink'], { prefer: 'odata.maxpagesize=5' });
    const changed = next.flatMap((p) => p.value) as Json[];
    const instances = all.filter((e) => e.seriesMasterId === series);
    expect(next.length).toBe(Math.ceil(instances.length / 5));
    expect(changed.map((e) => e.id).sort()).toEqual(instances.map((e) => e.id).sort());
    expect(changed.every((e) => e.subject === 'Moved to the big room')).toBe(true);
  });

  it("iterates the same instance pages with the SDK's PageIterator", async () => {
    const client = t.client();
    const first = (await client
      .api(`/users/${user}/calendarView/delta?${WINDOW}`)
      .header('Prefer', 'odata.maxpagesize=4')
      .get()) as PageCollection;
    expect(first.value).toHaveLength(4);
    const seen: string[] = [];
    await new PageIterator(client, first, (e: { id: string }) => Boolean(seen.push(e.id)), {
      headers: { Prefer: 'odata.maxpagesize=4' },
    }).iterate();
    expect(new Set(seen).size).toBe(seen.length);
    const all = (await followPages(t, `/users/${user}/calendarView?${WINDOW}&$top=1000`)).flatMap(
      (p) => p.value,
    ) as Json[];
    expect(seen.length).toBe(all.length);
  });

  it('gives groups delta members@delta without $select, and only when $select names members otherwise', async () => {
    const plain = (await followPages(t, '/groups/delta')).flatMap((p) => p.value) as Json[];
    expect(plain.length).toBeGreaterThan(0);
    for (const g of plain) {
      expect(g['members@delta']).toEqual(expect.any(Array));
      expect(g).toHaveProperty('displayName');
    }
    const unified = plain.find((g) => g.groupTypes.includes('Unified'))!;
    expect(unified['members@delta'].length).toBeGreaterThan(0);
    const named = (await followPages(t, '/groups/delta?$select=displayName')).flatMap((p) => p.value) as Json[];
    expect(named.every((g) => !('members@delta' in g))).toBe(true);
    const sdk = await t.client().api('/groups/delta').get();
    expect(sdk.value.find((g: Json) => g.id === unified.id)['members@delta']).toEqual(unified['members@delta']);
  });

  it('skips the first $skip messages of a channel message delta round, and carries it in the links', async () => {
    const team = (await t.control<Json[]>('GET', 'teams')).body[0];
    const path = `/teams/${team.id}/channels/${encodeURIComponent(team.channels[0].id)}/messages/delta`;
    const whole = (await followPages(t, `${path}?$top=2`)).flatMap((p) => p.value) as Json[];
    const skipped = await followPages(t, `${path}?$top=2&$skip=3`);
    expect(skipped[0]['@odata.nextLink']).not.toMatch(/\$skip=/);
    expect(skipped.flatMap((p) => p.value).map((m: Json) => m.id)).toEqual(whole.slice(3).map((m) => m.id));
    expect((await t.graph('GET', `${path}?$skip=-1`)).status).toBe(400);
    const sdk = await t.client().api(path).top(2).skip(3).get();
    expect(sdk.value.map((m: Json) => m.id)).toEqual(whole.slice(3, 5).map((m) => m.id));
  });

  it("answers every 401 with Graph's WWW-Authenticate challenge", async () => {
    for (const token of ['', 'not.a.jwt', `${(await t.token()).slice(0, -4)}AAAA`]) {
      const res = await t.fetch(`${t.em.graphBaseUrl}/users`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      );
      expect((await json(res)).error.code).toBe('InvalidAuthenticationToken');
    }
    const batch = await t.fetch(`${t.em.graphBaseUrl}/$batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requests: [{ id: '1', method: 'GET', url: '/users' }] }),
    });
    expect(batch.status).toBe(401);
    expect(batch.headers.get('www-authenticate')).toBe(BEARER_CHALLENGE);
  });
});
