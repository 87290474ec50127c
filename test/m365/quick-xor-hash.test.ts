import { QuickXorHash, quickXorHash } from '../../local/m365/files/quick-xor-hash';
import { json, startTestEmulator, TestEmulator } from './support';

describe('quickXorHash', () => {
  it('matches the published reference value for "hello world"', () => {
    expect([...new QuickXorHash().update(Buffer.from('hello world')).digest()]).toEqual([
      104, 40, 3, 27, 216, 240, 6, 16, 220, 225, 13, 114, 107, 3, 25, 0, 0, 0, 0, 0,
    ]);
  });

  it('is the length alone for no data, and does not depend on how the bytes are chunked', () => {
    expect(quickXorHash([])).toBe(Buffer.alloc(20).toString('base64'));
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256));
    const whole = quickXorHash([data]);
    expect(
      quickXorHash([data.subarray(0, 1), data.subarray(1, 161), data.subarray(161, 4097), data.subarray(4097)]),
    ).toBe(whole);
    expect(quickXorHash([Buffer.concat([data, Buffer.from([0])])])).not.toBe(whole);
  });

  describe('on OneDrive items', () => {
    let t: TestEmulator;
    beforeAll(async () => {
      t = await startTestEmulator();
    });
    afterAll(async () => t?.stop());

    it('reports the quickXorHash of the bytes it serves, and a new one after the content changes', async () => {
      const user = (
        await t.control<{ users: Array<{ id: string; licensed: boolean }> }>('GET', 'tenant')
      ).body.users.find((u) => u.licensed)!;
      const drive = await json(await t.graph('GET', `/users/${user.id}/drive`));
      const delta = await json<{ value: Array<{ id: string; file?: { hashes: { quickXorHash: string } } }> }>(
        await t.graph('GET', `/drives/${drive.id}/root/delta`),
      );
      const file = delta.value.find((i) => i.file)!;
      const redirect = await t.graph('GET', `/drives/${drive.id}/items/${encodeURIComponent(file.id)}/content`);
      expect(redirect.status).toBe(302);
      const bytes = Buffer.from(await (await t.fetch(redirect.headers.get('location')!)).arrayBuffer());
      expect(bytes.length).toBeGreaterThan(0);
      expect(file.file!.hashes.quickXorHash).toBe(quickXorHash([bytes]));
      await t.control('PATCH', `drive/${user.id}/files/${encodeURIComponent(file.id)}`, {
        content: Buffer.from('new content').toString('base64'),
      });
      const after = await json(await t.graph('GET', `/drives/${drive.id}/items/${encodeURIComponent(file.id)}`));
      expect(after.file.hashes.quickXorHash).toBe(quickXorHash([Buffer.from('new content')]));
    });
  });
});
