// Microsoft 365 group mailboxes as an app-only backup reads them: conversation, thread and post shapes over raw HTTP,
// paging, lastDeliveredDateTime as the only change signal (no delta in Graph), attachments through $expand only,
// the delegated-only calls (thread creation, reply, the attachments collection, the group calendar) refused with
// Graph's 403, the restore path through the control API, 403 without a permission, security groups, per-group-mailbox
// throttling, and the SDK's PageIterator over conversations.
import { PageCollection, PageIterator } from '@microsoft/microsoft-graph-client';
import { followPages, json, startTestEmulator, TestEmulator } from './support';

type Json = Record<string, any>;

describe('group mailbox', () => {
  let t: TestEmulator;
  let groupId: string;
  let otherGroupId: string;
  let securityGroupId: string;

  const threadsOf = async (g: string): Promise<Json[]> =>
    (await followPages(t, `/groups/${g}/threads`)).flatMap((p) => p.value);

  beforeAll(async () => {
    // A clock that moves only when told, so "delivered now" is later than every generated post and windows stay put.
    const start = Date.parse('2026-07-01T09:00:00Z');
    let offset = 0;
    t = await startTestEmulator({
      seed: 'groupmail',
      profile: 'demo',
      clock: { now: () => start + offset, advance: (ms) => void (offset += ms) },
    });
    const groups = (await json(await t.graph('GET', '/groups'))).value as Json[];
    [groupId, otherGroupId] = groups.filter((g) => g.groupTypes.includes('Unified')).map((g) => g.id);
    securityGroupId = groups.find((g) => !g.groupTypes.includes('Unified'))!.id;
  });
  afterAll(() => t?.stop());

  it("lists conversations newest first with Graph's shape, their threads and posts (html bodies from members, inReplyTo for replies)", async () => {
    const res = await t.graph('GET', `/groups/${groupId}/conversations`);
    expect(res.status).toBe(200);
    const list = await json(res);
    expect(list['@odata.context']).toMatch(new RegExp(`\\$metadata#groups\\('${groupId}'\\)/conversations$`));
    const conversations = list.value as Json[];
    expect(conversations.length).toBeGreaterThanOrEqual(3);
    expect(conversations[0]).toEqual({
      id: expect.any(String),
      topic: expect.any(String),
      hasAttachments: expect.any(Boolean),
      lastDeliveredDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      uniqueSenders: expect.arrayContaining([expect.any(String)]),
      preview: expect.any(String),
    });
    const delivered = conversations.map((c) => Date.parse(c.lastDeliveredDateTime));
    expect(delivered).toEqual([...delivered].sort((a, b) => b - a));
    const one = await json(await t.graph('GET', `/groups/${groupId}/conversations/${conversations[0].id}`));
    expect(one).toMatchObject({
      ...conversations[0],
      '@odata.context': expect.stringMatching(/conversations\/\$entity$/),
    });

    const threadLists = await Promise.all(
      conversations.map(
        async (c) =>
          (await json(await t.graph('GET', `/groups/${groupId}/conversations/${c.id}/threads`))).value as Json[],
      ),
    );
    const forked = threadLists.findIndex((ts) => ts.length === 2);
    expect(forked).toBeGreaterThanOrEqual(0); // Exchange forks a thread when recipients change
    const threads = threadLists[forked];
    expect(threads[0]).toEqual({
      id: expect.any(String),
      toRecipients: [{ emailAddress: { name: expect.any(String), address: expect.stringContaining('@') } }],
      topic: conversations[forked].topic,
      hasAttachments: expect.any(Boolean),
      lastDeliveredDateTime: expect.any(String),
      uniqueSenders: expect.any(Array),
      ccRecipients: [],
      preview: expect.any(String),
      isLocked: false,
    });
    const all = await threadsOf(groupId);
    expect(all.map((th) => th.id).sort()).toEqual(
      threadLists
        .flat()
        .map((th) => th.id)
        .sort(),
    );
    expect((await json(await t.graph('GET', `/groups/${groupId}/threads/${threads[0].id}`))).id).toBe(threads[0].id);

    const members = new Set(
      ((await json(await t.graph('GET', `/groups/${groupId}/members`))).value as Json[]).map((u) => u.mail),
    );
    const posts: Json[] = [];
    for (const thread of all)
      posts.push(...(await followPages(t, `/groups/${groupId}/threads/${thread.id}/posts`)).flatMap((p) => p.value));
    expect(posts[0]).toEqual({
      '@odata.etag': expect.stringMatching(/^W\/"/),
      id: expect.any(String),
      createdDateTime: expect.any(String),
      lastModifiedDateTime: expect.any(String),
      changeKey: expect.any(String),
      categories: [],
      receivedDateTime: expect.any(String),
      hasAttachments: expect.any(Boolean),
      body: { contentType: 'html', content: expect.stringMatching(/^<html><body>/) },
      from: { emailAddress: { name: expect.any(String), address: expect.any(String) } },
      sender: expect.any(Object),
      conversationId: expect.any(String),
      conversationThreadId: expect.any(String),
      newParticipants: [],
    });
    expect(posts.every((p) => members.has(p.from.emailAddress.address))).toBe(true);
    const reply = posts.find((p) =>
      posts.some(
        (q) =>
          q.conversationThreadId === p.conversationThreadId &&
          Date.parse(q.receivedDateTime) < Date.parse(p.receivedDateTime),
      ),
    )!;
    const expanded = await json(
      await t.graph(
        'GET',
        `/groups/${groupId}/threads/${reply.conversationThreadId}/posts/${reply.id}?$expand=inReplyTo`,
      ),
    );
    expect(expanded.inReplyTo).toMatchObject({
      conversationThreadId: reply.conversationThreadId,
      id: expect.any(String),
    });
    expect(Date.parse(expanded.inReplyTo.receivedDateTime)).toBeLessThan(Date.parse(reply.receivedDateTime));
    const opening = posts.find((p) => p.conversationThreadId === reply.conversationThreadId)!;
    expect(
      (
        await json(
          await t.graph(
            'GET',
            `/groups/${groupId}/threads/${opening.conversationThreadId}/posts/${opening.id}?$expand=inReplyTo`,
          ),
        )
      ).inReplyTo,
    ).toBeNull();
    const viaConversation = await json(
      await t.graph(
        'GET',
        `/groups/${groupId}/conversations/${reply.conversationId}/threads/${reply.conversationThreadId}/posts/${reply.id}?$select=body`,
      ),
    );
    expect(viaConversation).toMatchObject({ id: reply.id, body: reply.body });
    expect(viaConversation.from).toBeUndefined();
    // A thread addressed under another conversation does not exist there.
    const elsewhere = conversations.find((c) => c.id !== reply.conversationId)!;
    expect(
      (
        await t.graph(
          'GET',
          `/groups/${groupId}/conversations/${elsewhere.id}/threads/${reply.conversationThreadId}/posts`,
        )
      ).status,
    ).toBe(404);
  });

  it('pages conversations with $top and Prefer: odata.maxpagesize, threads too; unknown ids are 404 ErrorItemNotFound', async () => {
    const whole = (await json(await t.graph('GET', `/groups/${groupId}/conversations?$top=100`))).value as Json[];
    const pages = await followPages(t, `/groups/${groupId}/conversations?$top=2`);
    expect(pages.length).toBe(Math.ceil(whole.length / 2));
    expect(pages[0]['@odata.nextLink']).toMatch(/\$skiptoken=/);
    expect(pages.flatMap((p) => p.value).map((c: Json) => c.id)).toEqual(whole.map((c) => c.id));
    const preferred = await followPages(t, `/groups/${groupId}/threads`, { Prefer: 'odata.maxpagesize=1' });
    expect(preferred.every((p) => p.value.length === 1)).toBe(true);
    const missing = await t.graph(
      'GET',
      `/groups/${groupId}/conversations/${whole[0].id.replace(/^.{8}/, 'AAMkAAAA')}`,
    );
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('ErrorItemNotFound');
    // Another group's thread is not this group's.
    const foreign = (await threadsOf(otherGroupId))[0];
    expect((await t.graph('GET', `/groups/${groupId}/threads/${foreign.id}`)).status).toBe(404);
  });

  it('moves lastDeliveredDateTime of the thread and its conversation when a post arrives (no delta in Graph), and reorders', async () => {
    const before = (await json(await t.graph('GET', `/groups/${groupId}/conversations`))).value as Json[];
    const oldest = before.at(-1)!;
    const thread = (
      (await json(await t.graph('GET', `/groups/${groupId}/conversations/${oldest.id}/threads`))).value as Json[]
    )[0];
    await t.control('POST', 'clock', { advanceSeconds: 60 });
    const added = await t.control<{ id: string }>('POST', `group-mailbox/${groupId}/threads/${thread.id}/posts`, {
      body: '<p>Late answer</p>',
    });
    expect(added.status).toBe(201);
    const after = (await json(await t.graph('GET', `/groups/${groupId}/conversations`))).value as Json[];
    expect(after[0]).toMatchObject({ id: oldest.id, preview: 'Late answer' });
    expect(Date.parse(after[0].lastDeliveredDateTime)).toBeGreaterThan(Date.parse(oldest.lastDeliveredDateTime));
    const threadNow = await json(await t.graph('GET', `/groups/${groupId}/threads/${thread.id}`));
    expect(Date.parse(threadNow.lastDeliveredDateTime)).toBe(Date.parse(after[0].lastDeliveredDateTime));
    const posts = (await json(await t.graph('GET', `/groups/${groupId}/threads/${thread.id}/posts`))).value as Json[];
    expect(posts.at(-1)!.id).toBe(added.body.id);
    const unchanged = after.filter((c) => c.id !== oldest.id);
    expect(unchanged).toEqual(before.filter((c) => c.id !== oldest.id));
  });

  it('refuses app-only thread creation and reply with 403 ErrorAccessDenied (delegated-only in v1.0); the control API posts as a member would and reads the post back', async () => {
    const thread = (await threadsOf(groupId))[0];
    const body = { topic: 'Restored topic', posts: [{ body: { contentType: 'html', content: '<p>restored</p>' } }] };
    for (const [path, payload] of [
      [`/groups/${groupId}/threads`, body],
      [`/groups/${groupId}/conversations`, { topic: 'x', threads: [body] }],
      [`/groups/${groupId}/threads/${thread.id}/reply`, { post: body.posts[0] }],
    ] as const) {
      const refused = await t.graph('POST', path, { body: payload });
      expect(refused.status).toBe(403);
      expect((await json(refused)).error).toMatchObject({
        code: 'ErrorAccessDenied',
        message: 'Access is denied. Check credentials and try again.',
      });
    }

    await t.control('POST', 'clock', { advanceSeconds: 60 });
    const started = await t.control<{ conversationId: string; threadId: string; postId: string }>(
      'POST',
      `group-mailbox/${groupId}/conversations`,
      {
        topic: 'Restored topic',
        body: '<p>restored</p>',
        attachment: {
          name: 'restored.txt',
          contentType: 'text/plain',
          contentBase64: Buffer.from('restored bytes').toString('base64'),
        },
      },
    );
    expect(started.status).toBe(201);
    const first = (await json(await t.graph('GET', `/groups/${groupId}/conversations`))).value[0] as Json;
    expect(first).toMatchObject({ id: started.body.conversationId, topic: 'Restored topic', hasAttachments: true });
    const reply = await t.control<{ id: string }>(
      'POST',
      `group-mailbox/${groupId}/threads/${started.body.threadId}/posts`,
      { body: '<p>second</p>' },
    );
    const back = await t.control<Json>('GET', `group-mailbox/${groupId}/posts/${reply.body.id}`);
    expect(back.body).toMatchObject({
      id: reply.body.id,
      body: { content: '<p>second</p>' },
      inReplyToId: started.body.postId,
      conversationThreadId: started.body.threadId,
      attachments: [],
    });
    const original = await t.control<Json>('GET', `group-mailbox/${groupId}/posts/${started.body.postId}`);
    expect(Buffer.from(original.body.attachments[0].contentBytes, 'base64').toString()).toBe('restored bytes');

    const listed = await t.control<Json[]>('GET', `group-mailbox/${groupId}/conversations`);
    expect(listed.body[0]).toMatchObject({
      id: started.body.conversationId,
      threads: [
        {
          id: started.body.threadId,
          posts: [
            { id: started.body.postId, attachments: 1 },
            { id: reply.body.id, inReplyTo: started.body.postId },
          ],
        },
      ],
    });
    expect((await t.control('DELETE', `group-mailbox/${groupId}/threads/${started.body.threadId}`)).status).toBe(204);
    expect((await t.graph('GET', `/groups/${groupId}/conversations/${started.body.conversationId}`)).status).toBe(404);
    expect((await t.graph('GET', `/groups/${groupId}/threads/${started.body.threadId}/posts`)).status).toBe(404);
  });

  it('gives post attachments with their bytes through $expand=attachments, and refuses the attachments collection app-only', async () => {
    const posts = (
      await Promise.all(
        (await threadsOf(groupId)).map(
          async (th) =>
            (await json(await t.graph('GET', `/groups/${groupId}/threads/${th.id}/posts?$expand=attachments`)))
              .value as Json[],
        ),
      )
    ).flat();
    const withFile = posts.find((p) => p.hasAttachments)!;
    expect(withFile.attachments).toEqual([
      {
        '@odata.type': '#microsoft.graph.fileAttachment',
        '@odata.mediaContentType': expect.any(String),
        id: expect.any(String),
        lastModifiedDateTime: expect.any(String),
        name: expect.any(String),
        contentType: expect.any(String),
        size: expect.any(Number),
        isInline: false,
        contentId: null,
        contentLocation: null,
        contentBytes: expect.any(String),
      },
    ]);
    expect(Buffer.from(withFile.attachments[0].contentBytes, 'base64').length).toBe(withFile.attachments[0].size);
    expect(posts.filter((p) => !p.hasAttachments).every((p) => p.attachments.length === 0)).toBe(true);
    const single = await json(
      await t.graph(
        'GET',
        `/groups/${groupId}/threads/${withFile.conversationThreadId}/posts/${withFile.id}?$expand=attachments`,
      ),
    );
    expect(single.attachments).toEqual(withFile.attachments);
    const conversation = (await json(await t.graph('GET', `/groups/${groupId}/conversations`))).value.find(
      (c: Json) => c.id === withFile.conversationId,
    );
    expect(conversation.hasAttachments).toBe(true);

    for (const path of [
      `/groups/${groupId}/threads/${withFile.conversationThreadId}/posts/${withFile.id}/attachments`,
      `/groups/${groupId}/threads/${withFile.conversationThreadId}/posts/${withFile.id}/attachments/${withFile.attachments[0].id}`,
    ]) {
      const refused = await t.graph('GET', path);
      expect(refused.status).toBe(403);
      expect((await json(refused)).error.code).toBe('ErrorAccessDenied');
    }
  });

  it('refuses the group calendar app-only (403 ErrorAccessDenied: no application permission in v1.0)', async () => {
    for (const [method, path] of [
      ['GET', 'calendar'],
      ['GET', 'events'],
      ['GET', 'calendarView?startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-12-31T00:00:00Z'],
      ['POST', 'events'],
    ] as const) {
      const res = await t.graph(
        method,
        `/groups/${groupId}/${path}`,
        method === 'POST' ? { body: { subject: 'x' } } : {},
      );
      expect(res.status).toBe(403);
      expect((await json(res)).error).toMatchObject({ code: 'ErrorAccessDenied' });
    }
  });

  it('answers 403 ErrorAccessDenied without a conversation permission; a security group has no mailbox (404), an unknown id neither', async () => {
    const app = t.em.tenants[0].apps.find((a) => a.displayName === 'm365-vault read-only backup')!;
    expect(app.roles).toContain('Group-Conversation.Read.All');
    await t.control('POST', `apps/${app.clientId}/roles`, { revoke: ['Group-Conversation.Read.All'] });
    try {
      const token = await t.token('m365-vault read-only backup', { fresh: true });
      const denied = await t.graph('GET', `/groups/${groupId}/conversations`, { token });
      expect(denied.status).toBe(403);
      expect((await json(denied)).error).toMatchObject({
        code: 'ErrorAccessDenied',
        message: 'Access is denied. Check credentials and try again.',
      });
      await t.control('POST', `apps/${app.clientId}/roles`, { grant: ['Group.Read.All'] });
      expect(
        (
          await t.graph('GET', `/groups/${groupId}/conversations`, {
            token: await t.token('m365-vault read-only backup', { fresh: true }),
          })
        ).status,
      ).toBe(200);
    } finally {
      await t.control('POST', `apps/${app.clientId}/roles`, {
        grant: ['Group-Conversation.Read.All'],
        revoke: ['Group.Read.All'],
      });
    }

    const security = await t.graph('GET', `/groups/${securityGroupId}/conversations`);
    expect(security.status).toBe(404);
    expect((await json(security)).error.code).toBe('MailboxNotEnabledForRESTAPI');
    const unknown = await t.graph('GET', '/groups/00000000-0000-4000-a000-000000000000/threads');
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error.code).toBe('ErrorInvalidUser');
  });

  it('throttles per app and group mailbox: 429 with Retry-After once the window is spent, other groups unaffected', async () => {
    await t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 3, windowSeconds: 30 });
    try {
      for (let i = 0; i < 3; i++) expect((await t.graph('GET', `/groups/${groupId}/threads?$top=1`)).status).toBe(200);
      const refused = await t.graph('GET', `/groups/${groupId}/conversations`);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await json(refused)).error).toMatchObject({
        code: 'TooManyRequests',
        innerError: { code: 'ApplicationThrottled' },
      });
      expect((await t.graph('GET', `/groups/${otherGroupId}/conversations`)).status).toBe(200);
      const counters = (
        await t.control<{ byMailbox: Record<string, number>; byWorkload: Record<string, number> }>('GET', 'counters')
      ).body;
      expect(counters.byMailbox[groupId]).toBeGreaterThan(0);
      expect(counters.byWorkload.groupMailbox).toBeGreaterThan(0);
      await t.control('POST', 'clock', { advanceSeconds: 31 });
      expect((await t.graph('GET', `/groups/${groupId}/conversations`)).status).toBe(200);
    } finally {
      await t.control('PUT', 'throttle', {
        mailboxConcurrency: 4,
        mailboxRequestsPerWindow: 10_000,
        windowSeconds: 600,
      });
    }
  });

  it("iterates conversations and a thread's posts with the SDK PageIterator", async () => {
    const client = t.client();
    const seen: string[] = [];
    const first = (await client.api(`/groups/${groupId}/conversations`).top(1).get()) as PageCollection;
    const it = new PageIterator(client, first, (c: { id: string }) => {
      seen.push(c.id);
      return true;
    });
    await it.iterate();
    expect(it.isComplete()).toBe(true);
    const whole = (await json(await t.graph('GET', `/groups/${groupId}/conversations?$top=100`))).value as Json[];
    expect(seen).toEqual(whole.map((c) => c.id));

    const thread = (await threadsOf(otherGroupId)).find((th) => th.uniqueSenders.length > 0)!;
    const posts: string[] = [];
    const page = (await client
      .api(`/groups/${otherGroupId}/threads/${thread.id}/posts`)
      .header('Prefer', 'odata.maxpagesize=1')
      .get()) as PageCollection;
    await new PageIterator(
      client,
      page,
      (p: { id: string }) => {
        posts.push(p.id);
        return true;
      },
      { headers: { Prefer: 'odata.maxpagesize=1' } },
    ).iterate();
    const all = (await json(await t.graph('GET', `/groups/${otherGroupId}/threads/${thread.id}/posts`)))
      .value as Json[];
    expect(posts).toEqual(all.map((p) => p.id));
  });
});
