import path from 'node:path';
import { installLokiFixes, nameFirst, type Loki } from '../../local/stack/azurite-main';

describe('Azurite lookups by name first', () => {
  it('moves an equality on a blob or block name to the front, keeping every condition', () => {
    const q = { accountName: 'a', containerName: 'c', name: 'x/y', snapshot: '' };
    expect(Object.keys(nameFirst(q) as object)).toEqual(['name', 'accountName', 'containerName', 'snapshot']);
    expect(nameFirst(q)).toEqual(q);
    expect(Object.keys(nameFirst({ accountName: 'a', blobName: 'b', name: 'block1' }) as object)[0]).toBe('name');
  });

  it('leaves range queries, single keys and operators as they are', () => {
    const range = { accountName: 'a', name: { $gt: 'm' } };
    expect(nameFirst(range)).toBe(range);
    const single = { name: 'x' };
    expect(nameFirst(single)).toBe(single);
    const and = { $and: [{ accountName: 'a' }] };
    expect(nameFirst(and)).toBe(and);
  });
});

interface Doc {
  accountName: string;
  containerName: string;
  name: string;
}
interface TestCollection {
  insert(d: Doc): void;
  findAndRemove(q: object): void;
  find(q: object): Doc[];
  count(q?: object): number;
  ensureIndex(key: string, force?: boolean): void;
  binaryIndices: Record<string, { values: number[] }>;
  data: Doc[];
}

describe("Azurite's blob deletes", () => {
  // Azurite's own LokiJS, with the indices its blobs collection has.
  const lokiModule = (): Loki & (new () => { addCollection(n: string, o: object): TestCollection }) =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- Azurite's copy, as the child process loads it
    require(require.resolve('lokijs', { paths: [path.dirname(require.resolve('azurite/package.json'))] })) as Loki &
      (new () => { addCollection(n: string, o: object): TestCollection });

  it('remove a blob without re-sorting every index, and leave the indices exact', () => {
    const LokiDb = lokiModule();
    installLokiFixes(LokiDb);
    installLokiFixes(LokiDb); // idempotent
    const blobs = new LokiDb().addCollection('$BLOBS_COLLECTION$', {
      indices: ['accountName', 'containerName', 'name', 'snapshot'],
    });
    const names = Array.from({ length: 500 }, (_, i) => `t/sha256/${((i * 7919) % 500).toString(16).padStart(4, '0')}`);
    for (const name of names) blobs.insert({ accountName: 'a', containerName: 'content', name });
    blobs.find({ name: names[0] }); // builds the indices
    const rebuilds = jest.spyOn(blobs, 'ensureIndex');
    const removed = names.filter((_, i) => i % 3 === 0);
    for (const name of removed) blobs.findAndRemove({ accountName: 'a', containerName: 'content', name });
    // Without the fix each removal re-sorts the four indices.
    expect(rebuilds).not.toHaveBeenCalled();
    rebuilds.mockRestore();
    expect(blobs.count()).toBe(names.length - removed.length);
    for (const name of names)
      expect(blobs.find({ accountName: 'a', containerName: 'content', name }).length).toBe(
        removed.includes(name) ? 0 : 1,
      );
    // Each index still lists every remaining position once, in order of its key.
    for (const key of ['accountName', 'containerName', 'name'] as const) {
      const { values } = blobs.binaryIndices[key];
      expect([...values].sort((x, y) => x - y)).toEqual(blobs.data.map((_, i) => i));
      const keys = values.map((p) => blobs.data[p][key]);
      expect(keys).toEqual([...keys].sort());
    }
  });

  it("still removes a large batch through LokiJS's own batch path", () => {
    const LokiDb = lokiModule();
    installLokiFixes(LokiDb);
    const blobs = new LokiDb().addCollection('c', { indices: ['name'] });
    for (let i = 0; i < 100; i++) blobs.insert({ accountName: 'a', containerName: 'c', name: `n${i}` });
    blobs.findAndRemove({ name: { $gte: 'n5' } });
    expect(blobs.count()).toBe(45); // n5…n9 and n50…n99 are gone
    expect(blobs.find({ name: { $gte: 'n5' } })).toEqual([]);
    expect(blobs.find({ name: 'n4' }).length).toBe(1);
  });
});
