// $batch against the emulator: splitting into ≤20, correlation by id, inner 429s retried alone after their own
// Retry-After, dependsOn (a 424 retried with its throttled dependency), per-item failures, the deadline, and each
// inner request holding a mailbox slot.
import { createHash } from 'node:crypto';
import { itemError } from '../../shared/graph/batch';
import type { BatchRequest } from '../../shared/graph/batch-plan';
import { readBody } from '../../shared/graph/https-transport';
import { GraphTestBed, later, startGraphTestBed } from './support';

let bed: GraphTestBed;
let user: string;
let ids: string[];

beforeAll(async () => {
  bed = await startGraphTestBed({
    seed: 'graph-client-batch',
    profile: {
      licensedUsers: 1,
      sharedMailboxes: 0,
      messages: { inbox: 48 },
      filesPerDrive: 1,
      fileBytes: { min: 10, max: 20 },
      attachmentEvery: 4,
      largeEvery: 8,
    },
  });
  user = (await bed.users()).find((u) => u.licensed)!.id;
  ids = (
    await bed.client().all<{ id: string }>(`/users/${user}/mailFolders/inbox/messages?$select=id&$top=100`, read())
  ).map((m) => m.id);
});
afterAll(() => bed.stop());
afterEach(() => bed.t.control('DELETE', 'faults'));

function read(deadline = later()) {
  return { mailbox: user, operation: 'mail.read' as const, deadline };
}
const mime = (id: string, i = 0): BatchRequest => ({
  id: `m${i}`,
  method: 'GET',
  url: `/users/${user}/messages/${id}/$value`,
});
const sha = (b: unknown): string =>
  createHash('sha256')
    .update(b as Buffer)
    .digest('hex');
const batchesSent = (since: number) =>
  bed.sent
    .slice(since)
    .filter((s) => s.url.endsWith('/$batch'))
    .map((s) => (JSON.parse(s.body!) as { requests: unknown[] }).requests.length);

