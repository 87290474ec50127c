// $select is parsed against the v1.0 type: an unknown property is a 400 "Could not find a property named '…' on type
// 'microsoft.graph.…'", with Outlook's own code (RequestBroker--ParseUri) for messages, events and contacts and the
// OData layer's (BadRequest, "Parsing OData Select and Expand failed: …") for the other types. Known properties
// (relationships included) pass. Raw HTTP for every type, @microsoft/microsoft-graph-client for its error shape.
import { json, startTestEmulator, TestEmulator } from './support';

type Json = Record<string, any>;

describe('$select validation', () => {
  let t: TestEmulator;
  let user: string;
  const paths = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'select', profile: 'demo' });
    await t.control('PUT', 'teams-throttle', { requestsPerSecond: null });
    user = t.em.tenant().directory.correspondents()[0].id;
    const group = (await json(await t.graph('GET', '/groups?$top=1'))).value[0] as Json;
    const message = (await json(await t.graph('GET', `/users/${user}/messages?$top=1`))).value[0] as Json;
    const drive = await json(await t.graph('GET', `/users/${user}/drive`));
    const sites = (await t.control<Json[]>('GET', 'sites')).body;
    const site = sites.find((s) => s.lists.some((l: Json) => l.template === 'genericList'))!;
    const list = site.lists.find((l: Json) => l.template === 'genericList');
    const team = (await t.control<Json[]>('GET', 'teams')).body[0];
    const channel = `/teams/${team.id}/channels/${encodeURIComponent(team.channels[0].id)}/messages`;
    const contact = (await json(await t.graph('GET', `/users/${user}/contacts?$top=1`))).value[0] as Json;
    paths.set('user', `/users/${user}`).set('users', '/users').set('users delta', '/users/delta');
    paths.set('group', `/groups/${group.id}`).set('groups delta', '/groups/delta');
    paths
      .set('message', `/users/${user}/messages/${message.id}`)
      .set('messages', `/users/${user}/messages`)
      .set('message delta', `/users/${user}/mailFolders/inbox/messages/delta`);
    paths.set('mailFolder', `/users/${user}/mailFolders/inbox`);
    paths
      .set('events', `/users/${user}/events`)
      .set(
        'calendarView',
        `/users/${user}/calendarView?startDateTime=2020-01-01T00:00:00Z&endDateTime=2030-01-01T00:00:00Z`,
      );
    paths
      .set('contact', `/users/${user}/contacts/${contact.id}`)
      .set('contacts delta', `/users/${user}/contacts/delta`);
    paths
      .set('driveItem', `/drives/${drive.id}/root`)
      .set('children', `/drives/${drive.id}/root/children`)
      .set('drive delta', `/drives/${drive.id}/root/delta`);
    paths
      .set('site', `/sites/${site.id}`)
      .set('list', `/sites/${site.id}/lists/${list.id}`)
      .set('lists', `/sites/${site.id}/lists`);
    paths.set('chatMessages', channel).set('chatMessage delta', `${channel}/delta`);
  });
  afterAll(() => t?.stop());

  const withSelect = (path: string, select: string): string =>
    `${path}${path.includes('?') ? '&' : '?'}$select=${select}`;

  it.each([
    ['user', 'user'],
    ['users', 'user'],
    ['users delta', 'user'],
    ['group', 'group'],
    ['groups delta', 'group'],
    ['driveItem', 'driveItem'],
    ['children', 'driveItem'],
    ['drive delta', 'driveItem'],
    ['site', 'site'],
    ['list', 'list'],
    ['lists', 'list'],
    ['chatMessages', 'chatMessage'],
    ['chatMessage delta', 'chatMessage'],
  ])('%s: an unknown property is a 400 BadRequest naming it and microsoft.graph.%s', async (name, type) => {
    const res = await t.graph('GET', withSelect(paths.get(name)!, 'id,notAProperty'));
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({
      code: 'BadRequest',
      message: `Parsing OData Select and Expand failed: Could not find a property named 'notAProperty' on type 'microsoft.graph.${type}'.`,
    });
  });

  it.each([
    ['message', 'message'],
    ['messages', 'message'],
    ['message delta', 'message'],
    ['mailFolder', 'mailFolder'],
    ['events', 'event'],
    ['calendarView', 'event'],
    ['contact', 'contact'],
    ['contacts delta', 'contact'],
  ])(
    '%s: Outlook answers RequestBroker--ParseUri for an unknown property of microsoft.graph.%s',
    async (name, type) => {
      const res = await t.graph('GET', withSelect(paths.get(name)!, 'id,isJunk'));
      expect(res.status).toBe(400);
      expect((await json(res)).error).toMatchObject({
        code: 'RequestBroker--ParseUri',
        message: `Could not find a property named 'isJunk' on type 'microsoft.graph.${type}'.`,
      });
    },
  );

  it('takes v1.0 properties and relationships in any case, beta-only ones are unknown', async () => {
    for (const [name, select] of [
      ['user', 'ID,displayName,assignedLicenses,manager'],
      ['groups delta', 'displayName,members'],
      ['message', 'subject,uniqueBody,singleValueExtendedProperties'],
      ['driveItem', 'id,@microsoft.graph.downloadUrl,malware'],
      ['site', 'displayName,siteCollection'],
      ['chatMessages', 'body,replyToId'],
    ] as const) {
      expect((await t.graph('GET', withSelect(paths.get(name)!, select))).status).toBe(200);
    }
    // mailFolder.wellKnownName and user.signInSessionsValidFrom… are beta; message.isJunk does not exist at all.
    expect(
      (await json(await t.graph('GET', withSelect(paths.get('mailFolder')!, 'wellKnownName')))).error.message,
    ).toMatch(/'wellKnownName' on type 'microsoft.graph.mailFolder'/);
  });

  it('reaches @microsoft/microsoft-graph-client as a GraphError with status, code and message', async () => {
    const error = await t
      .client()
      .api(`/users/${user}/messages`)
      .select(['subject', 'meetingMessageType'])
      .get()
      .catch((e: Json) => e);
    expect(error).toMatchObject({
      statusCode: 400,
      code: 'RequestBroker--ParseUri',
      message: "Could not find a property named 'meetingMessageType' on type 'microsoft.graph.message'.",
    });
    const users = await t.client().api('/users').select(['displayName', 'mail']).top(2).get();
    expect(users.value).toHaveLength(2);
  });
});
