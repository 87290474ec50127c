import { Container, CosmosClient } from '@azure/cosmos';
import { freshCatalog } from '../support/catalog';

const code = async (p: Promise<unknown>): Promise<number | undefined> =>
  p.then(
    () => 200,
    (e: { code?: number }) => e.code,
  );

/** The Cosmos DB semantics the job lock relies on, as the stand-in must reproduce them (optimistic concurrency). */
describe('Cosmos DB stand-in: conditional writes', () => {
  let client: CosmosClient;
  let ops: Container;

  beforeAll(async () => {
    const catalog = await freshCatalog('cond');
    client = catalog.client;
    ops = catalog.database.container('operations');
  });
  afterAll(() => client.dispose());

  it('refuses to create an id that exists in the partition (409), and lets only one of simultaneous creates win', async () => {
    await ops.items.create({ id: 'lock', accountId: 'a' });
    expect(await code(ops.items.create({ id: 'lock', accountId: 'a' }))).toBe(409);
    expect(await code(ops.items.create({ id: 'lock', accountId: 'b' }))).toBe(200);
    const codes = await Promise.all(
      Array.from({ length: 8 }, () => code(ops.items.create({ id: 'lock', accountId: 'c' }))),
    );
    expect(codes.sort()).toEqual([200, ...Array(7).fill(409)]);
  });

  it('replaces or deletes only while the ETag still matches (412 otherwise), and a missing document is 404', async () => {
    const { etag } = await ops.items.create({ id: 'x', accountId: 'a', n: 0 });
    const replaced = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        code(
          ops
            .item('x', 'a')
            .replace({ id: 'x', accountId: 'a', n }, { accessCondition: { type: 'IfMatch', condition: etag } }),
        ),
      ),
    );
    expect(replaced.sort()).toEqual([200, ...Array(7).fill(412)]);
    expect(await code(ops.item('x', 'a').delete({ accessCondition: { type: 'IfMatch', condition: etag } }))).toBe(412);
    const current = await ops.item('x', 'a').read();
    expect(
      await code(ops.item('x', 'a').delete({ accessCondition: { type: 'IfMatch', condition: current.etag } })),
    ).toBe(200);
    expect(
      await code(
        ops
          .item('x', 'a')
          .replace({ id: 'x', accountId: 'a' }, { accessCondition: { type: 'IfMatch', condition: current.etag } }),
      ),
    ).toBe(404);
  });
});
