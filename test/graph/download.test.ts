// Content downloads against the emulator: a driveItem's /content is followed through its 302 to the
// pre-authenticated URL without the Authorization header, byte ranges go to that URL, and a large file streams with
// flat memory. (The emulator runs in this process, so the memory figure covers both ends of the stream.)
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { peakLiveMemory } from '../support/live-memory';
import { readBody } from '../../shared/graph/https-transport';
import { GraphTestBed, later, startGraphTestBed } from './support';

let bed: GraphTestBed;
let user: string;
let drive: string;

beforeAll(async () => {
  bed = await startGraphTestBed({
    seed: 'graph-client-download',
    profile: {
      licensedUsers: 1,
      sharedMailboxes: 0,
      messages: { inbox: 2 },
      filesPerDrive: 4,
      fileBytes: { min: 50_000, max: 300_000 },
      attachmentEvery: 0,
      largeEvery: 0,
    },
  });
  user = (await bed.users()).find((u) => u.licensed)!.id;
  drive = (await bed.client().get<{ id: string }>(`/users/${user}/drive`, read())).id;
});
afterAll(() => bed.stop());

function read(deadline = later()) {
  return { mailbox: drive ?? user, operation: 'files.read' as const, deadline };
}
const files = async (): Promise<Array<{ id: string; size: number; file?: unknown }>> =>
  (
    await bed.client().getPage<{ id: string; size: number; file?: unknown }>(`/drives/${drive}/root/delta`, read())
  ).value.filter((i) => i.file);
const expectedSha = async (id: string): Promise<string> =>
  (await bed.t.fetch(`${bed.t.em.url}/_emulator/drive/${user}/files/${encodeURIComponent(id)}/content`)).headers.get(
    'x-sha256',
  )!;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('downloads', () => {
  it('follows the 302 to the pre-authenticated URL without the Authorization header', async () => {
    const [file] = await files();
    const since = bed.sent.length;
    const d = await bed.client().download(`/drives/${drive}/items/${file.id}/content`, read());
    const bytes = await readBody(d.body);
    expect(d).toMatchObject({ status: 200, redirected: true });
    expect(sha(bytes)).toBe(await expectedSha(file.id));
    const [toGraph, toDownloadHost] = bed.sent
      .slice(since)
      .filter((s) => /\/_?content\b/.test(new URL(s.url).pathname));
    expect(new URL(toGraph.url).pathname).toMatch(/\/content$/);
    expect(toGraph.headers.authorization).toMatch(/^Bearer /);
    expect(new URL(toDownloadHost.url).pathname).toMatch(/^\/_content\//);
    expect(Object.keys(toDownloadHost.headers).map((h) => h.toLowerCase())).not.toContain('authorization');
    // The pre-authenticated URL is a credential too: it never reaches the log.
    expect(JSON.stringify(bed.logs)).not.toContain('/_content/');
  });

  it('asks the download URL for a byte range', async () => {
    const [, file] = await files();
    const client = bed.client();
    const whole = await readBody((await client.download(`/drives/${drive}/items/${file.id}/content`, read())).body);
    const part = await client.download(`/drives/${drive}/items/${file.id}/content`, {
      ...read(),
      range: { start: 100, end: 1123 },
    });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-1123/${whole.length}`);
    expect((await readBody(part.body)).equals(whole.subarray(100, 1124))).toBe(true);
  });

  it('resumes a file from an offset with its ETag, and answers 416 past its end', async () => {
    const [, file] = await files();
    const client = bed.client();
    const url = `/drives/${drive}/items/${file.id}/content`;
    const whole = await client.streamFrom(url, read(), 0);
    const bytes = await readBody(whole.body);
    const rest = await client.streamFrom(url, read(), 1000);
    expect((await readBody(rest.body)).equals(bytes.subarray(1000))).toBe(true);
    expect(rest.etag).toBeDefined();
    expect(rest.etag).toBe(whole.etag);
    await expect(client.download(url, { ...read(), range: { start: bytes.length } })).rejects.toMatchObject({
      status: 416,
    });
  });

  it('streams a 256 MB file with flat memory', async () => {
    const size = 256 * 1024 * 1024;
    const created = await bed.t.control<{ id: string }>('POST', `drive/${user}/files`, { name: 'large.bin', size });
    expect(created.status).toBe(201);
    const started = Date.now();
    const { result: received, grewMiB } = await peakLiveMemory(async () => {
      const d = await bed.client().download(`/drives/${drive}/items/${created.body.id}/content`, read());
      let n = 0;
      await pipeline(
        d.body,
        new Writable({
          write(chunk: Buffer, _e, done) {
            n += chunk.length;
            done();
          },
        }),
      );
      return n;
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `[graph download] ${size / 1024 / 1024} MB in ${seconds.toFixed(2)} s (${(size / 1024 / 1024 / seconds).toFixed(0)} MB/s), live memory grew ${grewMiB.toFixed(1)} MiB`,
    );
    expect(received).toBe(size);
    // Both ends of the stream are in this process (the emulator serves from it); a buffered download would hold the
    // whole 256 MiB file.
    expect(grewMiB).toBeLessThan(96);
  });
});
