// The throttling discipline against the emulator's Exchange limits and scripted faults: Retry-After honoured (and
// measured), a 429 pausing the whole mailbox, backoff without Retry-After, bounded attempts, the deadline hand-back,
// and never more than 4 requests in flight per mailbox (the emulator counts a 429 for every fifth).
import type { Download } from '../../shared/graph/download';
import { GraphRequestError, GraphThrottledError } from '../../shared/graph/graph-errors';
import { readBody } from '../../shared/graph/https-transport';
import { GraphTestBed, later, startGraphTestBed } from './support';

let bed: GraphTestBed;
let users: string[];

beforeAll(async () => {
  bed = await startGraphTestBed({
    seed: 'graph-client-throttling',
    profile: {
      licensedUsers: 4,
      sharedMailboxes: 0,
      messages: { inbox: 64 },
      filesPerDrive: 1,
      fileBytes: { min: 10, max: 20 },
      attachmentEvery: 4,
      largeEvery: 8,
    },
  });
  users = (await bed.users()).filter((u) => u.licensed).map((u) => u.id);
});
afterAll(() => bed.stop());
afterEach(async () => {
  await bed.t.control('DELETE', 'faults');
  await bed.t.control('PUT', 'throttle', {
    mailboxConcurrency: 4,
    mailboxRequestsPerWindow: 10_000,
    windowSeconds: 600,
  });
});

const read = (mailbox: string, deadline = later()) => ({ mailbox, operation: 'mail.read' as const, deadline });
const counters = async () =>
  (await bed.t.control<{ throttled: number; requests: number; byRoute: Record<string, number> }>('GET', 'counters'))
    .body;
const fault = (rule: Record<string, unknown>) => bed.t.control('POST', 'faults/rules', rule);
const timed = async <T>(f: () => Promise<T>): Promise<{ value: T; seconds: number }> => {
  const started = Date.now();
  const value = await f();
  return { value, seconds: (Date.now() - started) / 1000 };
};

