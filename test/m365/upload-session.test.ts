// A OneDrive upload session as the driveItem-createuploadsession page describes it (ranges in 320 KiB multiples,
// 202 + nextExpectedRanges per range, GET on the uploadUrl to resume, 416 for a range the session does not expect,
// the item with the last range), and the scripted faults a restore must survive at that URL: a refused range, a
// connection dropped before the range arrived, an answer lost after it was taken.
import { createHash } from 'node:crypto';
import { json, startTestEmulator, TestEmulator } from './support';

const KIB320 = 320 * 1024;

describe('drive upload sessions and their faults', () => {
  let t: TestEmulator;
  let driveId: string;
  let rootId: string;

  beforeAll(async () => {
    t = await startTestEmulator();
    const user = (
      await t.control<{ users: Array<{ id: string; licensed: boolean }> }>('GET', 'tenant')
    ).body.users.find((u) => u.licensed)!;
    driveId = (await json(await t.graph('GET', `/users/${user.id}/drive`))).id;
    rootId = (await json(await t.graph('GET', `/drives/${driveId}/root`))).id;
  });
  afterAll(async () => t?.stop());
  afterEach(async () => {
    await t.control('DELETE', 'faults');
  });

  const session = async (name: string): Promise<string> => {
    const res = await t.graph(
      'POST',
      `/drives/${driveId}/items/${encodeURIComponent(rootId)}:/${name}:/createUploadSession`,
      { body: { item: { '@microsoft.graph.conflictBehavior': 'rename' } } },
    );
    expect(res.status).toBe(200);
    return (await json(res)).uploadUrl;
  };
  const put = (url: string, bytes: Buffer, start: number, total: number): Promise<Response> =>
    t.fetch(url, {
      method: 'PUT',
      headers: { 'content-range': `bytes ${start}-${start + bytes.length - 1}/${total}` },
      body: bytes,
    });
  const file = Buffer.from(Array.from({ length: 2 * KIB320 + 1000 }, (_, i) => (i * 7) % 251));
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

  it('takes ranges in order, says where it stands on GET, refuses a range it does not expect with 416', async () => {
    const url = await session('Ranges.bin');
    const first = await put(url, file.subarray(0, KIB320), 0, file.length);
    expect(first.status).toBe(202);
    expect((await json(first)).nextExpectedRanges).toEqual([`${KIB320}-`]);
    expect((await put(url, file.subarray(0, KIB320), 0, file.length)).status).toBe(416);
    expect((await json(await t.fetch(url))).nextExpectedRanges).toEqual([`${KIB320}-`]);
    expect((await put(url, file.subarray(KIB320, KIB320 + 1000), KIB320, file.length)).status).toBe(400);
    expect((await put(url, file.subarray(KIB320, 2 * KIB320), KIB320, file.length)).status).toBe(202);
    const last = await put(url, file.subarray(2 * KIB320), 2 * KIB320, file.length);
    expect(last.status).toBe(201);
    expect((await json(last)).size).toBe(file.length);
    expect((await t.fetch(url)).status).toBe(404);
  });

  it('refuses, drops or loses the answer to a scripted range, and counts the bytes sent', async () => {
    const url = await session('Faults.bin');
    const before = (await t.control<{ uploadBytes: number }>('GET', 'counters')).body.uploadBytes;
    await t.control('POST', 'faults/rules', {
      method: 'PUT',
      path: '/_files/uploads/',
      status: 503,
      retryAfterSeconds: 2,
      times: 1,
    });
    const refused = await put(url, file.subarray(0, KIB320), 0, file.length);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    await t.control('POST', 'faults/rules', { method: 'PUT', path: '/_files/uploads/', action: 'drop', times: 1 });
    await expect(put(url, file.subarray(0, KIB320), 0, file.length)).rejects.toThrow();
    expect((await json(await t.fetch(url))).nextExpectedRanges).toEqual(['0-']);
    await t.control('POST', 'faults/rules', { method: 'PUT', path: '/_files/uploads/', action: 'lose', times: 1 });
    await expect(put(url, file.subarray(0, KIB320), 0, file.length)).rejects.toThrow();
    expect((await json(await t.fetch(url))).nextExpectedRanges).toEqual([`${KIB320}-`]);
    expect((await put(url, file.subarray(KIB320), KIB320, file.length)).status).toBe(201);
    expect((await t.control<{ uploadBytes: number }>('GET', 'counters')).body.uploadBytes - before).toBe(
      3 * KIB320 + (file.length - KIB320),
    );
    const items = (await t.control<Array<{ id: string; name: string }>>('GET', `drive/${driveId}/items`)).body;
    const landed = items.find((i) => i.name === 'Faults.bin')!;
    const bytes = await t.fetch(
      `${t.em.url}/_emulator/drive/${driveId}/files/${encodeURIComponent(landed.id)}/content`,
    );
    expect(sha(Buffer.from(await bytes.arrayBuffer()))).toBe(sha(file));
  });
});
