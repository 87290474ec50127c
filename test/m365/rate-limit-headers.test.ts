// SharePoint's RateLimit headers (how-to-avoid-getting-throttled-or-blocked-in-sharepoint-online, "RateLimit
// headers"): from 80 % of an app's resource-unit budget on, answers say the minute's limit, what is left and when
// the minute resets, and so does the 429 past it. Today's emulator sent none. Exchange documents no such headers for
// its mailbox limits, so mailbox answers carry none either.
import { json, startTestEmulator, TestEmulator } from './support';

describe('RateLimit headers (SharePoint resource units)', () => {
  let t: TestEmulator;
  let siteId: string;
  let user: string;

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'rate-limit-headers' });
    siteId = (await t.control<Array<{ id: string; kind: string }>>('GET', 'sites')).body.find(
      (s) => s.kind === 'team',
    )!.id;
    user = t.em.tenant().directory.correspondents()[0].id;
  });
  afterAll(() => t?.stop());

  it('sends RateLimit-Limit/-Remaining/-Reset from 80 % of the minute on, and on the 429 past it', async () => {
    await t.control('PUT', 'resource-units', { perMinute: 10 });
    try {
      for (let i = 0; i < 7; i++) {
        const res = await t.graph('GET', `/sites/${siteId}`); // one item: 1 RU
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-limit')).toBeNull();
      }
      const near = await t.graph('GET', `/sites/${siteId}`);
      expect(near.status).toBe(200);
      expect(near.headers.get('ratelimit-limit')).toBe('10');
      expect(near.headers.get('ratelimit-remaining')).toBe('2');
      const reset = Number(near.headers.get('ratelimit-reset'));
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      await t.graph('GET', `/sites/${siteId}`);
      expect((await t.graph('GET', `/sites/${siteId}`)).headers.get('ratelimit-remaining')).toBe('0');
      const refused = await t.graph('GET', `/sites/${siteId}`);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await json(refused)).error.code).toBe('TooManyRequests');
    } finally {
      await t.control('PUT', 'resource-units', { perMinute: null });
    }
  });

  it('sends none on mailbox answers, even close to the Exchange budget', async () => {
    await t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 3, windowSeconds: 60 });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await t.graph('GET', `/users/${user}/mailFolders/inbox`);
        expect(res.status).toBe(200);
        expect([...res.headers.keys()].filter((h) => /^ratelimit-|^x-ms-throttle/i.test(h))).toEqual([]);
      }
    } finally {
      await t.control('PUT', 'throttle', { mailboxRequestsPerWindow: 10_000, windowSeconds: 600 });
    }
  });
});
