import { CosmosClient, Database } from '@azure/cosmos';
import { ChangeLog, LogRecord, logBlobName } from '../../shared/catalog/change-log';
import { VersionDoc } from '../../shared/catalog/version-doc';
import { VersionStore } from '../../shared/catalog/version-store';
import { rebuildCatalog } from '../../shared/catalog/rebuild';
import { BadContinuation, ItemSummary, search } from '../../shared/browse/recovery-point-queries';
import { searchTextOf } from '../../shared/backup/workloads/mail';
import { freshCatalog, freshChangeLog } from '../support/catalog';

const MAILBOX = 'acct.mailbox.u1';
const OTHER = 'acct2.mailbox.u9';

function message(
  itemId: string,
  validFrom: number,
  subject: string,
  from: string,
  body = '',
  protectedItemId = MAILBOX,
): VersionDoc {
  const props = {
    subject,
    from: { emailAddress: { name: from.split('@')[0], address: from } },
    toRecipients: [{ emailAddress: { address: 'team@contoso.com' } }],
  };
  return {
    id: '',
    protectedItemId,
    containerId: 'inbox',
    itemId,
    kind: 'message',
    validFrom,
    props: { ...props, searchText: searchTextOf(props), bodyText: body.toLowerCase() },
  };
}

describe('message search through the word index (local Cosmos DB stand-in)', () => {
  let client: CosmosClient;
  let database: Database;
  let store: VersionStore;
  let removeLog: () => Promise<void>;
  let log: ChangeLog;

  async function run(seq: number, records: LogRecord[], protectedItemId = MAILBOX): Promise<void> {
    await log.append(logBlobName(protectedItemId.split('.')[0], protectedItemId, seq), records);
    for (const r of records) if (r.t === 'version') await store.apply(r);
  }
  async function all(
    on: VersionStore,
    q: string,
    fromSeq: number,
    toSeq: number,
    pageSize = 50,
    protectedItemId = MAILBOX,
  ): Promise<ItemSummary[]> {
    const out: ItemSummary[] = [];
    let continuation: string | undefined;
    do {
      const page = await search(on, protectedItemId, { fromSeq, toSeq }, q, pageSize, continuation);
      out.push(...page.value);
      continuation = page.continuation;
    } while (continuation);
    return out;
  }
  const hits = async (q: string, fromSeq = 1, toSeq = 3, on = store): Promise<string[]> =>
    (await all(on, q, fromSeq, toSeq)).map((h) => `${h.id}@${h.validFrom}`).sort();

  beforeAll(async () => {
    ({ client, database } = await freshCatalog('search'));
    store = new VersionStore(database);
    ({ log, remove: removeLog } = await freshChangeLog('searchlog'));
    await run(
      1,
      [
        message('a', 1, 'Roadmap review', 'alice@contoso.com'),
        message('b', 1, 'Lunch', 'bob@fabrikam.com', 'In short: the zebracorn budget is approved.'),
        message('c', 1, 'Unrelated', 'carol@contoso.com', 'nothing to see'),
      ].map((d) => VersionStore.putRecord(d, undefined, 1)),
    );
    await run(
      1,
      [
        VersionStore.putRecord(
          message('x', 1, 'Roadmap review', 'alice@contoso.com', 'zebracorn budget', OTHER),
          undefined,
          1,
        ),
      ],
      OTHER,
    );
    // seq 2: a's subject changes (a@1 is closed with its own index); seq 3: b is deleted.
    const h2 = await store.heads(MAILBOX, 'inbox', ['a']);
    await run(2, [VersionStore.putRecord(message('a', 2, 'Budget review', 'alice@contoso.com'), h2.get('a'), 2)]);
    const h3 = await store.heads(MAILBOX, 'inbox', ['b']);
    await run(3, [VersionStore.deleteRecord(h3.get('b')!, 3)]);
  });
  afterAll(async () => {
    await removeLog();
    client.dispose();
  });

  it('matches words and word beginnings of subject, names, addresses and body, case-insensitively', async () => {
    expect(await hits('ROADMAP')).toEqual(['a@1']);
    expect(await hits('road')).toEqual(['a@1']);
    expect(await hits('oadmap')).toEqual([]);
    expect(await hits('alice@contoso.com')).toEqual(['a@1', 'a@2']);
    expect(await hits('alice@')).toEqual(['a@1', 'a@2']);
    expect(await hits('Carol')).toEqual(['c@1']);
    expect(await hits('zebracorn budget')).toEqual(['b@1']);
    expect(await hits('budget zebracorn')).toEqual([]);
    expect(await hits('@fabrikam')).toEqual(['b@1']);
  });

  it('follows validity intervals: edited and deleted versions belong to the points that held them', async () => {
    expect(await hits('roadmap', 2, 3)).toEqual([]);
    expect(await hits('budget', 2, 2)).toEqual(['a@2', 'b@1']);
    expect(await hits('budget', 3, 3)).toEqual(['a@2']);
    expect((await all(store, 'zebracorn', 1, 3))[0]).toMatchObject({ id: 'b', validFrom: 1, validTo: 3 });
  });

  it("never returns another protected item's versions", async () => {
    expect((await all(store, 'zebracorn', 1, 3, 50, OTHER)).map((h) => h.id)).toEqual(['x']);
    expect(await hits('zebracorn')).toEqual(['b@1']);
  });

  it('keeps the derived index out of what is read back and logged; a rebuild from the log derives it again', async () => {
    expect((await store.heads(MAILBOX, 'inbox', ['a'])).get('a')!.props).not.toHaveProperty('searchTerms');
    for await (const name of log.blobs())
      for await (const r of log.records(name)) expect(JSON.stringify(r)).not.toContain('searchTerms');
    const { client: c2, database: fresh } = await freshCatalog('searchrebuilt');
    await rebuildCatalog(log, fresh);
    const rebuilt = new VersionStore(fresh);
    for (const q of ['road', 'alice@contoso.com', 'zebracorn budget', 'budget'])
      expect(await hits(q, 1, 3, rebuilt)).toEqual(await hits(q));
    c2.dispose();
  });

  it('pages with continuation tokens bound to their query', async () => {
    await run(
      4,
      Array.from({ length: 120 }, (_, i) =>
        VersionStore.putRecord(message(`inv${i}`, 4, `Invoice ${i}`, 'billing@contoso.com'), undefined, 4),
      ),
    );
    const pages = [];
    let continuation: string | undefined;
    do {
      const page = await search(store, MAILBOX, { fromSeq: 4, toSeq: 4 }, 'invoice', 50, continuation);
      pages.push(page.value.length);
      continuation = page.continuation;
    } while (continuation);
    expect(pages).toEqual([50, 50, 20]);
    expect(new Set((await all(store, 'invoice', 4, 4, 50)).map((h) => h.id)).size).toBe(120);
    const first = await search(store, MAILBOX, { fromSeq: 4, toSeq: 4 }, 'invoice', 50);
    await expect(search(store, MAILBOX, { fromSeq: 4, toSeq: 4 }, 'invoices', 50, first.continuation)).rejects.toThrow(
      BadContinuation,
    );
  });
});
