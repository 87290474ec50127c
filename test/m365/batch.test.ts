// JSON batching (graph-semantics.md §2.6; acceptance check 6) with the Graph SDK's BatchRequestContent and
// BatchResponseContent.
import { BatchRequestContent, BatchResponseContent } from '@microsoft/microsoft-graph-client';
import { json, startTestEmulator, TestEmulator } from './support';

describe('$batch', () => {
  let t: TestEmulator;
  let user: string;

  beforeAll(async () => {
    t = await startTestEmulator({
      seed: 'batch',
      profile: {
        licensedUsers: 2,
        sharedMailboxes: 0,
        messages: { inbox: 6 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 0,
        largeEvery: 0,
      },
    });
    user = t.em.tenant().directory.correspondents()[0].id;
  });
  afterAll(() => t?.stop());

  const post = (body: unknown) => t.graph('POST', '/$batch', { body });
  const get = (id: string, url: string, extra: Record<string, unknown> = {}) => ({ id, method: 'GET', url, ...extra });

  it('rejects more than 20 requests and duplicate ids (case-insensitively) with 400 for the whole batch', async () => {
    const many = await post({ requests: Array.from({ length: 21 }, (_, i) => get(String(i + 1), '/users')) });
    expect(many.status).toBe(400);
    expect((await json(many)).error.code).toBe('BadRequest');
    const dup = await post({ requests: [get('a', '/users'), get('A', '/groups')] });
    expect(dup.status).toBe(400);
    expect(
      (await post({ requests: Array.from({ length: 20 }, (_, i) => get(String(i + 1), '/users?$top=1')) })).status,
    ).toBe(200);
  });

  it('gives each item its own status and headers: a throttled one 429 with Retry-After, a dependent of a failure 424; matched by id', async () => {
    const messages = (await json(await t.graph('GET', `/users/${user}/mailFolders/inbox/messages?$select=subject`)))
      .value as Array<{ id: string; subject: string }>;
    // The next read of this message's MIME is throttled, as Exchange would under load.
    await t.control('POST', 'faults/rules', {
      status: 429,
      path: '/users/{userId}/messages/{messageId}/$value',
      times: 1,
      retryAfterSeconds: 7,
    });
    // The SDK only builds fully parallel or "all depend on the first" batches, as the docs advise: two batches.
    const parallel = new BatchRequestContent([
      { id: 'mime', request: new Request(`${t.em.graphBaseUrl}/users/${user}/messages/${messages[1].id}/$value`) },
      {
        id: 'ok',
        request: new Request(`${t.em.graphBaseUrl}/users/${user}/messages/${messages[2].id}?$select=subject`),
      },
    ]);
    const chained = new BatchRequestContent([
      { id: 'missing', request: new Request(`${t.em.graphBaseUrl}/users/${user}/messages/AAMkAGI2TG93AAA=`) },
      {
        id: 'dependent',
        request: new Request(`${t.em.graphBaseUrl}/users/${user}/messages/${messages[0].id}`),
        dependsOn: ['missing'],
      },
    ]);
    const client = t.client();
    const first = new BatchResponseContent(await client.api('/$batch').post(await parallel.getContent()));
    const throttled = first.getResponseById('mime');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('Retry-After')).toBe('7');
    expect(((await throttled.json()) as any).error.code).toBe('TooManyRequests');
    const fine = first.getResponseById('ok');
    expect(fine.status).toBe(200);
    expect(((await fine.json()) as any).subject).toBe(messages[2].subject);
    const raw = (await client.api('/$batch').post(await chained.getContent())) as { responses: Array<{ id: string }> };
    const second = new BatchResponseContent(raw);
    const missing = second.getResponseById('missing');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.code).toBe('ErrorInvalidIdMalformed');
    expect(second.getResponseById('dependent').status).toBe(424);
    // Responses come in completion order, matched by id: the dependent one after what it waited for.
    const order = raw.responses.map((r) => r.id);
    expect(order).toEqual(['missing', 'dependent']);
  });

  it('returns binary bodies base64-encoded and runs a dependsOn chain in order', async () => {
    await t.control('DELETE', 'faults');
    const messages = (await json(await t.graph('GET', `/users/${user}/mailFolders/inbox/messages?$select=id`)))
      .value as Array<{ id: string }>;
    const res = await post({
      requests: [
        {
          id: '1',
          method: 'PATCH',
          url: `/users/${user}/messages/${messages[3].id}`,
          headers: { 'Content-Type': 'application/json' },
          body: { categories: ['Batch'] },
        },
        get('2', `/users/${user}/messages/${messages[3].id}?$select=categories`, { dependsOn: ['1'] }),
        get('3', `/users/${user}/messages/${messages[3].id}/$value`),
      ],
    });
    expect(res.status).toBe(200);
    const byId = new Map(
      (
        (await json(res)).responses as Array<{ id: string; status: number; body: any; headers: Record<string, string> }>
      ).map((r) => [r.id, r]),
    );
    expect(byId.get('2')!.body.categories).toEqual(['Batch']);
    const mime = Buffer.from(byId.get('3')!.body as string, 'base64').toString('utf8');
    expect(mime).toMatch(/^From: /);
    const direct = Buffer.from(
      await (await t.graph('GET', `/users/${user}/messages/${messages[3].id}/$value`)).arrayBuffer(),
    ).toString('utf8');
    expect(mime).toBe(direct);
  });

  it('throttles inner requests one by one: several items of one batch can get their own 429', async () => {
    await t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 3, windowSeconds: 60 });
    const res = await post({
      requests: Array.from({ length: 6 }, (_, i) => get(String(i), `/users/${user}/mailFolders/inbox`)),
    });
    const statuses = (await json(res)).responses as Array<{ status: number; headers: Record<string, string> }>;
    expect(statuses.filter((r) => r.status === 200)).toHaveLength(3);
    const limited = statuses.filter((r) => r.status === 429);
    expect(limited).toHaveLength(3);
    expect(limited.every((r) => Number(r.headers['Retry-After']) > 0)).toBe(true);
    await t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 10_000, windowSeconds: 600 });
  });
});
