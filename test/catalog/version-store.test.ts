import { CosmosClient, Database } from '@azure/cosmos';
import { ChangeLog, LogRecord, logBlobName } from '../../shared/catalog/change-log';
import { VersionDoc } from '../../shared/catalog/version-doc';
import { VersionStore } from '../../shared/catalog/version-store';
import { freshCatalog, freshChangeLog } from '../support/catalog';

const doc = (itemId: string, validFrom: number, subject: string, containerId = 'inbox'): VersionDoc => ({
  id: '',
  protectedItemId: 'acct.mailbox.u1',
  containerId,
  itemId,
  kind: 'message',
  validFrom,
  changeKey: `${itemId}-${validFrom}`,
  props: { subject },
});

async function viewOf(store: VersionStore, seq: number): Promise<string[]> {
  const { resources } = await store.view('acct.mailbox.u1', seq).fetchAll();
  return resources.map((d) => `${d.itemId}:${String(d.props.subject)}`).sort();
}

describe('VersionStore + ChangeLog', () => {
  let client: CosmosClient;
  let database: Database;
  let store: VersionStore;
  let removeLog: () => Promise<void>;
  let log: ChangeLog;

  beforeAll(async () => {
    ({ client, database } = await freshCatalog('ver'));
    store = new VersionStore(database);
    ({ log, remove: removeLog } = await freshChangeLog('log'));
  });
  afterAll(async () => {
    await removeLog();
    client.dispose();
  });

  /** One run: log first, then write, as the sync engine does. */
  async function run(seq: number, records: LogRecord[]): Promise<void> {
    await log.append(logBlobName('acct', 'acct.mailbox.u1', seq), records);
    for (const r of records) if (r.t === 'version') await store.apply(r);
  }

  it('gives every recovery point its own view while writing only changes', async () => {
    // seq 1: a, b, c arrive
    await run(
      1,
      [doc('a', 1, 'A1'), doc('b', 1, 'B1'), doc('c', 1, 'C1')].map((d) => VersionStore.putRecord(d, undefined, 1)),
    );
    // seq 2: a edited, b deleted, c untouched, d arrives
    const h2 = await store.heads('acct.mailbox.u1', 'inbox', ['a', 'b', 'c', 'd']);
    expect([...h2.keys()].sort()).toEqual(['a', 'b', 'c']);
    await run(2, [
      VersionStore.putRecord(doc('a', 2, 'A2'), h2.get('a'), 2),
      VersionStore.deleteRecord(h2.get('b')!, 2),
      VersionStore.putRecord(doc('d', 2, 'D2'), undefined, 2),
    ]);
    // seq 3: a edited twice within the run (second write rewrites the head in place), d deleted
    const h3 = await store.heads('acct.mailbox.u1', 'inbox', ['a', 'd']);
    await run(3, [VersionStore.putRecord(doc('a', 3, 'A3'), h3.get('a'), 3)]);
    const h3b = await store.heads('acct.mailbox.u1', 'inbox', ['a']);
    expect(VersionStore.putRecord(doc('a', 3, 'A3b'), h3b.get('a'), 3)).not.toHaveProperty('close');
    await run(3, [
      VersionStore.putRecord(doc('a', 3, 'A3b'), h3b.get('a'), 3),
      VersionStore.deleteRecord(h3.get('d')!, 3),
    ]);

    expect(await viewOf(store, 1)).toEqual(['a:A1', 'b:B1', 'c:C1']);
    expect(await viewOf(store, 2)).toEqual(['a:A2', 'c:C1', 'd:D2']);
    expect(await viewOf(store, 3)).toEqual(['a:A3b', 'c:C1']);
    const { resources: all } = await store.container.items.readAll().fetchAll();
    // heads a, c + closed a@1, a@2, b@1, d@2 — nothing for unchanged c, nothing for the in-place rewrite.
    expect(all).toHaveLength(6);
  });

  it('is idempotent: re-applying a run changes nothing', async () => {
    const before = (await store.container.items.readAll().fetchAll()).resources.length;
    for await (const name of log.blobs('acct'))
      for await (const r of log.records(name)) if (r.t === 'version') await store.apply(r);
    expect((await store.container.items.readAll().fetchAll()).resources.length).toBe(before);
    expect(await viewOf(store, 2)).toEqual(['a:A2', 'c:C1', 'd:D2']);
  });

  it('rebuilds the same catalog from the change log alone', async () => {
    const { client: c2, database: fresh } = await freshCatalog('rebuilt');
    const rebuilt = new VersionStore(fresh);
    for await (const name of log.blobs('acct'))
      for await (const r of log.records(name)) if (r.t === 'version') await rebuilt.apply(r);
    for (const seq of [1, 2, 3]) expect(await viewOf(rebuilt, seq)).toEqual(await viewOf(store, seq));
    c2.dispose();
  });

  it('lists the open heads of a container for a resync sweep', async () => {
    const heads: string[] = [];
    for await (const h of store.allHeads('acct.mailbox.u1', 'inbox')) heads.push(h.itemId);
    expect(heads.sort()).toEqual(['a', 'c']);
  });
});
