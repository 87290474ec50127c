// The service-time model (graph/service-time.ts): a handled request holds its mailbox slot for its kind's latency,
// content streams at the configured MB/s, so a fifth concurrent request to one mailbox meets Exchange's
// MailboxConcurrency 429 with Retry-After, as in Graph. Today's emulator answered at once, so five concurrent GETs all
// succeeded. Sleeps go through an injected gate: the tests decide when a request's service time is over, and never
// measure wall time.
import { Readable } from 'node:stream';
import { requestKind, ServiceTime, serviceTimeSettings, Sleep } from '../../local/m365/graph/service-time';
import { json, startTestEmulator, TestEmulator } from './support';

/** A sleep the test releases: while closed, every sleeper waits; the asked durations are recorded. */
class Gate {
  private waiting: Array<() => void> = [];
  private open = false;
  readonly asked: number[] = [];
  readonly sleep: Sleep = (ms) => {
    this.asked.push(ms);
    return this.open ? Promise.resolve() : new Promise<void>((resolve) => this.waiting.push(resolve));
  };
  get pending(): number {
    return this.waiting.length;
  }
  release(): void {
    this.open = true;
    this.waiting.splice(0).forEach((resolve) => resolve());
  }
  close(): void {
    this.open = false;
  }
}

/** Waits until `ready()` holds, in a bounded number of short event-loop turns (no wall-clock assertion). */
async function until(ready: () => boolean | Promise<boolean>, turns = 2_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition not reached');
}

describe('service-time model (unit)', () => {
  it('classifies requests by kind', () => {
    expect(requestKind('GET', '/users/u/mailFolders/inbox')).toBe('json');
    expect(requestKind('GET', '/users/u/mailFolders/inbox/messages/delta')).toBe('delta');
    expect(requestKind('GET', '/drives/d/root/delta()')).toBe('delta');
    expect(requestKind('GET', '/users/u/messages/m/$value')).toBe('content');
    expect(requestKind('GET', '/users/u/messages/m/attachments/a/$value')).toBe('content');
    expect(requestKind('GET', '/drives/d/items/i/content')).toBe('json'); // a 302 to the download URL
    expect(requestKind('PATCH', '/users/u/messages/m')).toBe('write');
    expect(requestKind('DELETE', '/drives/d/items/i')).toBe('write');
    expect(requestKind('POST', '/$batch')).toBe('batch');
  });

  it('waits each kind its latency, nothing when off, and streams content at the configured MB/s', async () => {
    const gate = new Gate();
    gate.release();
    const st = new ServiceTime(
      serviceTimeSettings({
        enabled: true,
        jsonGetMs: 100,
        deltaPageMs: 300,
        writeMs: 200,
        batchMs: 40,
        contentMBps: 4,
      }),
      gate.sleep,
    );
    for (const kind of ['json', 'delta', 'write', 'batch', 'content'] as const) await st.serve(kind);
    expect(gate.asked).toEqual([100, 300, 200, 40, 100]);
    gate.asked.length = 0;
    const eightMiB = Buffer.alloc(8 * 1024 * 1024, 7);
    const paced = await st.deliver('content', {
      stream: Readable.from([eightMiB.subarray(0, 3e6), eightMiB.subarray(3e6)]),
    });
    let bytes = 0;
    for await (const c of paced.stream!) bytes += (c as Buffer).length;
    expect(bytes).toBe(eightMiB.length);
    // 100 ms to the first byte, then 8 MiB at 4 MiB/s: 2 s of virtual time.
    expect(gate.asked[0]).toBe(100);
    expect(gate.asked.slice(1).reduce((a, b) => a + b, 0)).toBeCloseTo(2000, 6);
    gate.asked.length = 0;
    st.settings = serviceTimeSettings({ enabled: false });
    await st.serve('delta');
    const same = { stream: Readable.from([Buffer.from('x')]) };
    expect(await st.deliver('content', same)).toBe(same);
    expect(gate.asked).toEqual([]);
  });
});

