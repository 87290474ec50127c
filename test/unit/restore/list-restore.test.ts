import type { GraphClient } from '../../../shared/graph/graph-client';
import { GraphRequestError } from '../../../shared/graph/graph-errors';
import type { VersionDoc } from '../../../shared/catalog/version-doc';
import { ListRestorer, ListTarget } from '../../../shared/restore/list-restore';

const SITE = 'contoso.sharepoint.com,1,2';
const LIST = 'list-guid';
const BASE = `/sites/${encodeURIComponent(SITE)}/lists/${LIST}`;
const STARTED = new Date('2026-12-02T10:00:00.500Z');

interface Stored {
  id: string;
  createdDateTime: string;
  fields: Record<string, unknown>;
}

/** A list in memory behind the three GraphClient calls a list restore makes; every write is recorded. */
function fakeList(items: Stored[]) {
  const writes: Array<{ method: string; path: string; body: unknown }> = [];
  let next = 100;
  const graph = {
    all: (path: string) => {
      if (path === `${BASE}/columns`)
        return Promise.resolve([
          { name: 'Title' },
          { name: 'Status' },
          { name: 'Created', readOnly: true },
          { name: 'Secret', hidden: true },
        ]);
      if (path === `${BASE}/items?$expand=fields`) return Promise.resolve(items);
      return Promise.reject(new Error(`unscripted ${path}`));
    },
    get: (path: string) => {
      const id = decodeURIComponent(/\/items\/([^/?]+)\?/.exec(path)![1]);
      return items.some((i) => i.id === id)
        ? Promise.resolve({ id })
        : Promise.reject(new GraphRequestError({ status: 404, code: 'itemNotFound', operation: 'sites.read' }));
    },
    send: (method: string, path: string, body: { fields?: Record<string, unknown> }) => {
      writes.push({ method, path, body });
      if (method === 'POST') {
        const id = String(next++);
        items.push({ id, createdDateTime: '2026-12-02T10:00:00Z', fields: body.fields ?? {} });
        return Promise.resolve({ id });
      }
      return Promise.resolve({});
    },
  } as unknown as GraphClient;
  return { graph, writes, items };
}

const doc = (id: string): VersionDoc => ({
  id: 'h',
  protectedItemId: 'p',
  containerId: `list:${LIST}`,
  itemId: `${LIST}.${id}`,
  kind: 'listItem',
  validFrom: 1,
  props: { name: `item ${id}` },
});
const backedUp = (id: string, fields: Record<string, unknown>) => ({
  id,
  fields: { id, Created: '2025-01-01T00:00:00Z', Secret: 'x', '@odata.etag': '"e,1"', ...fields },
});
const target = (graph: GraphClient, t: Partial<ListTarget>): ListTarget => ({
  graph,
  siteId: SITE,
  overwrite: 'rename',
  startedAt: STARTED,
  deadline: Date.now() + 60_000,
  firstAttempt: true,
  ...t,
});

describe('restoring SharePoint list items', () => {
  it('creates a missing item with only the writable columns', async () => {
    const { graph, writes } = fakeList([]);
    const r = await new ListRestorer(target(graph, {})).item(
      doc('7'),
      LIST,
      backedUp('7', { Title: 'T', Status: 'Done' }),
      LIST,
    );
    expect(r).toMatchObject({ itemId: `${LIST}.7`, outcome: 'restored', newId: '100' });
    expect(writes).toEqual([
      { method: 'POST', path: `${BASE}/items`, body: { fields: { Title: 'T', Status: 'Done' } } },
    ]);
  });

  it('overwrites an existing item field-identical: a column empty at the point is cleared', async () => {
    const { graph, writes } = fakeList([{ id: '7', createdDateTime: '2025-01-01T00:00:00Z', fields: {} }]);
    const r = await new ListRestorer(target(graph, { overwrite: 'overwrite' })).item(
      doc('7'),
      LIST,
      backedUp('7', { Title: 'T' }),
      LIST,
    );
    expect(r).toMatchObject({ outcome: 'overwritten', newId: '7' });
    expect(writes).toEqual([{ method: 'PATCH', path: `${BASE}/items/7/fields`, body: { Title: 'T', Status: null } }]);
  });

  it('skips an existing item without writing', async () => {
    const { graph, writes } = fakeList([{ id: '7', createdDateTime: '2025-01-01T00:00:00Z', fields: {} }]);
    const r = await new ListRestorer(target(graph, { overwrite: 'skip' })).item(
      doc('7'),
      LIST,
      backedUp('7', {}),
      LIST,
    );
    expect(r).toMatchObject({ outcome: 'skipped' });
    expect(writes).toEqual([]);
  });

  it('on a retried batch takes the copy this job created (same fields, created since it started) instead of a second one', async () => {
    const older = { id: '3', createdDateTime: '2026-12-02T09:59:59Z', fields: { Title: 'T', Status: 'Done' } };
    const { graph, writes, items } = fakeList([older]);
    const json = backedUp('7', { Title: 'T', Status: 'Done' });
    // The first attempt created the item, then died before recording it.
    expect((await new ListRestorer(target(graph, {})).item(doc('7'), LIST, json, LIST)).newId).toBe('100');
    const retry = await new ListRestorer(target(graph, { firstAttempt: false })).item(doc('7'), LIST, json, LIST);
    expect(retry).toMatchObject({ outcome: 'restored', newId: '100' });
    expect(writes.filter((w) => w.method === 'POST')).toHaveLength(1);
    expect(items).toHaveLength(2);
    // An equal item from before the job is not this job's: a retry of another item still creates its own copy.
    const other = await new ListRestorer(target(graph, { firstAttempt: false })).item(
      doc('8'),
      LIST,
      backedUp('8', { Title: 'U' }),
      LIST,
    );
    expect(other.newId).toBe('101');
  });

  it('claims each copy once on a retry: two backed-up items with equal fields keep two copies', async () => {
    const { graph, writes } = fakeList([]);
    const first = new ListRestorer(target(graph, {}));
    await first.item(doc('1'), LIST, backedUp('1', { Title: 'Same' }), LIST);
    await first.item(doc('2'), LIST, backedUp('2', { Title: 'Same' }), LIST);
    const retry = new ListRestorer(target(graph, { firstAttempt: false }));
    const ids = [
      (await retry.item(doc('1'), LIST, backedUp('1', { Title: 'Same' }), LIST)).newId,
      (await retry.item(doc('2'), LIST, backedUp('2', { Title: 'Same' }), LIST)).newId,
    ];
    expect(ids.sort()).toEqual(['100', '101']);
    expect(writes.filter((w) => w.method === 'POST')).toHaveLength(2);
  });
});

