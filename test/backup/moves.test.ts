// A message that moves between folders keeps its Outlook immutable id, so the catalog records the move as a new
// version of the same item in its new folder: no MIME download, its history (and its recovery points) follow it,
// whichever folder's sync sees the move first in a run, and a crash in the middle of the move loses nothing. A
// catalog from before immutable ids (cursors without idType) is enumerated again as a new baseline.
import { syncContainer, SyncTarget } from '../../shared/backup/sync-container';
import { folderMessages } from '../../shared/backup/workloads/mail';
import type { LogRecord } from '../../shared/catalog/change-log';
import { VersionStore } from '../../shared/catalog/version-store';
import { m, ScriptedGraph } from '../support/scripted-graph';
import { SyncBed, syncBed } from '../support/sync-bed';

const ITEM = 'acct.mailbox.u1';
const inbox = folderMessages('u1', 'inbox');
const archive = folderMessages('u1', 'archive');
const far = (): number => Date.now() + 60_000;
const target = (folder: string, seq: number): SyncTarget => ({
  accountId: 'acct',
  tenantId: 't1',
  protectedItemId: ITEM,
  containerId: `messages:${folder}`,
  mailbox: 'u1',
  seq,
});

/** A version store whose first write of a move dies after the old folder's head is closed and dropped. */
class DiesMidMove extends VersionStore {
  armed = false;
  override async apply(record: Extract<LogRecord, { t: 'version' }>): Promise<void> {
    if (this.armed && record.put && record.drop) {
      this.armed = false;
      await super.apply({ t: 'version', ...(record.close ? { close: record.close } : {}), drop: record.drop });
      throw new Error('host died');
    }
    return super.apply(record);
  }
}

