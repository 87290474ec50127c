// Containers Graph offers no delta for (group conversations) through the one sync loop: the threads listing as a
// watermark round (new and redelivered threads only, stopping at the last round's mark), a periodic full round that
// records threads gone, and a thread's posts read whole with each attachment's bytes stored from the listing.
import { syncContainer, SyncTarget } from '../../shared/backup/sync-container';
import { groupThreads, threadPosts } from '../../shared/backup/workloads/group-conversations';
import { openContent } from '../../shared/storage/content-reader';
import { readAll } from '../support/bytes';
import { SyncBed, syncBed } from '../support/sync-bed';
import { ScriptedGraph } from '../support/scripted-graph';
import { GraphRequestError } from '../../shared/graph/graph-errors';

const threads = groupThreads('g1');
const thread = (id: string, day: number): Record<string, unknown> & { id: string } => ({
  id,
  topic: `topic ${id}`,
  lastDeliveredDateTime: `2026-07-${String(day).padStart(2, '0')}T10:00:00Z`,
});

describe('syncContainer with a watermark (no delta)', () => {
  let bed: SyncBed;
  let graph: ScriptedGraph;
  const target = (containerId: string, seq: number): SyncTarget => ({
    accountId: 'acct',
    tenantId: 't1',
    protectedItemId: 'acct.groupMailbox.g1',
    containerId,
    mailbox: 'g1',
    seq,
  });
  const far = (): number => Date.now() + 3_600_000;
  const live = async (containerId: string, seq: number): Promise<string[]> =>
    (await bed.deps.versions.view('acct.groupMailbox.g1', seq).fetchAll()).resources
      .filter((d) => d.containerId === containerId)
      .map((d) => d.itemId)
      .sort();

  beforeAll(async () => {
    graph = new ScriptedGraph();
    bed = await syncBed('watermark', graph, { reconcile: { everyRounds: 2, afterMs: 86_400_000 * 365 } });
  });
  afterAll(() => bed.dispose());

  it('lists every thread in the first round and records the newest delivery as its mark', async () => {
    graph.pages.set(threads.initialUrl, { value: [thread('t3', 3), thread('t2', 2)], nextLink: 'threads-2' });
    graph.pages.set('threads-2', { value: [thread('t1', 1)] });
    const r = await syncContainer(bed.deps, target('threads', 1), threads, far());
    expect(r).toMatchObject({ status: 'done', counts: { written: 3 } });
    const cursor = await bed.deps.cursors.get('acct.groupMailbox.g1', 'threads');
    expect(cursor?.watermark).toMatchObject({ mark: '2026-07-03T10:00:00Z', rounds: 0 });
    expect(cursor?.watermark?.reconciledAt).toEqual(expect.any(String));
  });

  it('takes only threads delivered to since the mark, stops at the first older one, and records no deletion', async () => {
    // t1 was deleted: a watermark round cannot see that. The page after the mark is never asked for.
    graph.pages.set(threads.initialUrl, { value: [thread('t2', 5), thread('t4', 4)], nextLink: 'threads-2' });
    graph.pages.set('threads-2', { value: [thread('t3', 3), thread('t0', 1)], nextLink: 'never-asked' });
    const r = await syncContainer(bed.deps, target('threads', 2), threads, far());
    expect(r).toMatchObject({ status: 'done', counts: { written: 2, deleted: 0, unchanged: 1 } });
    expect(await live('threads', 2)).toEqual(['t1', 't2', 't3', 't4']);
    expect((await bed.deps.cursors.get('acct.groupMailbox.g1', 'threads'))?.watermark).toMatchObject({
      mark: '2026-07-05T10:00:00Z',
      rounds: 1,
    });
  });

  it('reconciles every Nth round: lists everything and records the threads gone as deleted', async () => {
    graph.pages.set(threads.initialUrl, { value: [thread('t2', 5), thread('t4', 4)], nextLink: 'threads-2' });
    graph.pages.set('threads-2', { value: [thread('t3', 3)] });
    const r = await syncContainer(bed.deps, target('threads', 3), threads, far());
    expect(r).toMatchObject({ status: 'done', counts: { written: 0, deleted: 1 } });
    expect(await live('threads', 3)).toEqual(['t2', 't3', 't4']);
    expect(await live('threads', 2)).toEqual(['t1', 't2', 't3', 't4']);
    expect((await bed.deps.cursors.get('acct.groupMailbox.g1', 'threads'))?.watermark).toMatchObject({ rounds: 0 });
  });

  it("reads a thread's posts whole, each post as JSON without attachment bytes and each attachment's bytes apart; a thread gone lists nothing", async () => {
    const bytes = Buffer.from('%PDF-1.7 an attachment\n'.repeat(5000));
    const posts = threadPosts('g1', 't2', { lastDelivered: '2026-07-05T10:00:00Z', topic: 'topic t2' });
    const post = (id: string, attachments: unknown[] = []) => ({
      id,
      changeKey: `ck-${id}`,
      receivedDateTime: '2026-07-05T10:00:00Z',
      body: { contentType: 'html', content: `<p>${id}</p>` },
      from: { emailAddress: { name: 'Adele', address: 'adele@contoso.example' } },
      sender: { emailAddress: { name: 'Adele', address: 'adele@contoso.example' } },
      attachments,
    });
    const attachment = {
      '@odata.type': '#microsoft.graph.fileAttachment',
      id: 'a1',
      name: 'Plan.pdf',
      contentType: 'application/pdf',
      size: bytes.length,
      isInline: false,
      contentBytes: bytes.toString('base64'),
    };
    graph.pages.set(posts.initialUrl, { value: [post('p1'), post('p2', [attachment])] });
    const r = await syncContainer(bed.deps, target('posts:t2', 3), posts, far());
    expect(r).toMatchObject({ status: 'done', counts: { written: 3 } });
    const docs = (await bed.deps.versions.view('acct.groupMailbox.g1', 3).fetchAll()).resources.filter(
      (d) => d.containerId === 'posts:t2',
    );
    const read = async (id: string): Promise<Buffer> => {
      const d = docs.find((x) => x.itemId === id)!;
      return readAll(await openContent(bed.store, 't1', d.content!));
    };
    const stored = JSON.parse((await read('p2')).toString('utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ id: 'p2', body: post('p2').body, from: post('p2').from, sender: post('p2').sender });
    // Every field of the attachment but its bytes.
    const { contentBytes: _bytes, ...metadata } = attachment;
    expect(stored.attachments).toEqual([metadata]);
    expect((await read('a1')).equals(bytes)).toBe(true);
    expect(docs.find((d) => d.itemId === 'a1')?.props).toMatchObject({ postId: 'p2', attachment: true });
    expect((await bed.deps.cursors.get('acct.groupMailbox.g1', 'posts:t2'))?.watermark?.mark).toBe(
      '2026-07-05T10:00:00Z',
    );

    // Read again (the thread was delivered to): a post deleted meanwhile is recorded, the others are not rewritten.
    graph.pages.set(posts.initialUrl, { value: [post('p2', [attachment])] });
    const again = await syncContainer(bed.deps, target('posts:t2', 4), posts, far());
    expect(again).toMatchObject({ status: 'done', counts: { written: 0, deleted: 1, contentFetched: 0 } });

    // The thread deleted after its group's listing said it was delivered to: its posts answer 404. The round lists
    // nothing and records the posts and the file as deleted, instead of failing each run until a reconciliation.
    graph.pages.set(
      posts.initialUrl,
      new GraphRequestError({ status: 404, code: 'ErrorItemNotFound', operation: 'groupConversations.read' }),
    );
    const gone = await syncContainer(bed.deps, target('posts:t2', 5), posts, far());
    expect(gone).toMatchObject({ status: 'done', counts: { deleted: 2 } });
    expect(await live('posts:t2', 5)).toEqual([]);
    expect(await live('posts:t2', 4)).toEqual(['a1', 'p2']);
  });
});
