// The emulator's counters add up the SharePoint resource units charged (resource-units.ts), so a benchmark can say
// what share of the minute's budget a backup used: 1 RU for one item, 2 for a collection, whether or not a limit is
// set, and nothing for a request the limit refused.
import { startTestEmulator, TestEmulator } from './support';

describe('resource-unit counter', () => {
  let t: TestEmulator;
  let siteId: string;
  const units = async (): Promise<number> =>
    (await t.control<{ resourceUnits: number }>('GET', 'counters')).body.resourceUnits;

  beforeAll(async () => {
    t = await startTestEmulator({ seed: 'resource-unit-counter' });
    siteId = (await t.control<Array<{ id: string; kind: string }>>('GET', 'sites')).body.find(
      (s) => s.kind === 'team',
    )!.id;
  });
  afterAll(() => t?.stop());

  it('counts 1 RU per item and 2 per collection without a limit, none for a refused request, and resets', async () => {
    await t.control('DELETE', 'counters');
    expect(await units()).toBe(0);
    expect((await t.graph('GET', `/sites/${siteId}`)).status).toBe(200);
    expect((await t.graph('GET', `/sites/${siteId}/lists`)).status).toBe(200);
    expect(await units()).toBe(3);

    await t.control('PUT', 'resource-units', { perMinute: 3 });
    try {
      expect((await t.graph('GET', `/sites/${siteId}`)).status).toBe(200);
      expect((await t.graph('GET', `/sites/${siteId}/lists`)).status).toBe(200);
      expect((await t.graph('GET', `/sites/${siteId}`)).status).toBe(429);
      expect(await units()).toBe(6);
    } finally {
      await t.control('PUT', 'resource-units', { perMinute: null });
    }
    await t.control('DELETE', 'counters');
    expect(await units()).toBe(0);
  });

  it("charges 5 RU for a file's permissions, 2 for its version history", async () => {
    const json = async <T>(path: string): Promise<T> => (await (await t.graph('GET', path)).json()) as T;
    const [drive] = (await json<{ value: Array<{ id: string }> }>(`/sites/${siteId}/drives`)).value;
    const items = (await json<{ value: Array<{ id: string; file?: object }> }>(`/drives/${drive.id}/root/delta`)).value;
    const file = items.find((i) => i.file)!;
    const at = `/drives/${drive.id}/items/${encodeURIComponent(file.id)}`;
    await t.control('DELETE', 'counters');
    expect((await t.graph('GET', `${at}/permissions`)).status).toBe(200);
    expect(await units()).toBe(5);
    expect((await t.graph('GET', `${at}/versions`)).status).toBe(200);
    expect(await units()).toBe(7);
  });
});
