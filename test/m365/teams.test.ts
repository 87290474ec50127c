// Microsoft Teams as a backup reads and restores it (graph-semantics.md §1.7 chatMessage delta, §2.4 Teams
// throttling, §4 errors): response shapes over raw HTTP, channel message delta rounds (new message, new reply brings
// its root back, edit, soft delete, $filter, 410), $top limits, 404/403/402, migration-mode import vs 403 outside it,
// the per-team rate limit, and the SDK's PageIterator over a delta round.
import { PageCollection, PageIterator } from '@microsoft/microsoft-graph-client';
import { followPages, json, startTestEmulator, TestEmulator } from './support';

type Json = Record<string, any>;

describe('teams', () => {
  let t: TestEmulator;
  let teamId: string;
  let channels: Array<{ id: string; displayName: string; membershipType: string }>;
  const general = (): string => channels[0].id;
  const messagesOf = (channelId: string): string => `/teams/${teamId}/channels/${channelId}/messages`;

  /** Pages of one delta round, from its first link to its deltaLink. */
  async function deltaRound(link: string): Promise<{ pages: Json[]; items: Json[]; deltaLink: string }> {
    const pages = await followPages(t, link);
    return { pages, items: pages.flatMap((p) => p.value), deltaLink: pages.at(-1)!['@odata.deltaLink'] };
  }

  beforeAll(async () => {
    // A clock that moves only when told: Teams' one-second window must not pass between two calls on a busy machine.
    const start = Date.now();
    let offset = 0;
    t = await startTestEmulator({
      seed: 'teams',
      profile: 'demo',
      clock: { now: () => start + offset, advance: (ms) => void (offset += ms) },
    });
    // Most checks fire requests back to back at one team; the rate limit has its own test.
    await t.control('PUT', 'teams-throttle', { requestsPerSecond: null });
    const listed = await t.control<Json[]>('GET', 'teams');
    expect(listed.body).toHaveLength(1);
    teamId = listed.body[0].id;
    channels = listed.body[0].channels;
  });
  afterAll(() => t?.stop());

  it('finds teams among groups with the resourceProvisioningOptions filter and in /teams; GET team; 404 NotFound for a group that is not a team', async () => {
    const filtered = await json(
      await t.graph('GET', `/groups?$filter=${encodeURIComponent("resourceProvisioningOptions/Any(x:x eq 'Team')")}`),
    );
    expect(filtered.value.map((g: Json) => g.id)).toEqual([teamId]);
    const listed = await json(
      await t.graph('GET', `/teams?$filter=${encodeURIComponent(`displayName eq '${filtered.value[0].displayName}'`)}`),
    );
    expect(listed.value).toEqual([
      { id: teamId, displayName: filtered.value[0].displayName, description: filtered.value[0].description },
    ]);
    const res = await t.graph('GET', `/teams/${teamId}`);
    expect(res.status).toBe(200);
    const team = await json(res);
    expect(team).toMatchObject({
      '@odata.context': expect.stringMatching(/\$metadata#teams\/\$entity$/),
      id: teamId,
      displayName: filtered.value[0].displayName,
      isArchived: false,
      internalId: general(),
      tenantId: t.em.tenantId,
      memberSettings: expect.any(Object),
      messagingSettings: expect.any(Object),
      funSettings: expect.any(Object),
      webUrl: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\/l\/team\//),
    });
    const groups = (await json(await t.graph('GET', '/groups'))).value as Json[];
    for (const other of groups.filter((g) => g.id !== teamId)) {
      const miss = await t.graph('GET', `/teams/${other.id}`);
      expect(miss.status).toBe(404);
      expect((await json(miss)).error).toMatchObject({
        code: 'NotFound',
        message: `No team found with Group Id ${other.id}`,
      });
    }
  });

  it('lists channels (General, standard, private, optionally shared) with $filter, members of the team and of a private channel, tabs with $expand=teamsApp', async () => {
    const list = await json(await t.graph('GET', `/teams/${teamId}/channels`));
    expect(list.value.map((c: Json) => c.id)).toEqual(channels.map((c) => c.id));
    expect(list.value[0]).toEqual({
      id: general(),
      createdDateTime: expect.any(String),
      displayName: 'General',
      description: expect.any(String),
      isFavoriteByDefault: true,
      email: expect.stringMatching(/@emea\.teams\.ms$/),
      tenantId: t.em.tenantId,
      webUrl: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\/l\/channel\/19%3A/),
      membershipType: 'standard',
      isArchived: false,
    });
    expect(general()).toMatch(/^19:[0-9a-f]{32}@thread\.tacv2$/);
    const types = new Set(list.value.map((c: Json) => c.membershipType));
    expect([...types].sort()).toEqual(expect.arrayContaining(['private', 'standard']));
    const privates = await json(
      await t.graph('GET', `/teams/${teamId}/channels?$filter=${encodeURIComponent("membershipType eq 'private'")}`),
    );
    expect(privates.value.map((c: Json) => c.displayName)).toEqual(['Leadership']);
    const one = await json(await t.graph('GET', `/teams/${teamId}/channels/${privates.value[0].id}`));
    expect(one).toMatchObject({ id: privates.value[0].id, membershipType: 'private', email: '' });

    const members = await json(await t.graph('GET', `/teams/${teamId}/members`));
    const group = await json(await t.graph('GET', `/groups/${teamId}/members`));
    expect(members.value.map((m: Json) => m.userId).sort()).toEqual(group.value.map((u: Json) => u.id).sort());
    expect(members.value[0]).toEqual({
      '@odata.type': '#microsoft.graph.aadUserConversationMember',
      id: expect.any(String),
      roles: ['owner'],
      displayName: expect.any(String),
      visibleHistoryStartDateTime: '0001-01-01T00:00:00Z',
      userId: expect.any(String),
      email: expect.stringContaining('@'),
      tenantId: t.em.tenantId,
    });
    const inPrivate = await json(await t.graph('GET', `/teams/${teamId}/channels/${privates.value[0].id}/members`));
    expect(inPrivate.value.length).toBeLessThan(members.value.length + 1);
    expect(inPrivate.value[0].roles).toEqual(['owner']);

    const tabs = await json(await t.graph('GET', `/teams/${teamId}/channels/${general()}/tabs?$expand=teamsApp`));
    expect(tabs.value.length).toBeGreaterThan(1);
    expect(tabs.value[0]).toEqual({
      id: expect.any(String),
      displayName: expect.any(String),
      webUrl: expect.any(String),
      configuration: expect.objectContaining({ contentUrl: expect.any(String) }),
      sortOrderIndex: expect.any(String),
      teamsApp: {
        id: 'com.microsoft.teamspace.tab.web',
        externalId: null,
        displayName: 'Website',
        distributionMethod: 'store',
      },
    });
    const plain = await json(await t.graph('GET', `/teams/${teamId}/channels/${general()}/tabs`));
    expect(plain.value[0].teamsApp).toBeUndefined();
  });

  it('lists root messages newest first in pages of $top with $expand=replies; edited and soft-deleted messages; $top over 50 is refused', async () => {
    const pages = await followPages(t, `${messagesOf(general())}?$top=3&$expand=replies`);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages[0]['@odata.nextLink']).toMatch(/\$skiptoken=/);
    const roots = pages.flatMap((p) => p.value) as Json[];
    const created = roots.map((m) => Date.parse(m.createdDateTime));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(roots.every((m) => m.replyToId === null && Array.isArray(m.replies))).toBe(true);
    expect(roots[0]).toMatchObject({
      '@odata.type': '#microsoft.graph.chatMessage',
      etag: String(Date.parse(roots[0].lastModifiedDateTime)),
      messageType: 'message',
      channelIdentity: { teamId, channelId: general() },
      from: {
        application: null,
        device: null,
        user: {
          '@odata.type': '#microsoft.graph.teamworkUserIdentity',
          id: expect.any(String),
          displayName: expect.any(String),
          userIdentityType: 'aadUser',
          tenantId: t.em.tenantId,
        },
      },
      body: { contentType: expect.stringMatching(/^(html|text)$/), content: expect.any(String) },
    });
    const withReplies = roots.find((m) => m.replies.length > 0)!;
    expect(withReplies.replies.every((r: Json) => r.replyToId === withReplies.id)).toBe(true);
    expect(Date.parse(withReplies.lastModifiedDateTime)).toBeGreaterThanOrEqual(
      Math.max(...withReplies.replies.map((r: Json) => Date.parse(r.lastModifiedDateTime))),
    );
    const deleted = roots.find((m) => m.deletedDateTime !== null)!;
    expect(deleted.body).toEqual({ contentType: 'html', content: '' });
    expect(roots.find((m) => m.lastEditedDateTime !== null)).toBeDefined();
    const mention = roots.find((m) => m.mentions.length > 0)!;
    expect(mention.body.content).toContain(`<at id="0">${mention.mentions[0].mentionText}</at>`);

    const all = [...t.em.tenant().teams.team(teamId)!.channels.all()].flatMap((c) => [
      ...t.em.tenant().teams.team(teamId)!.messagesOf(c.id)!.roots.all(),
    ]);
    const attachment = all.find((m) => m.attachments.length > 0)!;
    expect(attachment.body.content).toContain(`<attachment id="${attachment.attachments[0].id}"></attachment>`);
    expect(all.some((m) => m.reactions.length > 0)).toBe(true);

    for (const top of ['51', '0']) {
      const bad = await t.graph('GET', `${messagesOf(general())}?$top=${top}`);
      expect(bad.status).toBe(400);
      expect((await json(bad)).error.code).toBe('BadRequest');
    }
  });

  it('gets a message, its replies and one reply; unknown ids are 404 NotFound', async () => {
    const roots = (await json(await t.graph('GET', `${messagesOf(general())}?$top=50&$expand=replies`)))
      .value as Json[];
    const root = roots.find((m) => m.replies.length > 0)!;
    const got = await json(await t.graph('GET', `${messagesOf(general())}/${root.id}`));
    expect(got).toMatchObject({ id: root.id, replyToId: null, body: root.body });
    expect(got.replies).toBeUndefined();
    const replies = await json(await t.graph('GET', `${messagesOf(general())}/${root.id}/replies`));
    expect(replies.value.map((r: Json) => r.id).sort()).toEqual(root.replies.map((r: Json) => r.id).sort());
    const reply = await json(await t.graph('GET', `${messagesOf(general())}/${root.id}/replies/${root.replies[0].id}`));
    expect(reply).toMatchObject({ id: root.replies[0].id, replyToId: root.id });
    for (const path of [
      `${messagesOf(general())}/1`,
      `${messagesOf(general())}/${root.replies[0].id}`,
      `${messagesOf('19:nope@thread.tacv2')}`,
    ]) {
      const miss = await t.graph('GET', path);
      expect(miss.status).toBe(404);
      expect((await json(miss)).error.code).toBe('NotFound');
    }
  });

  it('pages channel message delta (roots only, $top ≤ 50) and reports a new message, a new reply (root back with the chain time), an edit and a soft delete', async () => {
    const channel = channels[1].id;
    const first = await deltaRound(`${messagesOf(channel)}/delta?$top=4&$expand=replies`);
    const roots = (await json(await t.graph('GET', `${messagesOf(channel)}?$top=50`))).value as Json[];
    expect(first.pages.length).toBe(Math.ceil(roots.length / 4));
    expect(
      first.pages
        .slice(0, -1)
        .every(
          (p) =>
            p.value.length === 4 &&
            /\/messages\/delta\?\$skiptoken=/.test(p['@odata.nextLink']) &&
            !/\$top/.test(p['@odata.nextLink']),
        ),
    ).toBe(true);
    expect(first.deltaLink).toMatch(/\/messages\/delta\?\$deltatoken=/);
    expect(first.pages[0]['@odata.context']).toMatch(/\$metadata#Collection\(chatMessage\)$/);
    expect(first.items.map((m) => m.id).sort()).toEqual(roots.map((m) => m.id).sort());
    expect(first.items.every((m) => m.replyToId === null && Array.isArray(m.replies))).toBe(true);

    const posted = await t.control<{ id: string }>('POST', `teams/${teamId}/channels/${channel}/messages`, {
      body: '<p>After the backup</p>',
    });
    const second = await deltaRound(first.deltaLink);
    expect(second.items.map((m) => [m.id, m.body.content])).toEqual([[posted.body.id, '<p>After the backup</p>']]);

    const old = roots.at(-1)!;
    const reply = await t.control<{ id: string }>('POST', `teams/${teamId}/channels/${channel}/messages`, {
      body: 'A late reply',
      contentType: 'text',
      replyTo: old.id,
    });
    const third = await deltaRound(second.deltaLink);
    expect(third.items.map((m) => m.id)).toEqual([old.id]);
    const replyJson = (await t.control<Json>('GET', `teams/${teamId}/channels/${channel}/messages/${reply.body.id}`))
      .body;
    expect(third.items[0].lastModifiedDateTime).toBe(replyJson.createdDateTime);
    expect(third.items[0].replies.map((r: Json) => r.id)).toContain(reply.body.id);

    const live = roots.find((m) => m.deletedDateTime === null && m.id !== old.id)!;
    expect(
      (
        await t.control('PATCH', `teams/${teamId}/channels/${channel}/messages/${live.id}`, {
          body: 'Edited text',
          contentType: 'text',
        })
      ).status,
    ).toBe(204);
    expect((await t.control('DELETE', `teams/${teamId}/channels/${channel}/messages/${posted.body.id}`)).status).toBe(
      204,
    );
    const fourth = await deltaRound(third.deltaLink);
    const byId = new Map(fourth.items.map((m) => [m.id, m]));
    expect([...byId.keys()].sort()).toEqual([live.id, posted.body.id].sort());
    expect(byId.get(live.id)).toMatchObject({
      body: { contentType: 'text', content: 'Edited text' },
      lastEditedDateTime: expect.any(String),
      deletedDateTime: null,
    });
    expect(byId.get(posted.body.id)).toMatchObject({
      body: { contentType: 'html', content: '' },
      deletedDateTime: expect.any(String),
    });
    expect((await deltaRound(fourth.deltaLink)).items).toEqual([]);

    expect((await t.graph('GET', `${messagesOf(channel)}/delta?$top=51`)).status).toBe(400);
  });

  it('keeps $filter=lastModifiedDateTime gt … for the whole round and refuses other filters', async () => {
    const channel = channels[2].id;
    const roots = (await json(await t.graph('GET', `${messagesOf(channel)}?$top=50`))).value as Json[];
    const cut = [...roots].map((m) => m.lastModifiedDateTime).sort()[Math.floor(roots.length / 2)]!;
    const round = await deltaRound(
      `${messagesOf(channel)}/delta?$top=2&$filter=${encodeURIComponent(`lastModifiedDateTime gt ${cut}`)}`,
    );
    expect(round.items.map((m) => m.id).sort()).toEqual(
      roots
        .filter((m) => m.lastModifiedDateTime > cut)
        .map((m) => m.id)
        .sort(),
    );
    const bad = await t.graph(
      'GET',
      `${messagesOf(channel)}/delta?$filter=${encodeURIComponent(`createdDateTime gt ${cut}`)}`,
    );
    expect(bad.status).toBe(400);
  });

  it('answers 410 SyncStateNotFound for expired or garbled tokens', async () => {
    const round = await deltaRound(`${messagesOf(general())}/delta`);
    await t.control('POST', 'expire-tokens', {});
    for (const link of [round.deltaLink, `${t.em.graphBaseUrl}${messagesOf(general())}/delta?$skiptoken=garbage`]) {
      const res = await t.graph('GET', link);
      expect(res.status).toBe(410);
      expect((await json(res)).error).toMatchObject({
        code: 'SyncStateNotFound',
        innerError: { 'request-id': res.headers.get('request-id') },
      });
    }
    expect((await t.graph('GET', `${messagesOf(general())}/delta`)).status).toBe(200);
  });

  it('answers 403 Forbidden without ChannelMessage.Read.All (other Teams reads still work) and 402 for getAllMessages without a model', async () => {
    const app = t.em.tenants[0].apps.find((a) => a.displayName === 'm365-vault read-only backup')!;
    await t.control('POST', `apps/${app.clientId}/roles`, { revoke: ['ChannelMessage.Read.All'] });
    const token = await t.token('m365-vault read-only backup', { fresh: true });
    for (const path of [messagesOf(general()), `${messagesOf(general())}/delta`]) {
      const denied = await t.graph('GET', path, { token });
      expect(denied.status).toBe(403);
      expect((await json(denied)).error.code).toBe('Forbidden');
    }
    expect((await t.graph('GET', `/teams/${teamId}/channels`, { token })).status).toBe(200);

    const metered = await t.graph('GET', `/teams/${teamId}/channels/getAllMessages`);
    expect(metered.status).toBe(402);
    expect((await json(metered)).error.code).toBe('PaymentRequired');
    const everything = await json(await t.graph('GET', `/teams/${teamId}/channels/getAllMessages?model=A&$top=50`));
    expect(everything.value.some((m: Json) => m.replyToId !== null)).toBe(true);
    expect(new Set(everything.value.map((m: Json) => m.channelIdentity.channelId)).size).toBeGreaterThan(1);
  });

  it('imports messages app-only only into a channel in migration mode (Teamwork.Migrate.All), until completeMigration', async () => {
    const plain = await t.graph('POST', `/teams/${teamId}/channels`, {
      body: { displayName: 'Restored', description: 'restore target' },
    });
    expect(plain.status).toBe(201);
    const plainId = (await json(plain)).id as string;
    const message = {
      createdDateTime: '2026-03-01T10:00:00.000Z',
      from: {
        user: {
          id: t.em.tenant().directory.correspondents()[1].id,
          displayName: 'ignored',
          userIdentityType: 'aadUser',
        },
      },
      body: { contentType: 'html', content: '<p>From the backup</p>' },
    };
    const refused = await t.graph('POST', `${messagesOf(plainId)}`, { body: message });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error).toMatchObject({
      code: 'Forbidden',
      message: expect.stringMatching(/^Message POST is allowed in application-only context only for import purposes/),
    });
    expect((await t.graph('POST', `/teams/${teamId}/channels`, { body: { displayName: 'Restored' } })).status).toBe(
      409,
    );

    const created = await t.graph('POST', `/teams/${teamId}/channels`, {
      body: {
        displayName: 'Imported',
        '@microsoft.graph.channelCreationMode': 'migration',
        createdDateTime: '2026-01-01T00:00:00Z',
      },
    });
    expect(created.status).toBe(201);
    const channel = await json(created);
    expect(channel).toMatchObject({
      displayName: 'Imported',
      membershipType: 'standard',
      createdDateTime: '2026-01-01T00:00:00.000Z',
    });
    const root = await t.graph('POST', `${messagesOf(channel.id)}`, { body: message });
    expect(root.status).toBe(201);
    const rootJson = await json(root);
    expect(rootJson).toMatchObject({
      id: String(Date.parse(message.createdDateTime)),
      createdDateTime: message.createdDateTime,
      body: message.body,
      from: {
        user: { id: message.from.user.id, displayName: t.em.tenant().directory.correspondents()[1].displayName },
      },
    });
    const reply = await t.graph('POST', `${messagesOf(channel.id)}/${rootJson.id}/replies`, {
      body: {
        ...message,
        createdDateTime: '2026-03-01T10:05:00.000Z',
        body: { contentType: 'text', content: 'A reply' },
      },
    });
    expect(reply.status).toBe(201);
    expect(await json(reply)).toMatchObject({
      replyToId: rootJson.id,
      body: { contentType: 'text', content: 'A reply' },
    });
    expect(
      (await t.graph('POST', `${messagesOf(channel.id)}`, { body: { body: message.body, from: message.from } })).status,
    ).toBe(400);

    const readOnly = await t.token('m365-vault read-only backup', { fresh: true });
    const noMigrate = await t.graph('POST', `${messagesOf(channel.id)}`, { body: message, token: readOnly });
    expect(noMigrate.status).toBe(403);
    expect((await json(noMigrate)).error.code).toBe('Forbidden');

    expect((await t.graph('POST', `/teams/${teamId}/channels/${channel.id}/completeMigration`)).status).toBe(204);
    expect(
      (
        await t.graph('POST', `${messagesOf(channel.id)}`, {
          body: { ...message, createdDateTime: '2026-03-02T10:00:00.000Z' },
        })
      ).status,
    ).toBe(403);
    expect((await t.graph('POST', `/teams/${teamId}/channels/${channel.id}/completeMigration`)).status).toBe(400);
    const restored = await t.control<Json>('GET', `teams/${teamId}/channels/${channel.id}/messages/${rootJson.id}`);
    expect(restored.body).toMatchObject({
      body: message.body,
      replies: [expect.objectContaining({ body: { contentType: 'text', content: 'A reply' } })],
    });
  });

  it('limits an app to 4 requests per second on one team: 429 TooManyRequests with Retry-After, then admitted', async () => {
    await t.control('PUT', 'teams-throttle', { requestsPerSecond: 4 });
    try {
      // Five calls within one second: the fifth is refused until the oldest leaves the window.
      for (let i = 0; i < 4; i++)
        expect((await t.graph('GET', `/teams/${teamId}/channels/${general()}`)).status).toBe(200);
      const refused = await t.graph('GET', `/teams/${teamId}`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await json(refused)).error).toMatchObject({
        code: 'TooManyRequests',
        innerError: { code: 'ApplicationThrottled' },
      });
      await t.control('POST', 'clock', { advanceSeconds: 1 });
      expect((await t.graph('GET', `/teams/${teamId}`)).status).toBe(200);
    } finally {
      await t.control('PUT', 'teams-throttle', { requestsPerSecond: null });
    }
  });

  it('iterates a channel message delta round with the SDK PageIterator and resumes from its deltaLink', async () => {
    const client = t.client();
    const channel = channels[1].id;
    const seen: string[] = [];
    const firstPage = (await client
      .api(`${messagesOf(channel)}/delta`)
      .query({ $top: '3' })
      .get()) as PageCollection;
    const it = new PageIterator(client, firstPage, (m: { id: string; replyToId: string | null }) => {
      expect(m.replyToId).toBeNull();
      seen.push(m.id);
      return true;
    });
    await it.iterate();
    expect(it.isComplete()).toBe(true);
    const roots = (await json(await t.graph('GET', `${messagesOf(channel)}?$top=50`))).value as Json[];
    expect(seen.sort()).toEqual(roots.map((m) => m.id).sort());
    const added = await t.control<{ id: string }>('POST', `teams/${teamId}/channels/${channel}/messages`, {
      body: 'After the iterator',
    });
    const delta = (await client.api(it.getDeltaLink()!).get()) as PageCollection;
    expect(delta.value.map((m: { id: string }) => m.id)).toEqual([added.body.id]);
  });
});