describe('moves between folders (immutable ids)', () => {
  let bed: SyncBed;
  let graph: ScriptedGraph;
  let versions: DiesMidMove;

  /** Where each message is at a point: itemId → container. */
  async function placed(seq: number): Promise<Record<string, string>> {
    const { resources } = await bed.deps.versions.view(ITEM, seq).fetchAll();
    return Object.fromEntries(resources.map((d) => [d.itemId, d.containerId]).sort());
  }

  async function history(itemId: string): Promise<Array<[string, number, number | undefined, string]>> {
    const { resources } = await bed.deps.versions.container.items
      .query({ query: 'SELECT * FROM c WHERE c.itemId = @i', parameters: [{ name: '@i', value: itemId }] })
      .fetchAll();
    return resources
      .map(
        (d) =>
          [d.containerId, d.validFrom, d.validTo, d.content?.mime?.sha256 ?? d.content?.blob?.sha256] as [
            string,
            number,
            number | undefined,
            string,
          ],
      )
      .sort((a, b) => a[1] - b[1]);
  }

  beforeAll(async () => {
    graph = new ScriptedGraph();
    bed = await syncBed('moves', graph);
    versions = new DiesMidMove(bed.database);
    bed.deps.versions = versions;
    graph.pages.set(inbox.initialUrl, { value: [m('x', 'x1'), m('y', 'y1'), m('z', 'z1')], deltaLink: 'inbox-1' });
    graph.pages.set(archive.initialUrl, { value: [m('w', 'w1')], deltaLink: 'archive-1' });
    for (const [w, folder] of [
      [inbox, 'inbox'],
      [archive, 'archive'],
    ] as const)
      expect(await syncContainer(bed.deps, target(folder, 1), w, far())).toMatchObject({ status: 'done' });
    expect(graph.streamed.sort()).toEqual(['w', 'x', 'y', 'z']);
  });
  afterAll(() => bed.dispose());

  it('seen removed from the old folder first: the new folder takes the item with its content, nothing downloaded', async () => {
    graph.streamed = [];
    graph.pages.set('inbox-1', { value: [{ id: 'x', '@removed': { reason: 'deleted' } }], deltaLink: 'inbox-2' });
    graph.pages.set('archive-1', {
      value: [m('x', 'x2', { isRead: true, parentFolderId: 'archive' })],
      deltaLink: 'archive-2',
    });
    const fromInbox = await syncContainer(bed.deps, target('inbox', 2), inbox, far());
    const intoArchive = await syncContainer(bed.deps, target('archive', 2), archive, far());
    expect(graph.streamed).toEqual([]);
    expect(fromInbox.counts).toMatchObject({ deleted: 1, written: 0 });
    expect(intoArchive.counts).toMatchObject({ written: 1, deleted: 0, contentFetched: 0 });
    expect(await placed(1)).toMatchObject({ x: 'messages:inbox' });
    expect(await placed(2)).toMatchObject({ x: 'messages:archive', y: 'messages:inbox' });
    const h = await history('x');
    expect(h.map(([c, from, to]) => [c, from, to])).toEqual([
      ['messages:inbox', 1, 2],
      ['messages:archive', 2, undefined],
    ]);
    expect(h[1][3]).toBe(h[0][3]);
  });

  it("seen added to the new folder first: it closes the old folder's version itself, and the later removal changes nothing", async () => {
    graph.streamed = [];
    graph.pages.set('archive-2', { value: [m('y', 'y2', { parentFolderId: 'archive' })], deltaLink: 'archive-3' });
    graph.pages.set('inbox-2', { value: [{ id: 'y', '@removed': { reason: 'deleted' } }], deltaLink: 'inbox-3' });
    const intoArchive = await syncContainer(bed.deps, target('archive', 3), archive, far());
    // Between the two folders' syncs the item is in one folder only.
    expect(await placed(3)).toMatchObject({ y: 'messages:archive' });
    const fromInbox = await syncContainer(bed.deps, target('inbox', 3), inbox, far());
    expect(graph.streamed).toEqual([]);
    // The same totals as the other order: one write, one closed version.
    expect(intoArchive.counts).toMatchObject({ written: 1, deleted: 1, contentFetched: 0 });
    expect(fromInbox.counts).toMatchObject({ written: 0, deleted: 0, unchanged: 1 });
    expect((await history('y')).map(([c, from, to]) => [c, from, to])).toEqual([
      ['messages:inbox', 1, 3],
      ['messages:archive', 3, undefined],
    ]);
    expect(Object.values(await placed(3)).filter((c) => c === 'messages:inbox')).toHaveLength(1);
  });

  it('a step that dies in the middle of a move leaves the item in no folder twice, and its retry downloads nothing', async () => {
    graph.streamed = [];
    graph.pages.set('archive-3', { value: [m('z', 'z2', { parentFolderId: 'archive' })], deltaLink: 'archive-4' });
    versions.armed = true;
    await expect(syncContainer(bed.deps, target('archive', 4), archive, far())).rejects.toThrow('host died');
    expect(Object.keys(await placed(4))).not.toContain('z');
    const retried = await syncContainer(bed.deps, target('archive', 4), archive, far());
    expect(retried).toMatchObject({ status: 'done', counts: { written: 1 } });
    expect(graph.streamed).toEqual([]);
    expect(await placed(4)).toMatchObject({ z: 'messages:archive' });
    expect((await history('z')).map(([c, from, to]) => [c, from, to])).toEqual([
      ['messages:inbox', 1, 4],
      ['messages:archive', 4, undefined],
    ]);
  });

  it('starts a container catalogued under REST ids over as a new baseline: the old heads are swept, the items stored under their immutable ids', async () => {
    const legacy = folderMessages('u1', 'legacy');
    const t = (seq: number): SyncTarget => target('legacy', seq);
    graph.pages.set(legacy.initialUrl, {
      value: [m('AAMk-rest-1', 'r1'), m('AAMk-rest-2', 'r2')],
      deltaLink: 'legacy-1',
    });
    await syncContainer(bed.deps, t(1), legacy, far());
    // The cursor as the product wrote it before immutable ids, and an item skipped then under its REST id.
    const stored = (await bed.deps.cursors.get(ITEM, 'messages:legacy'))!;
    const { idType: _dropped, ...old } = stored;
    void _dropped;
    await bed.deps.cursors.save(old, new Date());
    await bed.deps.skips.record(
      {
        protectedItemId: ITEM,
        containerId: 'messages:legacy',
        itemId: 'AAMk-rest-3',
        name: 'unreadable',
        code: 'x',
        reason: 'x',
        transient: true,
        item: m('AAMk-rest-3', 'r3'),
      },
      1,
      new Date(),
    );
    graph.streamed = [];
    graph.pages.set(legacy.initialUrl, {
      value: [m('AAkA-imm-1', 'i1'), m('AAkA-imm-2', 'i2'), m('AAkA-imm-3', 'i3')],
      deltaLink: 'legacy-2',
    });
    const r = await syncContainer(bed.deps, t(2), legacy, far());
    expect(r).toMatchObject({ status: 'done', counts: { written: 3, deleted: 2 } });
    expect(graph.streamed.sort()).toEqual(['AAkA-imm-1', 'AAkA-imm-2', 'AAkA-imm-3']);
    const { resources } = await bed.deps.versions.view(ITEM, 2, { containerId: 'messages:legacy' }).fetchAll();
    expect(resources.map((d) => d.itemId).sort()).toEqual(['AAkA-imm-1', 'AAkA-imm-2', 'AAkA-imm-3']);
    expect(await bed.deps.cursors.get(ITEM, 'messages:legacy')).toMatchObject({
      idType: 'immutable',
      phase: 'incremental',
      deltaLink: 'legacy-2',
    });
    expect((await bed.deps.skips.itemIds(ITEM, 'messages:legacy')).size).toBe(0);
  });
});
