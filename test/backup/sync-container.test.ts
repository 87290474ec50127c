import { RestError } from '@azure/storage-blob';
import { ResyncRequired, WaitRequired } from '../../shared/backup/ports';
import { SyncDeps, syncContainer, SyncTarget } from '../../shared/backup/sync-container';
import { folderMessages } from '../../shared/backup/workloads/mail';
import { driveItems } from '../../shared/backup/workloads/drive';
import type { CursorStore } from '../../shared/catalog/cursor-store';
import type { SkipStore } from '../../shared/catalog/skip-store';
import { GraphRequestError } from '../../shared/graph/graph-errors';
import { VersionStore } from '../../shared/catalog/version-store';
import { rebuildCatalog } from '../../shared/catalog/rebuild';
import { freshCatalog } from '../support/catalog';
import { SyncBed, syncBed } from '../support/sync-bed';
import { m, ScriptedGraph } from '../support/scripted-graph';

const workload = folderMessages('u1', 'inbox');
const first = workload.initialUrl;

describe('syncContainer', () => {
  let bed: SyncBed;
  let graph: ScriptedGraph;
  let deps: SyncDeps;
  const target = (seq: number): SyncTarget => ({
    accountId: 'acct',
    tenantId: 't1',
    protectedItemId: 'acct.mailbox.u1',
    containerId: 'inbox',
    mailbox: 'u1',
    seq,
  });
  // A deadline no step reaches however slow the machine: only the test that passes a past one sees a time-out.
  const far = (): number => Date.now() + 3_600_000;

  async function view(seq: number): Promise<string[]> {
    const { resources } = await deps.versions.view('acct.mailbox.u1', seq).fetchAll();
    return resources.map((d) => `${d.itemId}:${d.props.subject as string}:${d.props.isRead as boolean}`).sort();
  }

  beforeAll(async () => {
    graph = new ScriptedGraph();
    bed = await syncBed('sync', graph);
    deps = bed.deps;
  });
  afterAll(() => bed.dispose());

  it('stores a full round, keeping the last occurrence of a repeated item, and survives a crash mid-page', async () => {
    graph.pages.set(first, { value: [m('a', 'a1'), m('b', 'b1')], nextLink: 'next-1' });
    graph.pages.set('next-1', {
      value: [m('c', 'c1'), m('a', 'a2', { subject: 'subject a (edited)' })],
      deltaLink: 'delta-1',
    });
    graph.failStreamOnce.add('c');
    await expect(syncContainer(deps, target(1), workload, far())).rejects.toThrow('connection reset');
    // The retry resumes at page 2 (page 1 was checkpointed) and redoes it whole.
    const r = await syncContainer(deps, target(1), workload, far());
    // Counts are the point's totals: page 1, saved with its cursor before the crash, still counts.
    expect(r).toMatchObject({ status: 'done', counts: { pages: 2, written: 4 } });
    expect(await view(1)).toEqual(['a:subject a (edited):false', 'b:subject b:false', 'c:subject c:false']);
    const { resources } = await deps.versions.container.items.readAll().fetchAll();
    expect(resources).toHaveLength(3);
    expect((await deps.cursors.get('acct.mailbox.u1', 'inbox'))?.deltaLink).toBe('delta-1');
  });

  it('records exactly the changes of an incremental, refetching no MIME for a read-state change', async () => {
    graph.streamed = [];
    graph.pages.set('delta-1', {
      value: [
        m('a', 'a3', { subject: 'subject a (edited)', isRead: true }),
        { id: 'b', '@removed': { reason: 'deleted' } },
        m('d', 'd1'),
        m('c', 'c1'),
      ],
      deltaLink: 'delta-2',
    });
    const r = await syncContainer(deps, target(2), workload, far());
    expect(r).toMatchObject({ status: 'done', counts: { written: 2, deleted: 1, unchanged: 1, contentFetched: 1 } });
    expect(graph.streamed).toEqual(['d']);
    expect(await view(1)).toEqual(['a:subject a (edited):false', 'b:subject b:false', 'c:subject c:false']);
    expect(await view(2)).toEqual(['a:subject a (edited):true', 'c:subject c:false', 'd:subject d:false']);
  });

  it('returns to wait when Graph throttles beyond the time box, and resumes where it stopped', async () => {
    graph.pages.set('delta-2', new WaitRequired(120));
    const r = await syncContainer(deps, target(3), workload, far());
    expect(r).toEqual({
      status: 'wait',
      retryAfterSeconds: 120,
      counts: expect.objectContaining({ pages: 0 }),
      graph: { requests: 0, throttled: 0 },
    });
    expect((await deps.cursors.get('acct.mailbox.u1', 'inbox'))?.deltaLink).toBe('delta-2');
    graph.pages.set('delta-2', { value: [], deltaLink: 'delta-3' });
    expect(await syncContainer(deps, target(3), workload, far())).toMatchObject({ status: 'done' });
  });

  it('resynchronises after 410: stores nothing twice and detects items deleted while the token was invalid', async () => {
    graph.streamed = [];
    graph.pages.set('delta-3', new ResyncRequired());
    // The full re-enumeration no longer has c (deleted during the gap) and has a new item e.
    graph.pages.set(first, {
      value: [m('a', 'a3', { subject: 'subject a (edited)', isRead: true }), m('d', 'd1')],
      nextLink: 'resync-2',
    });
    graph.pages.set('resync-2', { value: [m('e', 'e1')], deltaLink: 'delta-4' });
    const r = await syncContainer(deps, target(4), workload, far());
    expect(r).toMatchObject({ status: 'done', resynced: true, counts: { deleted: 1, contentFetched: 1 } });
    expect(graph.streamed).toEqual(['e']);
    expect(await view(3)).toEqual(['a:subject a (edited):true', 'c:subject c:false', 'd:subject d:false']);
    expect(await view(4)).toEqual(['a:subject a (edited):true', 'd:subject d:false', 'e:subject e:false']);
  });

  it('rebuilds an identical catalog from the change log alone', async () => {
    const { client: c2, database: fresh } = await freshCatalog('rebuilt');
    const report = await rebuildCatalog(deps.log, fresh, { accountId: 'acct' });
    expect(report.versionRecords).toBeGreaterThan(0);
    const rebuilt = new VersionStore(fresh);
    for (const seq of [1, 2, 3, 4]) {
      const { resources: a } = await deps.versions.view('acct.mailbox.u1', seq).fetchAll();
      const { resources: b } = await rebuilt.view('acct.mailbox.u1', seq).fetchAll();
      const key = (d: { itemId: string; validFrom: number; props: unknown; content?: unknown }) =>
        JSON.stringify([d.itemId, d.validFrom, d.props, d.content]);
      expect(b.map(key).sort()).toEqual(a.map(key).sort());
    }
    c2.dispose();
  });

  it('counts a page whose writes landed before its step died exactly once', async () => {
    const crashy = folderMessages('u1', 'crashy');
    const t = (seq: number): SyncTarget => ({ ...target(seq), containerId: 'crashy' });
    graph.pages.set(crashy.initialUrl, { value: [m('p', 'p1'), m('q', 'q1'), m('r', 'r1')], nextLink: 'crashy-2' });
    graph.pages.set('crashy-2', { value: [m('s', 's1'), m('t', 't1')], deltaLink: 'crashy-delta' });
    // The host dies after page 1's versions are written, before its cursor moves on (the second save of the step).
    let saves = 0;
    const dying = {
      ...deps,
      cursors: Object.assign(Object.create(deps.cursors) as CursorStore, {
        save: async (c: Parameters<CursorStore['save']>[0], now: Date) => {
          if (++saves === 2) throw new Error('host killed');
          return deps.cursors.save(c, now);
        },
      }),
    };
    await expect(syncContainer(dying, t(1), crashy, far())).rejects.toThrow('host killed');
    const r = await syncContainer(deps, t(1), crashy, far());
    expect(r).toMatchObject({ status: 'done', counts: { pages: 2, written: 5, unchanged: 0 } });
    expect(r.counts.bytes).toBe(['p', 'q', 'r', 's', 't'].reduce((n, id) => n + Buffer.byteLength(`MIME of ${id}`), 0));
  });

  it('does nothing past its deadline but report that it must continue', async () => {
    expect(await syncContainer(deps, target(5), workload, Date.now() - 1)).toMatchObject({
      status: 'continue',
      counts: { pages: 0 },
    });
  });

  it('sweeps a resynchronised container larger than one slice: every unseen item deleted, the seen one kept', async () => {
    const big = folderMessages('u1', 'archive');
    const t = (seq: number): SyncTarget => ({ ...target(seq), containerId: 'archive' });
    const ids = Array.from({ length: 1100 }, (_, i) => `z${i}`);
    for (let i = 0; i < ids.length; i += 100)
      graph.pages.set(i === 0 ? big.initialUrl : `big-${i}`, {
        value: ids.slice(i, i + 100).map((id) => m(id, `${id}-1`)),
        ...(i + 100 < ids.length ? { nextLink: `big-${i + 100}` } : { deltaLink: 'big-delta' }),
      });
    expect(await syncContainer(deps, t(1), big, far())).toMatchObject({ status: 'done', counts: { written: 1100 } });
    graph.pages.set('big-delta', new ResyncRequired());
    graph.pages.set(big.initialUrl, { value: [m('z7', 'z7-1')], deltaLink: 'big-delta-2' });
    expect(await syncContainer(deps, t(2), big, far())).toMatchObject({
      status: 'done',
      resynced: true,
      counts: { deleted: 1099 },
    });
    const { resources } = await deps.versions.view('acct.mailbox.u1', 2, { containerId: 'archive' }).fetchAll();
    expect(resources.map((d) => d.itemId)).toEqual(['z7']);
  });
});