describe('throttling discipline', () => {
  it('waits the fractional Retry-After of a 429, then succeeds, and logs the request ids', async () => {
    const client = bed.client();
    await client.get(`/users/${users[0]}/mailFolders`, read(users[0])); // token and connection warm
    await fault({ status: 429, path: '/users/{userId}/mailFolders', times: 1, retryAfterSeconds: 1.5 });
    const { seconds } = await timed(() => client.get(`/users/${users[0]}/mailFolders`, read(users[0])));
    expect(seconds).toBeGreaterThanOrEqual(1.5);
    expect(seconds).toBeLessThan(2.5);
    expect(client.stats()).toMatchObject({ requests: 3, throttled: 1, retries: 1, waitedSeconds: 1.5 });
    const retry = bed.logs.find((l) => l.event === 'retry')!;
    expect(retry).toMatchObject({ status: 429, waitSeconds: 1.5, operation: 'mail.read', mailbox: users[0] });
    expect(retry.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bed.logs.filter((l) => l.event === 'response').every((l) => l.requestId && l.clientRequestId)).toBe(true);
  });

  it('honours the emulator budget window through its Retry-After, without failing a request', async () => {
    await bed.t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 10, windowSeconds: 2 });
    await bed.t.control('DELETE', 'counters');
    const client = bed.client();
    const { value, seconds } = await timed(() =>
      Promise.all(Array.from({ length: 25 }, () => client.get(`/users/${users[1]}/mailFolders`, read(users[1])))),
    );
    expect(value).toHaveLength(25);
    expect(seconds).toBeGreaterThanOrEqual(4); // 25 requests at 10 per 2 s need two full windows
    const c = await counters();
    expect(c.throttled).toBe(client.stats().throttled);
    // The first 429 pauses the mailbox: the other requests wait instead of piling more 429s onto it.
    expect(c.throttled).toBeLessThanOrEqual(8);
  });

  it('pauses every request to a mailbox that got a 429, and only that mailbox', async () => {
    const client = bed.client();
    await client.get(`/users/${users[2]}/mailFolders`, read(users[2]));
    await fault({
      status: 429,
      path: '/users/{userId}/mailFolders',
      mailbox: users[2],
      times: 1,
      retryAfterSeconds: 2,
    });
    const first = timed(() => client.get(`/users/${users[2]}/mailFolders`, read(users[2])));
    await new Promise((r) => setTimeout(r, 300));
    const sameMailbox = timed(() => client.get(`/users/${users[2]}`, { ...read(users[2]), operation: 'users.list' }));
    const otherMailbox = await timed(() => client.get(`/users/${users[3]}/mailFolders`, read(users[3])));
    expect(otherMailbox.seconds).toBeLessThan(0.5);
    expect((await sameMailbox).seconds).toBeGreaterThanOrEqual(1.5);
    expect((await first).seconds).toBeGreaterThanOrEqual(2);
  });

  it('counts the requests and 429s of each caller apart from concurrent callers sharing the client', async () => {
    const client = bed.client();
    const [mine, theirs] = [
      { requests: 0, throttled: 0 },
      { requests: 0, throttled: 0 },
    ];
    const before = client.stats();
    await fault({
      status: 429,
      path: '/users/{userId}/mailFolders',
      mailbox: users[0],
      times: 1,
      retryAfterSeconds: 0,
    });
    await Promise.all([
      ...Array.from({ length: 3 }, () =>
        client.get(`/users/${users[0]}/mailFolders`, { ...read(users[0]), tally: mine }),
      ),
      client.page(`/users/${users[1]}/mailFolders/inbox/messages/delta`, { ...read(users[1]), tally: theirs }),
      client
        .stream(
          `/users/${users[1]}/messages/${encodeURIComponent((await client.get<{ value: Array<{ id: string }> }>(`/users/${users[1]}/messages?$top=1&$select=id`, read(users[1]))).value[0].id)}/$value`,
          { ...read(users[1]), tally: theirs },
        )
        .then((b) => readBody(b)),
    ]);
    expect(mine).toEqual({ requests: 4, throttled: 1 });
    expect(theirs).toEqual({ requests: 2, throttled: 0 });
    expect(client.stats().requests - before.requests).toBe(7);
  });

  it('backs off with jitter when a 503 carries no Retry-After', async () => {
    const client = bed.client({ backoff: { baseSeconds: 0.2, maxSeconds: 1 } });
    await fault({ status: 503, path: '/users/{userId}/mailFolders', times: 2 });
    const { seconds } = await timed(() => client.get(`/users/${users[0]}/mailFolders`, read(users[0])));
    expect(seconds).toBeGreaterThanOrEqual(0.1 + 0.2); // [0.1, 0.2] then [0.2, 0.4]
    expect(client.stats()).toMatchObject({ unavailable: 2, retries: 2 });
  });

  it('gives up after the attempt bound with the last error, request id included', async () => {
    const client = bed.client({ maxAttempts: 3, backoff: { baseSeconds: 0.05, maxSeconds: 0.1 } });
    await bed.t.control('DELETE', 'counters');
    await fault({ status: 504, path: '/users/{userId}/mailFolders' });
    const e = await client.get(`/users/${users[0]}/mailFolders`, read(users[0])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GraphRequestError);
    expect(e).toMatchObject({
      status: 504,
      code: 'GatewayTimeout',
      operation: 'mail.read',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect((await counters()).byRoute['GET /users/{userId}/mailFolders']).toBe(3);
  });

  it('hands a wait beyond the deadline back as GraphThrottledError instead of sleeping', async () => {
    const client = bed.client();
    await client.get(`/users/${users[3]}/mailFolders`, read(users[3]));
    await fault({
      status: 429,
      path: '/users/{userId}/mailFolders',
      mailbox: users[3],
      times: 1,
      retryAfterSeconds: 30,
    });
    const { value: e, seconds } = await timed(() =>
      client.get(`/users/${users[3]}/mailFolders`, read(users[3], Date.now() + 5000)).catch((x: unknown) => x),
    );
    expect(seconds).toBeLessThan(1);
    expect(e).toBeInstanceOf(GraphThrottledError);
    expect(e).toMatchObject({ retryAfterSeconds: 30, status: 429, operation: 'mail.read' });
    // The mailbox stays paused: the next call hands back at once without sending anything.
    const sent = bed.sent.length;
    const again = await client
      .get(`/users/${users[3]}`, { ...read(users[3], Date.now() + 5000), operation: 'users.list' })
      .catch((x: unknown) => x);
    expect(again).toBeInstanceOf(GraphThrottledError);
    expect((again as GraphThrottledError).retryAfterSeconds).toBeGreaterThan(28);
    expect(bed.sent.length).toBe(sent);
    expect(client.stats().handedBack).toBe(2);
  });

  it("holds every SharePoint and OneDrive request of the tenant on one site's 429 (one resource-unit budget), not mail", async () => {
    const client = bed.client();
    const sites = (await bed.t.control<Array<{ id: string }>>('GET', 'sites')).body;
    const [a, b] = sites.map((x) => x.id);
    const site = (id: string, deadline = later()) => ({ mailbox: id, operation: 'sites.read' as const, deadline });
    await client.get(`/sites/${a}`, site(a));
    await fault({ status: 429, path: '/sites/{siteId}', times: 1, retryAfterSeconds: 30 });
    const first = await client.get(`/sites/${a}`, site(a, Date.now() + 5000)).catch((x: unknown) => x);
    expect(first).toBeInstanceOf(GraphThrottledError);
    // Another site, and a OneDrive, wait for the same budget: handed back at once, nothing sent.
    const sent = bed.sent.length;
    const other = await client.get(`/sites/${b}`, site(b, Date.now() + 5000)).catch((x: unknown) => x);
    expect(other).toBeInstanceOf(GraphThrottledError);
    const drive = await client
      .get(`/users/${users[1]}/drive`, { mailbox: users[1], operation: 'files.read', deadline: Date.now() + 5000 })
      .catch((x: unknown) => x);
    expect(drive).toBeInstanceOf(GraphThrottledError);
    expect(bed.sent.length).toBe(sent);
    // Exchange's budgets are per mailbox: mail goes on.
    await client.get(`/users/${users[1]}/mailFolders`, read(users[1]));
    expect(bed.sent.length).toBe(sent + 1);
  });

  describe('concurrency per mailbox', () => {
    let big: string[];
    const value = (id: string): string => `/users/${users[0]}/messages/${id}/$value`;
    beforeAll(async () => {
      // The 8 largest MIME messages (multi-MB attachments): unread, their streams keep the emulator's lanes busy.
      const client = bed.client();
      const ids = (
        await client.all<{ id: string }>(
          `/users/${users[0]}/mailFolders/inbox/messages?$select=id&$top=100`,
          read(users[0]),
        )
      ).map((m) => m.id);
      const sizes: Array<{ id: string; size: number }> = [];
      for (const id of ids)
        sizes.push({ id, size: (await readBody((await client.download(value(id), read(users[0]))).body)).length });
      big = sizes
        .sort((a, b) => b.size - a.size)
        .slice(0, 8)
        .map((s) => s.id);
    });
    const hold = async (
      perMailbox: number,
    ): Promise<{ throttled: number; sentWhileHeld: number; downloads: Array<Promise<Download>> }> => {
      await bed.t.control('DELETE', 'counters');
      const client = bed.client({ perMailbox });
      const before = bed.sent.length;
      const downloads = big.map((id) => client.download(value(id), read(users[0])));
      await new Promise((r) => setTimeout(r, 1500));
      const sentWhileHeld = bed.sent.slice(before).filter((s) => s.url.endsWith('/$value')).length;
      return { throttled: (await counters()).throttled, sentWhileHeld, downloads };
    };
    const drain = async (downloads: Array<Promise<Download>>): Promise<number[]> =>
      Promise.all(downloads.map(async (d) => (await readBody((await d).body)).length));

    it('keeps at most 4 requests in flight, so the emulator throttles none', async () => {
      const r = await hold(4);
      expect(r.sentWhileHeld).toBe(4);
      expect(r.throttled).toBe(0);
      expect((await drain(r.downloads)).every((n) => n > 3_000_000)).toBe(true);
      expect((await counters()).throttled).toBe(0);
    });

    it('(control) a client allowing 8 in flight gets 429s for the excess', async () => {
      const r = await hold(8);
      expect(r.throttled).toBeGreaterThanOrEqual(4);
      await drain(r.downloads);
    });
  });
});
