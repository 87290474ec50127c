import {
  BatchRequest,
  BatchResult,
  correlate,
  encodeBatch,
  longestRetryAfter,
  requestsToRetry,
  splitIntoBatches,
} from '../../../shared/graph/batch-plan';

const get = (id: string, dependsOn?: string[]): BatchRequest => ({
  id,
  method: 'GET',
  url: `/users/u/messages/${id}/$value`,
  ...(dependsOn ? { dependsOn } : {}),
});

describe('batch splitting', () => {
  it('packs at most 20 per batch, in order', () => {
    const reqs = Array.from({ length: 45 }, (_, i) => get(String(i)));
    const batches = splitIntoBatches(reqs);
    expect(batches.map((b) => b.length)).toEqual([20, 20, 5]);
    expect(batches.flat().map((r) => r.id)).toEqual(reqs.map((r) => r.id));
  });
  it('keeps requests linked by dependsOn in one batch', () => {
    const reqs = [...Array.from({ length: 18 }, (_, i) => get(`s${i}`)), get('a'), get('b', ['a']), get('c', ['b'])];
    const batches = splitIntoBatches(reqs);
    expect(batches).toHaveLength(2);
    expect(batches[1].map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });
  it('refuses duplicate ids (case-insensitive), unknown dependencies and chains longer than a batch', () => {
    expect(() => splitIntoBatches([get('A'), get('a')])).toThrow(/duplicate/);
    expect(() => splitIntoBatches([get('a', ['x'])])).toThrow(/unknown request 'x'/);
    const chain = Array.from({ length: 21 }, (_, i) => get(String(i), i ? [String(i - 1)] : undefined));
    expect(() => splitIntoBatches(chain)).toThrow(/21 batch requests are linked/);
  });
});

describe('batch encoding', () => {
  it('adds Content-Type for bodies and base64-encodes bytes', () => {
    const body = JSON.parse(
      encodeBatch([
        { id: '1', method: 'POST', url: '/users/u/messages', body: { subject: 'x' } },
        {
          id: '2',
          method: 'POST',
          url: '/users/u/mailFolders/f/messages',
          headers: { 'content-type': 'text/plain' },
          body: 'TUlNRQ==',
        },
        { id: '3', method: 'PUT', url: '/drives/d/items/i/content', body: Buffer.from('bytes'), dependsOn: ['1'] },
        get('4'),
      ]),
    ) as { requests: Array<Record<string, unknown>> };
    expect(body.requests[0]).toEqual({
      id: '1',
      method: 'POST',
      url: '/users/u/messages',
      headers: { 'Content-Type': 'application/json' },
      body: { subject: 'x' },
    });
    expect(body.requests[1].headers).toEqual({ 'content-type': 'text/plain' });
    expect(body.requests[2]).toMatchObject({
      headers: { 'Content-Type': 'application/octet-stream' },
      body: Buffer.from('bytes').toString('base64'),
      dependsOn: ['1'],
    });
    expect(body.requests[3]).toEqual({ id: '4', method: 'GET', url: '/users/u/messages/4/$value' });
  });
});

describe('batch correlation', () => {
  it('matches responses by id whatever their order, and decodes base64 bodies of non-JSON items', () => {
    const mime = Buffer.from('From: a@b\r\n\r\nhello');
    const results = correlate([get('a'), get('B'), get('c')], {
      responses: [
        { id: 'c', status: 429, headers: { 'Retry-After': '3' }, body: { error: { code: 'TooManyRequests' } } },
        { id: 'a', status: 200, headers: { 'Content-Type': 'message/rfc822' }, body: mime.toString('base64') },
        { id: 'b', status: 200, headers: { 'Content-Type': 'application/json' }, body: { id: 'B' } },
      ],
    });
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['a', 200],
      ['b', 200],
      ['c', 429],
    ]);
    expect(results[0].body).toEqual(mime);
    expect(results[1].body).toEqual({ id: 'B' });
    expect(results[2].headers['retry-after']).toBe('3');
  });
  it('fails loudly when a response is missing', () => {
    expect(() => correlate([get('a'), get('b')], { responses: [{ id: 'a', status: 200, headers: {} }] })).toThrow(
      /no response for request 'b'/,
    );
    expect(() => correlate([get('a')], {})).toThrow(/no responses array/);
  });
});

describe('batch retry selection', () => {
  const res = (id: string, status: number, retryAfter?: string): BatchResult => ({
    id,
    status,
    headers: retryAfter ? { 'retry-after': retryAfter } : {},
  });
  it('resends throttled items and their failed dependents, dropping dependencies that succeeded', () => {
    const sent = [
      get('ok'),
      get('t1'),
      get('t2'),
      get('dep', ['t1', 'ok']),
      get('dep2', ['dep']),
      get('forbidden'),
      get('unrelated424', ['forbidden']),
    ];
    const results = [
      res('ok', 200),
      res('t1', 429, '2'),
      res('t2', 503),
      res('dep', 424),
      res('dep2', 424),
      res('forbidden', 403),
      res('unrelated424', 424),
    ];
    const again = requestsToRetry(sent, results);
    expect(again.map((r) => r.id)).toEqual(['t1', 't2', 'dep', 'dep2']);
    expect(again.find((r) => r.id === 'dep')!.dependsOn).toEqual(['t1']);
    expect(again.find((r) => r.id === 't1')!.dependsOn).toBeUndefined();
  });
  it('waits for the longest Retry-After among the retriable items', () => {
    const now = Date.now();
    expect(longestRetryAfter([res('a', 429, '2'), res('b', 429, '7.5'), res('c', 200), res('d', 504)], now)).toBe(7.5);
    expect(longestRetryAfter([res('a', 504), res('b', 200, '9')], now)).toBeUndefined();
  });
});
