// Throttling and service faults (graph-semantics.md §2.1, §2.2; acceptance check 5): per app + mailbox request budget
// and concurrency → 429 TooManyRequests with Retry-After in seconds; the Graph SDK's RetryHandler really waits it out;
// injected and random 503/504.
import https from 'node:https';
import fs from 'node:fs';
import { json, startTestEmulator, TestEmulator } from './support';

describe('throttling and faults', () => {
  let t: TestEmulator;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await startTestEmulator({
      seed: 'throttle',
      profile: {
        licensedUsers: 2,
        sharedMailboxes: 0,
        messages: { inbox: 12 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 0,
        largeEvery: 10,
      },
    });
    [alice, bob] = t.em
      .tenant()
      .directory.correspondents()
      .map((u) => u.id) as [string, string];
  });
  afterAll(() => t?.stop());
  afterEach(async () => {
    await t.control('PUT', 'throttle', {
      mailboxConcurrency: 4,
      mailboxRequestsPerWindow: 10_000,
      windowSeconds: 600,
      appConcurrency: null,
    });
    await t.control('DELETE', 'faults');
  });

  it('answers 429 with an accurate Retry-After once the budget of the window is spent, per mailbox, and lets the request through once it has passed', async () => {
    await t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 5, windowSeconds: 30 });
    for (let i = 0; i < 5; i++) expect((await t.graph('GET', `/users/${alice}/mailFolders/inbox`)).status).toBe(200);
    const res = await t.graph('GET', `/users/${alice}/mailFolders/inbox`);
    expect(res.status).toBe(429);
    expect((await json(res)).error).toMatchObject({
      code: 'TooManyRequests',
      innerError: { code: 'ApplicationThrottled' },
    });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
    // Another mailbox has its own budget; the directory is not under Exchange's limits.
    expect((await t.graph('GET', `/users/${bob}/mailFolders/inbox`)).status).toBe(200);
    expect((await t.graph('GET', `/users/${alice}`)).status).toBe(200);
    await t.control('POST', 'clock', { advanceSeconds: retryAfter - 1 });
    expect((await t.graph('GET', `/users/${alice}/mailFolders/inbox`)).status).toBe(429);
    await t.control('POST', 'clock', { advanceSeconds: 1 });
    expect((await t.graph('GET', `/users/${alice}/mailFolders/inbox`)).status).toBe(200);
    const counters = (
      await t.control<{ throttled: number; byStatus: Record<string, number>; byMailbox: Record<string, number> }>(
        'GET',
        'counters',
      )
    ).body;
    expect(counters.throttled).toBe(2);
    expect(counters.byStatus['429']).toBe(2);
    expect(counters.byMailbox[alice]).toBeGreaterThanOrEqual(8);
  });

  /** Opens `n` downloads of a 3.5 MB+ message that the client does not read: the server cannot finish them. */
  async function holdDownloads(n: number): Promise<{ close(): Promise<void> }> {
    const big = (
      await json(await t.graph('GET', `/users/${alice}/mailFolders/inbox/messages?$select=hasAttachments&$top=50`))
    ).value.find((m: any) => m.hasAttachments);
    expect(big).toBeDefined();
    const token = await t.token();
    const agent = new https.Agent({ ca: fs.readFileSync(t.em.caCertFile), maxSockets: 10 });
    const held = await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
            https
              .get(
                `${t.em.graphBaseUrl}/users/${alice}/messages/${big.id}/$value`,
                { agent, headers: { authorization: `Bearer ${token}` } },
                resolve,
              )
              .on('error', reject);
          }),
      ),
    );
    expect(held.map((r) => r.statusCode)).toEqual(Array(n).fill(200));
    return {
      async close() {
        held.forEach((r) => r.destroy());
        agent.destroy();
        await new Promise((r) => setTimeout(r, 100));
      },
    };
  }

  it('answers 429 to a fifth concurrent request on one mailbox while four are in flight', async () => {
    const held = await holdDownloads(4);
    const fifth = await t.graph('GET', `/users/${alice}/mailFolders/inbox`);
    expect(fifth.status).toBe(429);
    expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await t.graph('GET', `/users/${bob}/mailFolders/inbox`)).status).toBe(200);
    await held.close();
    expect((await t.graph('GET', `/users/${alice}/mailFolders/inbox`)).status).toBe(200);
  });

  it('can count concurrency per app across mailboxes instead (appConcurrency)', async () => {
    await t.control('PUT', 'throttle', { appConcurrency: 2 });
    const held = await holdDownloads(2);
    expect((await t.graph('GET', `/users/${bob}/mailFolders/inbox`)).status).toBe(429);
    await held.close();
    expect((await t.graph('GET', `/users/${bob}/mailFolders/inbox`)).status).toBe(200);
  });

  it('is waited out by the Graph SDK RetryHandler, which sleeps for Retry-After before retrying', async () => {
    await t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 2, windowSeconds: 2 });
    const client = t.client();
    await client.api(`/users/${alice}/mailFolders/inbox`).get();
    await client.api(`/users/${alice}/mailFolders/inbox`).get();
    const started = Date.now();
    const folder = await client.api(`/users/${alice}/mailFolders/inbox`).get();
    const waited = Date.now() - started;
    expect(folder.displayName).toBe('Inbox');
    expect(waited).toBeGreaterThanOrEqual(1_000);
    expect(waited).toBeLessThan(4_000);
  });

  it('injects scripted faults (503 with Retry-After, then success) and random 503/504 at configured rates', async () => {
    await t.control('POST', 'faults/rules', { status: 503, mailbox: alice, times: 2, retryAfterSeconds: 3 });
    for (let i = 0; i < 2; i++) {
      const res = await t.graph('GET', `/users/${alice}/mailFolders/inbox`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('3');
      expect((await json(res)).error.code).toBe('serviceNotAvailable');
    }
    expect((await t.graph('GET', `/users/${alice}/mailFolders/inbox`)).status).toBe(200);
    await t.control('PUT', 'faults', { rate503: 0.3, rate504: 0.2 });
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => t.graph('GET', `/users/${i % 2 ? alice : bob}`).then((r) => r.status)),
    );
    const share = (s: number): number => statuses.filter((x) => x === s).length / statuses.length;
    expect(share(503)).toBeGreaterThan(0.18);
    expect(share(503)).toBeLessThan(0.42);
    expect(share(504)).toBeGreaterThan(0.1);
    expect(share(504)).toBeLessThan(0.3);
  });
});
