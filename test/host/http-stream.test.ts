// The local host keeps the real HTTP contract of @azure/functions in both of its modes: without
// app.setup({ enableHttpStream: true }) bodies cross the worker boundary whole (and over a bound, are refused); with it,
// requests and responses stream through the library's own proxy, as in Azure.
import fs from 'node:fs';
import path from 'node:path';
import { fixtureHost, repoRoot, waitFor } from '../support/host-process';
import { peakRss } from '../support/rss';

const appDir = path.join(repoRoot, 'test/fixtures/host-app');
const MIB = 1024 * 1024;
const limits = { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(4 * MIB), M365V_HOST_MAX_BUFFERED_BODY_BYTES: String(MIB) };

/** Reads a response body to its end without keeping it: its size. */
async function drain(r: Response): Promise<number> {
  let n = 0;
  for await (const chunk of r.body!) n += (chunk as Uint8Array).length;
  return n;
}

describe('local Functions host: buffered HTTP (no enableHttpStream)', () => {
  const fx = fixtureHost(appDir, limits);

  it('says it buffers, and hands the response over only once the library has read all of it', async () => {
    expect(fx.host.lines.join('\n')).toContain('HTTP streaming off');
    const r = await fetch(`${fx.host.url}/api/big?bytes=${256 * 1024}&id=whole`);
    // The headers arrived: by then the handler had produced its last chunk (the library awaited arrayBuffer()).
    expect(fs.existsSync(path.join(fx.fixtureDir, 'done-whole'))).toBe(true);
    expect(await drain(r)).toBe(256 * 1024);
  });

  it('passes route parameters only in request.params', async () => {
    const r = await fetch(`${fx.host.url}/api/items/7/a?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'n' }),
    });
    expect(((await r.json()) as { params: unknown }).params).toEqual({ id: '7', rest: 'a' });
  });

  it('refuses a response body over M365V_HOST_MAX_BUFFERED_BODY_BYTES with a 500 that names the setting', async () => {
    const r = await fetch(`${fx.host.url}/api/big?bytes=${MIB + 1}`);
    expect(r.status).toBe(500);
    expect(fx.host.lines.join('\n')).toMatch(
      /response body is 1048577 bytes, over the local host's limit of 1048576 \(M365V_HOST_MAX_BUFFERED_BODY_BYTES\).*enableHttpStream/,
    );
    expect((await fetch(`${fx.host.url}/api/big?bytes=${MIB}`)).status).toBe(200);
  });

  it('refuses a request body over the buffered bound, and over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, with 413', async () => {
    expect((await fetch(`${fx.host.url}/api/count`, { method: 'POST', body: Buffer.alloc(MIB) })).status).toBe(200);
    expect((await fetch(`${fx.host.url}/api/count`, { method: 'POST', body: Buffer.alloc(MIB + 1) })).status).toBe(413);
    // Chunked (no content-length): refused once the bytes read pass the bound.
    const chunked = new ReadableStream({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(MIB));
        c.close();
      },
    });
    expect((await fetch(`${fx.host.url}/api/count`, { method: 'POST', body: chunked, duplex: 'half' })).status).toBe(
      413,
    );
    expect(fx.host.lines.join('\n')).toContain(
      'M365V_HOST_MAX_BUFFERED_BODY_BYTES: without app.setup({ enableHttpStream: true }) it would reach the worker whole',
    );
  });
});

describe('local Functions host: streamed HTTP (enableHttpStream)', () => {
  const fx = fixtureHost(appDir, { ...limits, FIXTURE_HTTP_STREAM: '1' });

  it('streams a response: the client reads its first bytes while the handler is still producing', async () => {
    expect(fx.host.lines.join('\n')).toContain('HTTP streaming on');
    const r = await fetch(`${fx.host.url}/api/gated/g1`);
    const reader = r.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value).toString()).toBe('first');
    fs.writeFileSync(path.join(fx.fixtureDir, 'release-g1'), '');
    let rest = '';
    for (let c = await reader.read(); !c.done; c = await reader.read()) rest += Buffer.from(c.value).toString();
    expect(rest).toBe('second');
  });

  it('passes params, query, headers, body, status and cookies through the proxy; request.params holds the binding data, as in Azure', async () => {
    const r = await fetch(`${fx.host.url}/api/items/42/a/b%20c?x=1&y=two&code=secret`, {
      method: 'POST',
      headers: { 'x-test': 'hello' },
      body: 'payload',
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-echo')).toBe('hello');
    expect(r.headers.get('set-cookie')).toBe('session=abc; Path=/; HttpOnly');
    // Query parameters (but `code`) join the route's; a JSON body's top-level strings would too.
    expect(await r.json()).toEqual({
      method: 'POST',
      params: { id: '42', rest: 'a/b c', x: '1', y: 'two' },
      query: { x: '1', y: 'two', code: 'secret' },
      body: 'payload',
    });
    const json = await fetch(`${fx.host.url}/api/items/7/a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'body', name: 'n', n: 5 }),
    });
    expect(((await json.json()) as { params: unknown }).params).toEqual({ id: '7', rest: 'a', name: 'n' });
    expect(Buffer.from(await (await fetch(`${fx.host.url}/api/binary`)).arrayBuffer())).toEqual(
      Buffer.from([0, 1, 2, 255]),
    );
  });

  it('streams a paced response far over the buffered bound with flat host memory', async () => {
    const size = 512 * MIB;
    const { result, grewMiB } = await peakRss(fx.host.child.pid!, async () =>
      drain(await fetch(`${fx.host.url}/api/big?bytes=${size}&paced=1`)),
    );
    console.log(`[host stream] ${size / MIB} MiB paced response: host RSS grew ${grewMiB.toFixed(1)} MiB`);
    expect(result).toBe(size);
    // Holding the body would take 512 MiB; garbage between collections stays far below.
    expect(grewMiB).toBeLessThan(96);
  });

  it('stops producing a paced body when the client goes away', async () => {
    const size = 1024 * MIB;
    const aborted = new AbortController();
    const r = await fetch(`${fx.host.url}/api/big?bytes=${size}&paced=1&id=gone`, { signal: aborted.signal });
    await r.body!.getReader().read();
    aborted.abort();
    const ended = path.join(fx.fixtureDir, 'ended-gone');
    const produced = await waitFor(
      async () => (fs.existsSync(ended) ? Number(fs.readFileSync(ended, 'utf8')) : undefined),
      30_000,
      'the body to stop',
    );
    expect(produced).toBeLessThan(size);
  });

  it.each([
    ['paced', '&paced=1'],
    ['unpaced', ''],
  ])('cuts the transfer when a %s body fails mid-stream, instead of leaving the client waiting', async (_, pacing) => {
    // @azure/functions neither ends nor closes its proxy response when a body throws (4.16): the client must still see
    // the transfer cut, as it would in Azure, and the host must say why.
    const r = await fetch(`${fx.host.url}/api/big?bytes=${64 * MIB}&failAt=${8 * MIB}${pacing}`);
    // Whether the host has the response's head when the body fails is a race: a 500 before, a cut body after.
    if (r.status === 200) await expect(drain(r)).rejects.toThrow();
    else expect(r.status).toBe(500);
    await waitFor(
      async () => (fx.host.lines.some((l) => l.includes('the source broke')) ? true : undefined),
      30_000,
      'the host to log the failure',
    );
  });

  it('reproduces the library writing an unpaced body without backpressure (azure-functions-nodejs-library#294)', async () => {
    // The product paces its bodies (functions/http/paced-body.ts) because of this. If this fails, a newer
    // @azure/functions waits for 'drain' itself, and the pacing can go.
    const size = 256 * MIB;
    const { result, grewMiB } = await peakRss(fx.host.child.pid!, async () =>
      drain(await fetch(`${fx.host.url}/api/big?bytes=${size}`)),
    );
    console.log(`[host stream] ${size / MIB} MiB unpaced response: host RSS grew ${grewMiB.toFixed(1)} MiB`);
    expect(result).toBe(size);
    expect(grewMiB).toBeGreaterThan(size / MIB / 2);
  });

  it('takes request bodies over the buffered bound, but not over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', async () => {
    const ok = await fetch(`${fx.host.url}/api/count`, { method: 'POST', body: Buffer.alloc(3 * MIB) });
    expect(await ok.json()).toEqual({ bytes: 3 * MIB });
    expect((await fetch(`${fx.host.url}/api/count`, { method: 'POST', body: Buffer.alloc(4 * MIB + 1) })).status).toBe(
      413,
    );
  });
});
