// A Microsoft 365 group's mailbox: its threads are synced first (a container of their own, the folders of a browse),
// then one container per thread delivered to since its posts were last read (its lastDeliveredDateTime against the
// mark its posts' last round recorded), plus a 'removed' entry for each thread a reconciliation found gone. Graph
// v1.0 has no delta for group conversations: see ContainerWorkload.watermark.
import { groupThreads, threadPosts } from '../backup/workloads/group-conversations';
import { textOf } from '../domain/text';
import { ContainerRef, ProtectedKind, REMOVED, unknownContainer } from './kind';

const THREADS = 'threads';
const POSTS = 'posts:';

/** Said to whoever asks for a restore (the API refuses it with this; the docs say the same). */
export const GROUP_POSTS_NOT_RESTORABLE =
  "a group mailbox's posts cannot be restored by an application: Microsoft Graph v1.0 lets only a signed-in user " +
  'create group threads and replies (delegated permissions). Export the posts instead.';

export const groupMailbox: ProtectedKind = {
  subject: (item) => ({ kind: 'groupMailbox', name: item.address }),
  operation: 'groupConversations.read',
  discovery: {
    source: 'groups',
    include: 'groupMailboxes',
    eligible: (g) => g.groupTypes?.includes('Unified') === true,
  },
  async listContainers(ctx) {
    const groupId = ctx.item.userId;
    const outcome = await ctx.syncHierarchy(THREADS, groupThreads(groupId));
    if (outcome.status === 'wait') return { retryAfterSeconds: outcome.retryAfterSeconds };
    if (outcome.status === 'continue') return { retryAfterSeconds: 0 };
    const marks = await ctx.watermarks();
    const containers: ContainerRef[] = [];
    const live = new Set<string>();
    for await (const t of ctx.heads(THREADS)) {
      const id = `${POSTS}${t.itemId}`;
      live.add(id);
      const delivered = typeof t.props.lastDeliveredDateTime === 'string' ? t.props.lastDeliveredDateTime : undefined;
      if (delivered !== undefined && marks.get(id) === delivered) continue;
      containers.push({
        id,
        type: 'posts',
        threadId: t.itemId,
        name: textOf([t.props.topic]),
        ...(delivered !== undefined ? { delivered } : {}),
      });
    }
    for (const id of await ctx.syncedContainers())
      if (id.startsWith(POSTS) && !live.has(id)) containers.push({ id, type: REMOVED });
    return { containers };
  },
  workload(item, c) {
    if (c.type === 'posts' && c.threadId)
      return threadPosts(item.userId, c.threadId, { lastDelivered: c.delivered, topic: c.name });
    throw unknownContainer('group mailbox', c);
  },
  restore: {
    folders: (view) => view.container(THREADS),
    async *folderItems(view, folderId) {
      for (const p of await view.container(`${POSTS}${folderId}`)) yield p;
    },
    restorable: new Set(),
    folderOf: (doc) => textOf([doc.props.parentId]),
    details: () => ({}),
    writeOperation: 'groupConversations.read',
    refused: GROUP_POSTS_NOT_RESTORABLE,
    restorer: () => Promise.reject(new Error(GROUP_POSTS_NOT_RESTORABLE)),
  },
};