describe('restoring the items of a deleted SharePoint list', () => {
  const SCHEMA = {
    displayName: 'Issue tracker',
    description: 'Open issues',
    list: { template: 'genericList' },
    columns: [
      { name: 'Title', text: {} },
      { name: 'Status', displayName: 'Status', choice: { choices: ['Open', 'Done'] }, columnGroup: 'Custom Columns' },
      { name: 'Created', readOnly: true, dateTime: {} },
      { name: 'ContentType', columnGroup: '_Hidden' },
      { name: 'Attachments', boolean: {} },
      { name: 'Secret', hidden: true, text: {} },
    ],
  };
  /** The site's lists (none of them the backed-up one), the list create, and items in whichever list is created. */
  function site(lists: Array<{ id: string; displayName: string; list?: { template: string } }>) {
    const writes: Array<{ method: string; path: string; body: unknown }> = [];
    let next = 1;
    const graph = {
      all: (path: string) => {
        if (path.endsWith('/lists?$select=id,displayName,list')) return Promise.resolve(lists);
        if (path.endsWith('/columns')) return Promise.resolve([{ name: 'Title' }, { name: 'Status' }]);
        return Promise.reject(new Error(`unscripted ${path}`));
      },
      get: () => Promise.reject(new GraphRequestError({ status: 404, code: 'itemNotFound', operation: 'sites.read' })),
      send: (method: string, path: string, body: unknown) => {
        writes.push({ method, path, body });
        return Promise.resolve({ id: path.endsWith('/lists') ? 'new-list' : String(next++) });
      },
    } as unknown as GraphClient;
    return { graph, writes };
  }
  const schema = () => Promise.resolve(Buffer.from(JSON.stringify(SCHEMA)));

  it('recreates it from its schema with its own columns only, then creates every item in it', async () => {
    const { graph, writes } = site([
      { id: 'docs', displayName: 'Issue tracker', list: { template: 'documentLibrary' } },
    ]);
    const r = new ListRestorer(target(graph, { overwrite: 'skip' }));
    expect(await r.target(LIST, schema)).toBe('new-list');
    expect(await r.target(LIST, () => Promise.reject(new Error('read once')))).toBe('new-list');
    expect(writes[0]).toEqual({
      method: 'POST',
      path: `/sites/${encodeURIComponent(SITE)}/lists`,
      body: {
        displayName: 'Issue tracker',
        description: 'Open issues',
        columns: [{ name: 'Status', displayName: 'Status', choice: { choices: ['Open', 'Done'] } }],
        list: { template: 'genericList' },
      },
    });
    // Skip applies to items that still exist in their own list; in a recreated one each is created.
    const item = await r.item(doc('7'), 'new-list', backedUp('7', { Title: 'T', Status: 'Done' }), LIST);
    expect(item).toMatchObject({ outcome: 'restored', newId: '1' });
    expect(writes[1]).toEqual({
      method: 'POST',
      path: `/sites/${encodeURIComponent(SITE)}/lists/new-list/items`,
      body: { fields: { Title: 'T', Status: 'Done' } },
    });
  });

  it("uses the site's generic list of the same title instead of creating a second one", async () => {
    const { graph, writes } = site([{ id: 'again', displayName: 'issue TRACKER', list: { template: 'genericList' } }]);
    expect(await new ListRestorer(target(graph, {})).target(LIST, schema)).toBe('again');
    expect(writes).toEqual([]);
  });

  it('says so when neither the list nor its schema is there', async () => {
    const { graph } = site([]);
    await expect(new ListRestorer(target(graph, {})).target(LIST, () => Promise.resolve(undefined))).rejects.toThrow(
      /schema is not in the backup/,
    );
  });
});