describe('service-time model (emulator, raw HTTP and the Graph SDK)', () => {
  const gate = new Gate();
  let t: TestEmulator;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    t = await startTestEmulator({
      seed: 'service-time',
      profile: {
        licensedUsers: 2,
        sharedMailboxes: 0,
        messages: { inbox: 12 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 3,
        largeEvery: 0,
      },
      serviceTime: { enabled: true },
      sleep: gate.sleep,
    });
    [alice, bob] = t.em
      .tenant()
      .directory.correspondents()
      .map((u) => u.id) as [string, string];
    await t.token(); // msal's token request is not Graph: no service time, but fetch it before closing the gate
  });
  afterAll(() => t?.stop());
  afterEach(async () => {
    gate.release();
    await t.control('DELETE', 'counters');
  });

  it('holds a mailbox slot for the service time: a fifth concurrent request gets MailboxConcurrency 429 with Retry-After', async () => {
    gate.close();
    const inFlight = Array.from({ length: 4 }, () => t.graph('GET', `/users/${alice}/mailFolders/inbox`));
    await until(() => gate.pending === 4);
    const fifth = await t.graph('GET', `/users/${alice}/mailFolders/inbox`);
    expect(fifth.status).toBe(429);
    expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await json(fifth)).error).toMatchObject({
      code: 'ApplicationThrottled',
      message: 'Application is over its MailboxConcurrency limit.',
    });
    // Another mailbox has its own four slots: its request enters service instead of being refused.
    const other = t.graph('GET', `/users/${bob}/mailFolders/inbox`);
    await until(() => gate.pending === 5);
    gate.release();
    expect((await Promise.all([...inFlight, other])).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await t.graph('GET', `/users/${alice}/mailFolders/inbox`)).status).toBe(200);
  });

  it('is waited out by the Graph SDK RetryHandler: five concurrent SDK calls all succeed after one 429', async () => {
    gate.close();
    const client = t.client();
    const calls = Array.from({ length: 4 }, () => client.api(`/users/${alice}/mailFolders/inbox`).get());
    await until(() => gate.pending === 4);
    const fifth = client.api(`/users/${alice}/mailFolders/inbox`).get();
    await until(async () => (await t.control<{ throttled: number }>('GET', 'counters')).body.throttled === 1);
    gate.release();
    const folders = (await Promise.all([...calls, fifth])) as Array<{ displayName: string }>;
    expect(folders.map((f) => f.displayName)).toEqual(Array(5).fill('Inbox'));
    const counters = (await t.control<{ byStatus: Record<string, number> }>('GET', 'counters')).body;
    expect(counters.byStatus).toMatchObject({ '200': 5, '429': 1 });
  });

  it('serves $value after the JSON latency, streaming at contentMBps, and a delta page after its own latency', async () => {
    gate.release();
    const st = t.em.runtime.serviceTime.settings;
    const list = await json(await t.graph('GET', `/users/${alice}/mailFolders/inbox/messages?$select=id&$top=1`));
    gate.asked.length = 0;
    const mime = await t.graph('GET', `/users/${alice}/messages/${list.value[0].id}/$value`);
    const size = (await mime.arrayBuffer()).byteLength;
    expect(size).toBeGreaterThan(0);
    expect(gate.asked[0]).toBe(st.jsonGetMs);
    const streamed = gate.asked.slice(1).reduce((a, b) => a + b, 0);
    expect(streamed).toBeCloseTo((size / (st.contentMBps * 1024 * 1024)) * 1000, 6);
    gate.asked.length = 0;
    expect((await t.graph('GET', `/users/${alice}/mailFolders/inbox/messages/delta`)).status).toBe(200);
    expect(gate.asked).toEqual([st.deltaPageMs]);
  });

  it('is configured through the control API (a bad field is a 400 naming it) and is off by default', async () => {
    expect((await t.control('PUT', 'service-time', { jsonGetMs: -1 })).status).toBe(400);
    const bad = await t.control<{ error: string }>('PUT', 'service-time', { jsonGetMss: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('jsonGetMss');
    const changed = await t.control<{ jsonGetMs: number; deltaPageMs: number }>('PUT', 'service-time', {
      jsonGetMs: 90,
    });
    expect(changed.body).toMatchObject({ jsonGetMs: 90, deltaPageMs: 400 });
    await t.control('PUT', 'service-time', { jsonGetMs: 150 });
    const plain = await startTestEmulator({ seed: 'service-time-off' });
    try {
      expect((await plain.control<{ enabled: boolean }>('GET', 'service-time')).body.enabled).toBe(false);
    } finally {
      await plain.stop();
    }
  });
});
