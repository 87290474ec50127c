import { Readable } from 'node:stream';
import type { DeltaPage, GraphReader } from '../../shared/backup/ports';
import { SyncDeps, syncContainer, SyncTarget } from '../../shared/backup/sync-container';
import { listItems, siteLists } from '../../shared/backup/workloads/list-items';
import { SyncBed, syncBed } from '../support/sync-bed';

const SITE = 'contoso.sharepoint.com,s1,w1';
const ITEM = 'acct.site.s1';

/** Scripted Graph pages, and a list's schema as its content. */
class ListsGraph implements GraphReader {
  pages = new Map<string, DeltaPage>();
  streamed: string[] = [];
  page(url: string): Promise<DeltaPage> {
    const p = this.pages.get(url);
    return p ? Promise.resolve(p) : Promise.reject(new Error(`unscripted ${url}`));
  }
  stream(url: string): Promise<Readable> {
    this.streamed.push(url);
    return Promise.resolve(Readable.from([Buffer.from(JSON.stringify({ url, columns: [{ name: 'Title' }] }))]));
  }
}

const list = (id: string, template: string, eTag = `"${id},1"`, extra: Record<string, unknown> = {}) => ({
  id,
  name: id,
  displayName: `List ${id}`,
  eTag,
  lastModifiedDateTime: '2026-01-01T00:00:00Z',
  list: { template, hidden: false },
  ...extra,
});
const item = (id: string, title: string, eTag = `"${id},1"`) => ({ id, eTag, fields: { id, Title: title } });

describe("a site's lists through the sync engine", () => {
  let bed: SyncBed;
  let graph: ListsGraph;
  let deps: SyncDeps;
  const target = (containerId: string, seq: number): SyncTarget => ({
    accountId: 'acct',
    tenantId: 't1',
    protectedItemId: ITEM,
    containerId,
    mailbox: SITE,
    seq,
  });
  const far = (): number => Date.now() + 3_600_000;
  const heads = async (containerId: string, seq: number) =>
    (await deps.versions.view(ITEM, seq, { containerId }).fetchAll()).resources;

  beforeAll(async () => {
    graph = new ListsGraph();
    bed = await syncBed('lists', graph);
    deps = bed.deps;
  });
  afterAll(() => bed.dispose());

  it('enumerates the lists whole every round (no delta): a list gone is deleted, libraries and hidden lists never kept, a schema read again only when the list changed', async () => {
    const lists = siteLists(SITE);
    graph.pages.set(lists.initialUrl, {
      value: [
        list('a', 'genericList'),
        list('lib', 'documentLibrary'),
        list('h', 'genericList', '"h,1"', { list: { template: 'genericList', hidden: true } }),
        list('b', 'events'),
      ],
    });
    expect(await syncContainer(deps, target('lists', 1), lists, far())).toMatchObject({
      status: 'done',
      counts: { written: 2, deleted: 0 },
    });
    expect((await heads('lists', 1)).map((d) => [d.itemId, d.kind]).sort()).toEqual([
      ['a', 'list'],
      ['b', 'list'],
    ]);
    expect(graph.streamed.sort()).toEqual([
      `/sites/${encodeURIComponent(SITE)}/lists/a?$expand=columns,contentTypes`,
      `/sites/${encodeURIComponent(SITE)}/lists/b?$expand=columns,contentTypes`,
    ]);

    graph.streamed = [];
    graph.pages.set(lists.initialUrl, { value: [list('a', 'genericList', '"a,2"'), list('lib', 'documentLibrary')] });
    expect(await syncContainer(deps, target('lists', 2), lists, far())).toMatchObject({
      status: 'done',
      counts: { written: 1, deleted: 1 },
    });
    expect((await heads('lists', 2)).map((d) => d.itemId)).toEqual(['a']);
    expect(graph.streamed).toEqual([`/sites/${encodeURIComponent(SITE)}/lists/a?$expand=columns,contentTypes`]);

    // Unchanged: nothing written, nothing read again, nothing deleted.
    graph.streamed = [];
    expect(await syncContainer(deps, target('lists', 3), lists, far())).toMatchObject({
      status: 'done',
      counts: { written: 0, deleted: 0 },
    });
    expect(graph.streamed).toEqual([]);
  });

  it("keeps two lists' items apart although Graph numbers each list's items from 1", async () => {
    for (const [listId, title] of [
      ['a', 'Alpha'],
      ['b', 'Beta'],
    ]) {
      const w = listItems(SITE, listId);
      graph.pages.set(w.initialUrl, { value: [item('1', `${title} one`)], deltaLink: `delta-${listId}` });
      await syncContainer(deps, target(`list:${listId}`, 1), w, far());
    }
    graph.pages.set('delta-a', { value: [{ id: '1', deleted: { state: 'deleted' } }], deltaLink: 'delta-a2' });
    graph.pages.set('delta-b', { value: [], deltaLink: 'delta-b2' });
    await syncContainer(deps, target('list:a', 2), listItems(SITE, 'a'), far());
    await syncContainer(deps, target('list:b', 2), listItems(SITE, 'b'), far());
    const at = async (seq: number) =>
      (await deps.versions.view(ITEM, seq).fetchAll()).resources
        .filter((d) => d.kind === 'listItem')
        .map((d) => [d.itemId, d.props.name, d.props.parentId, d.props.listItemId])
        .sort();
    expect(await at(1)).toEqual([
      ['a.1', 'Alpha one', 'a', '1'],
      ['b.1', 'Beta one', 'b', '1'],
    ]);
    expect(await at(2)).toEqual([['b.1', 'Beta one', 'b', '1']]);
    const [beta] = await deps.versions.versionsAt(ITEM, 2, ['b.1']);
    expect(beta.props.searchText).toBe('beta one');
  });
});