describe('syncContainer with items whose content cannot be read', () => {
  let bed: SyncBed;
  let graph: ScriptedGraph;
  let deps: SyncDeps;
  let skips: SkipStore;
  const pid = 'acct.mailbox.u2';
  const box = folderMessages('u2', 'inbox');
  const target = (seq: number): SyncTarget => ({
    accountId: 'acct',
    tenantId: 't1',
    protectedItemId: pid,
    containerId: 'inbox',
    mailbox: 'u2',
    seq,
  });
  // A deadline no step reaches however slow the machine: only the test that passes a past one sees a time-out.
  const far = (): number => Date.now() + 3_600_000;
  const graphError = (status: number, code: string): GraphRequestError =>
    new GraphRequestError({ status, code, operation: 'mail.read', requestId: `req-${code}` });
  const view = async (seq: number): Promise<string[]> =>
    (await deps.versions.view(pid, seq).fetchAll()).resources.map((d) => `${d.itemId}:${d.changeKey ?? ''}`).sort();

  beforeAll(async () => {
    graph = new ScriptedGraph();
    bed = await syncBed('skips', graph);
    ({ deps } = bed);
    skips = bed.deps.skips;
  });
  afterAll(() => bed.dispose());

  it('skips an item Graph keeps failing, stores the rest, advances the cursor, and names the item with its reason', async () => {
    graph.pages.set(box.initialUrl, {
      value: [m('x', 'x1'), m('y', 'y1'), m('z', 'z1'), m('draft', 'd1', { isDraft: true })],
      deltaLink: 'd-1',
    });
    graph.failStream.set('y', graphError(500, 'ErrorInternalServerError'));
    const r = await syncContainer(deps, target(1), box, far());
    expect(r).toMatchObject({ status: 'done', counts: { written: 3, skipped: 1 } });
    // A transient failure is read again within the run before it is skipped (the pipeline retries each read too).
    expect(graph.attempts.filter((id) => id === 'y')).toHaveLength(3);
    expect(await view(1)).toEqual(['draft:d1', 'x:x1', 'z:z1']);
    expect((await deps.cursors.get(pid, 'inbox'))?.deltaLink).toBe('d-1');
    const [skip] = await skips.skippedIn(pid, 1);
    expect(skip).toMatchObject({
      itemId: 'y',
      name: 'subject y',
      transient: true,
      code: 'ErrorInternalServerError',
      requestId: 'req-ErrorInternalServerError',
      attempts: 1,
    });
    expect(skip.reason).toContain('HTTP 500');
  });

  it('reads a skipped item again next run, although no delta change mentions it, and stores it once readable', async () => {
    graph.pages.set('d-1', { value: [], deltaLink: 'd-2' });
    const stillFailing = await syncContainer(deps, target(2), box, far());
    expect(stillFailing).toMatchObject({ status: 'done', counts: { skipped: 1 } });
    expect((await skips.skippedIn(pid, 2))[0]).toMatchObject({ itemId: 'y', firstSeq: 1, attempts: 2 });
    graph.failStream.delete('y');
    graph.pages.set('d-2', { value: [], deltaLink: 'd-3' });
    expect(await syncContainer(deps, target(3), box, far())).toMatchObject({
      status: 'done',
      counts: { written: 1, skipped: 0 },
    });
    expect(await view(3)).toEqual(['draft:d1', 'x:x1', 'y:y1', 'z:z1']);
    expect(await skips.itemIds(pid, 'inbox')).toEqual(new Map());
  });

  it('records an item deleted between the page and its download as deleted, without retrying it', async () => {
    graph.attempts = [];
    graph.pages.set('d-3', { value: [m('draft', 'd2', { isDraft: true }), m('gone', 'g1')], deltaLink: 'd-4' });
    graph.failStream.set('draft', graphError(404, 'ErrorItemNotFound'));
    graph.failStream.set('gone', graphError(404, 'ErrorItemNotFound'));
    const r = await syncContainer(deps, target(4), box, far());
    expect(r).toMatchObject({ status: 'done', counts: { deleted: 1, skipped: 0, written: 0 } });
    expect(graph.attempts.sort()).toEqual(['draft', 'gone']);
    expect(await view(4)).toEqual(['x:x1', 'y:y1', 'z:z1']);
    expect((await deps.cursors.get(pid, 'inbox'))?.deltaLink).toBe('d-4');
  });

  it('keeps the last good version of an item skipped during a resync, so the sweep does not delete it', async () => {
    graph.failStream.clear();
    graph.pages.set('d-4', { value: [m('draft2', 'e1', { isDraft: true })], deltaLink: 'd-5' });
    await syncContainer(deps, target(5), box, far());
    graph.attempts = [];
    graph.pages.set('d-5', new ResyncRequired());
    graph.pages.set(box.initialUrl, {
      value: [m('x', 'x1'), m('y', 'y1'), m('draft2', 'e2', { isDraft: true })],
      deltaLink: 'd-6',
    });
    graph.failStream.set('draft2', graphError(403, 'malwareDetected'));
    const r = await syncContainer(deps, target(6), box, far());
    // z was deleted during the gap; draft2's new version is unreadable, its old one stays.
    expect(r).toMatchObject({ status: 'done', resynced: true, counts: { deleted: 1, skipped: 1 } });
    expect(graph.attempts).toEqual(['draft2']);
    expect(await view(6)).toEqual(['draft2:e1', 'x:x1', 'y:y1']);
    expect((await skips.skippedIn(pid, 6))[0]).toMatchObject({
      itemId: 'draft2',
      code: 'malwareDetected',
      transient: false,
    });
  });

  it('skips a file the listing flags as malware without downloading it', async () => {
    const drive = driveItems('d1');
    const t: SyncTarget = { ...target(1), containerId: 'drive:d1' };
    graph.attempts = [];
    graph.pages.set(drive.initialUrl, {
      value: [
        { id: 'root', name: 'root', root: {}, folder: {} },
        {
          id: 'evil',
          name: 'invoice.exe',
          size: 10,
          file: { hashes: { quickXorHash: 'q' } },
          malware: { description: 'Trojan:Win32/Test' },
        },
      ],
      deltaLink: 'drive-delta',
    });
    expect(await syncContainer(deps, t, drive, far())).toMatchObject({
      status: 'done',
      counts: { written: 1, skipped: 1 },
    });
    expect(graph.attempts).toEqual([]);
    const [skip] = (await skips.skippedIn(pid, 1)).filter((k) => k.containerId === 'drive:d1');
    expect(skip).toMatchObject({ itemId: 'evil', name: 'invoice.exe', code: 'malwareDetected', transient: false });
    expect(skip.reason).toContain('Trojan:Win32/Test');
  });

  it("keeps a library file's version history, read across pages once per new version, and none for a folder", async () => {
    const drive = driveItems('d2', { versionHistory: true });
    const t: SyncTarget = { ...target(1), containerId: 'drive:d2' };
    const file = (eTag: string) => ({
      id: 'f',
      name: 'plan.docx',
      size: 4,
      eTag,
      file: { hashes: { quickXorHash: eTag } },
    });
    const versionsUrl = '/drives/d2/items/f/versions?$top=500';
    const by = { user: { displayName: 'Adele Vance' } };
    graph.pages.set(drive.initialUrl, {
      value: [{ id: 'root', name: 'root', root: {}, folder: {} }, file('e1')],
      deltaLink: 'd2-delta-1',
    });
    graph.pages.set(versionsUrl, {
      value: [{ id: '2.0', size: 4, lastModifiedDateTime: '2026-12-01T10:00:00Z', lastModifiedBy: by, extra: 1 }],
      nextLink: 'versions-2',
    });
    graph.pages.set('versions-2', {
      value: [{ id: '1.0', size: 3, lastModifiedDateTime: '2026-11-30T10:00:00Z', lastModifiedBy: by }],
    });
    graph.mime.set('f', 'plan');
    graph.requested = [];
    expect(await syncContainer(deps, t, drive, far())).toMatchObject({ status: 'done', counts: { written: 2 } });
    expect(graph.requested).toEqual([drive.initialUrl, versionsUrl, 'versions-2']);
    const head = (await deps.versions.heads(pid, 'drive:d2', ['f'])).get('f')!;
    expect(head.props.versionHistory).toEqual([
      { id: '2.0', size: 4, lastModifiedDateTime: '2026-12-01T10:00:00Z', lastModifiedBy: by },
      { id: '1.0', size: 3, lastModifiedDateTime: '2026-11-30T10:00:00Z', lastModifiedBy: by },
    ]);
    // Listed again unchanged: nothing read but the delta.
    graph.pages.set('d2-delta-1', { value: [file('e1')], deltaLink: 'd2-delta-2' });
    graph.requested = [];
    expect(await syncContainer(deps, { ...t, seq: 2 }, drive, far())).toMatchObject({ counts: { unchanged: 1 } });
    expect(graph.requested).toEqual(['d2-delta-1']);
  });

  it('keeps sharing permissions once asked: the drive is listed whole again, each item re-versioned with them, a re-share too', async () => {
    const plain = driveItems('d3');
    const shared = driveItems('d3', { sharing: true });
    const t: SyncTarget = { ...target(1), containerId: 'drive:d3' };
    const file = { id: 'g', name: 'a.txt', size: 4, eTag: 'e1', file: { hashes: { quickXorHash: 'q1' } } };
    const folder = { id: 'root', name: 'root', root: {}, folder: {}, eTag: 'r1' };
    graph.pages.set(plain.initialUrl, { value: [folder, file], deltaLink: 'd3-delta-1' });
    graph.mime.set('g', 'aaaa');
    expect(await syncContainer(deps, t, plain, far())).toMatchObject({ counts: { written: 2 } });

    const perms = (id: string, who: string) => ({
      value: [{ id: 'p1', roles: ['read'], grantedToV2: { user: { displayName: who } }, link: undefined, extra: 1 }],
      '@odata.context': id,
    });
    graph.pages.set('/drives/d3/items/root/permissions', perms('root', 'Members'));
    graph.pages.set('/drives/d3/items/g/permissions', perms('g', 'Adele Vance'));
    graph.streamed = [];
    graph.requested = [];
    // Now with sharing: the delta link is not followed, the whole drive is listed again (a resync round).
    expect(await syncContainer(deps, { ...t, seq: 2 }, shared, far())).toMatchObject({
      status: 'done',
      counts: { written: 2, contentFetched: 0 },
    });
    expect(graph.requested).toEqual([
      plain.initialUrl,
      '/drives/d3/items/root/permissions',
      '/drives/d3/items/g/permissions',
    ]);
    expect(graph.streamed).toEqual([]);
    const head = async () => (await deps.versions.heads(pid, 'drive:d3', ['g'])).get('g')!;
    expect((await head()).props.permissions).toEqual([
      { id: 'p1', roles: ['read'], grantedToV2: { user: { displayName: 'Adele Vance' } } },
    ]);
    expect((await head()).validFrom).toBe(2);

    // A re-share leaves the eTag alone; Graph lists the item annotated, and only that is re-read.
    graph.pages.set('d3-delta-1', {
      value: [{ ...file, '@microsoft.graph.sharedChanged': 'True' }],
      deltaLink: 'd3-delta-2',
    });
    graph.pages.set('/drives/d3/items/g/permissions', perms('g', 'Alex Wilber'));
    graph.requested = [];
    expect(await syncContainer(deps, { ...t, seq: 3 }, shared, far())).toMatchObject({
      counts: { written: 1, contentFetched: 0 },
    });
    expect(graph.requested).toEqual(['d3-delta-1', '/drives/d3/items/g/permissions']);
    expect((await head()).props.permissions).toMatchObject([{ grantedToV2: { user: { displayName: 'Alex Wilber' } } }]);
    expect((await head()).validFrom).toBe(3);
    // Point 2's view still says who had access then.
    const [at2] = await deps.versions.versionsAt(pid, 2, ['g']);
    expect(at2.props.permissions).toMatchObject([{ grantedToV2: { user: { displayName: 'Adele Vance' } } }]);
  });

  it('lets a failure of its own stores or of the container through: the step fails and is retried whole', async () => {
    graph.pages.set('d-6', { value: [m('w', 'w1')], deltaLink: 'd-7' });
    graph.failStream.set('w', new RestError('server busy', { statusCode: 503 }));
    await expect(syncContainer(deps, target(7), box, far())).rejects.toThrow('server busy');
    graph.failStream.set('w', graphError(403, 'ErrorAccessDenied'));
    await expect(syncContainer(deps, target(7), box, far())).rejects.toThrow('403');
    expect((await deps.cursors.get(pid, 'inbox'))?.deltaLink).toBe('d-6');
  });
});
