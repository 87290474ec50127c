import type { CosmosClient, Database } from '@azure/cosmos';
import { namedKey } from '../../local/stack/cosmos-partition-scope';
import { freshCatalog } from '../support/catalog';

// Cosmos DB runs a query that names a partition key (or a prefix of a hierarchical one) in that partition alone.
describe('Cosmos DB stand-in: queries that name a partition key', () => {
  let client: CosmosClient;
  let database: Database;
  beforeAll(async () => {
    ({ client, database } = await freshCatalog('pscope'));
    const versions = database.container('versions');
    for (const p of ['a', 'b'])
      for (const c of ['x', 'y'])
        for (let i = 0; i < 5; i++)
          await versions.items.create({ id: `${p}${c}${i}`, protectedItemId: p, containerId: c, n: i });
  });
  afterAll(() => client?.dispose());

  const ids = async (options: object, query = 'SELECT c.id FROM c WHERE c.n >= 0'): Promise<string[]> => {
    const it = database.container('versions').items.query<{ id: string }>(query, { maxItemCount: 3, ...options });
    const out: string[] = [];
    while (it.hasMoreResults()) out.push(...(await it.fetchNext()).resources.map((r) => r.id));
    return out.sort();
  };

  it('answers a query naming a key prefix from that partition only, page by page', async () => {
    expect(await ids({ partitionKey: ['a'] })).toEqual([
      'ax0',
      'ax1',
      'ax2',
      'ax3',
      'ax4',
      'ay0',
      'ay1',
      'ay2',
      'ay3',
      'ay4',
    ]);
  });

  it('answers a query naming a whole key from that partition only', async () => {
    expect(await ids({ partitionKey: ['b', 'y'] })).toEqual(['by0', 'by1', 'by2', 'by3', 'by4']);
  });

  it('still answers a cross-partition query from every partition', async () => {
    expect(await ids({}, 'SELECT c.id FROM c WHERE c.n = 0')).toEqual(['ax0', 'ay0', 'bx0', 'by0']);
  });

  it('sees writes and deletes in the partition index', async () => {
    const versions = database.container('versions');
    await versions.item('ax0', ['a', 'x', 'ax0']).delete();
    await versions.items.upsert({ id: 'ax9', protectedItemId: 'a', containerId: 'x', n: 9 });
    await versions.items.upsert({ id: 'ax1', protectedItemId: 'a', containerId: 'x', n: 11 });
    expect(await ids({ partitionKey: ['a', 'x'] }, 'SELECT c.id FROM c WHERE c.n > 3')).toEqual(['ax1', 'ax4', 'ax9']);
  });

  it('reads the key a request names', () => {
    expect(namedKey('["a","x"]')).toEqual(['a', 'x']);
    expect(namedKey('[7]')).toEqual([7]);
    expect(namedKey('[{}]')).toBeUndefined();
    expect(namedKey('[]')).toBeUndefined();
    expect(namedKey('not json')).toBeUndefined();
    expect(namedKey(undefined)).toBeUndefined();
  });
});