describe('$batch', () => {
  it('fetches 45 MIME messages in 3 batches, results in request order with the bytes of a single GET', async () => {
    const client = bed.client();
    const since = bed.sent.length;
    const requests = Array.from({ length: 45 }, (_, i) => mime(ids[i % ids.length], i));
    const results = await client.batch(requests, read());
    expect(batchesSent(since)).toEqual([20, 20, 5]);
    expect(results.map((r) => r.id)).toEqual(requests.map((r) => r.id));
    expect(results.every((r) => r.status === 200 && Buffer.isBuffer(r.body))).toBe(true);
    const single = await readBody((await client.download(`/users/${user}/messages/${ids[7]}/$value`, read())).body);
    expect(sha(results[7].body)).toBe(sha(single));
    expect(client.stats()).toMatchObject({ requests: 4, batchedRequests: 45, throttled: 0 });
  });

  it("asks for immutable ids in every Outlook item of a batch (Graph does not apply the batch's Prefer to them), and gets them", async () => {
    const client = bed.client();
    const since = bed.sent.length;
    const results = await client.batch(
      [
        { id: 'a', method: 'GET', url: `/users/${user}/mailFolders/inbox/messages?$top=1&$select=id` },
        {
          id: 'b',
          method: 'GET',
          url: `/users/${user}/mailFolders/inbox/messages?$top=1&$select=id`,
          headers: { Prefer: 'outlook.body-content-type="text"' },
        },
      ],
      read(),
    );
    const sent = JSON.parse(bed.sent.slice(since).find((x) => x.url.endsWith('/$batch'))!.body!) as {
      requests: Array<{ headers?: Record<string, string> }>;
    };
    expect(sent.requests.map((r) => r.headers?.Prefer)).toEqual([
      'IdType="ImmutableId"',
      'outlook.body-content-type="text", IdType="ImmutableId"',
    ]);
    expect(results.map((r) => (r.body as { value: Array<{ id: string }> }).value[0].id.slice(0, 4))).toEqual([
      'AAkA',
      'AAkA',
    ]);
    // A file request is not an Outlook one: nothing is added.
    const files = bed.sent.length;
    await client.batch([{ id: 'f', method: 'GET', url: `/users/${user}/drive?$select=id` }], {
      ...read(),
      operation: 'files.read',
    });
    expect(
      (
        JSON.parse(bed.sent.slice(files).find((x) => x.url.endsWith('/$batch'))!.body!) as {
          requests: Array<{ headers?: unknown }>;
        }
      ).requests[0].headers,
    ).toBeUndefined();
  });

  it('resends only the items Graph throttled, after their Retry-After', async () => {
    const client = bed.client();
    await fault({ status: 429, path: '/users/{userId}/messages/{messageId}/$value', times: 3, retryAfterSeconds: 1 });
    const since = bed.sent.length;
    const started = Date.now();
    const results = await client.batch(
      ids.slice(0, 10).map((id, i) => mime(id, i)),
      read(),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(batchesSent(since)).toEqual([10, 3]);
    expect(client.stats()).toMatchObject({ throttled: 3, retries: 3, batchedRequests: 13 });
  });

  it('retries a dependent that failed with 424 together with its throttled dependency', async () => {
    const client = bed.client();
    await fault({ status: 429, path: '/users/{userId}/mailFolders/{folderId}', times: 1, retryAfterSeconds: 0.5 });
    const results = await client.batch(
      [
        { id: 'folder', method: 'GET', url: `/users/${user}/mailFolders/inbox` },
        {
          id: 'page',
          method: 'GET',
          url: `/users/${user}/mailFolders/inbox/messages?$top=2&$select=id`,
          dependsOn: ['folder'],
        },
        { id: 'other', method: 'GET', url: `/users/${user}/mailFolders?$select=id` },
      ],
      read(),
    );
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['folder', 200],
      ['page', 200],
      ['other', 200],
    ]);
    expect((results[1].body as { value: unknown[] }).value).toHaveLength(2);
    expect(client.stats()).toMatchObject({ throttled: 1, retries: 2 });
  });

  it('returns a failed item as it is, turned into the error a single request would raise', async () => {
    expect((await bed.t.control('DELETE', `mail/${user}/messages/${ids[5]}`)).status).toBe(204);
    const results = await bed
      .client()
      .batch([mime(ids[0]), { id: 'gone', method: 'GET', url: `/users/${user}/messages/${ids[5]}` }], read());
    expect(results[0].status).toBe(200);
    expect(results[1].status).toBe(404);
    expect(itemError(results[1], 'mail.read')).toMatchObject({
      name: 'GraphRequestError',
      status: 404,
      code: 'ErrorItemNotFound',
      requestId: expect.any(String),
    });
    expect(itemError(results[0], 'mail.read')).toBeUndefined();
  });

  it('stops retrying at the deadline and returns the throttled item with its Retry-After', async () => {
    const client = bed.client();
    await fault({ status: 429, path: '/users/{userId}/messages/{messageId}/$value', times: 1, retryAfterSeconds: 30 });
    const started = Date.now();
    const results = await client.batch(
      ids.slice(0, 3).map((id, i) => mime(id, i)),
      read(Date.now() + 5000),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(results.filter((r) => r.status === 429)).toEqual([
      expect.objectContaining({ headers: expect.objectContaining({ 'retry-after': '30' }) }),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(client.stats().handedBack).toBe(1);
  });

  it('holds a mailbox slot per inner request: a batch waits while single requests hold the mailbox', async () => {
    const client = bed.client();
    await bed.t.control('DELETE', 'counters');
    // Two multi-MB MIME streams left unread keep two of the mailbox's four slots (and emulator lanes) busy.
    const singles = await Promise.all(
      [7, 15].map((i) => client.download(`/users/${user}/messages/${ids[i]}/$value`, read())),
    );
    const since = bed.sent.length;
    const batch = client.batch(
      [23, 31, 39, 47].map((i) => mime(ids[i], i)),
      read(),
    );
    await new Promise((r) => setTimeout(r, 800));
    expect(batchesSent(since)).toEqual([]);
    await Promise.all(singles.map((s) => readBody(s.body)));
    expect((await batch).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(batchesSent(since)).toEqual([4]);
    expect((await bed.t.control<{ throttled: number }>('GET', 'counters')).body.throttled).toBe(0);
  });
});

function fault(rule: Record<string, unknown>) {
  return bed.t.control('POST', 'faults/rules', rule);
}
