// An Exchange mailbox (user or shared): its mail and contact folder hierarchies are synced first (themselves
// versioned containers), then one container per mail folder, the calendar, the default contacts and each contact
// folder, plus a 'removed' entry for each folder synced before that no longer exists.
import { calendarEvents, contactFolders, contacts } from '../backup/workloads/calendar-contacts';
import { folderMessages, mailFolders } from '../backup/workloads/mail';
import { resolveWellKnownFolders } from '../backup/well-known-folders';
import { MailRestorer } from '../restore/mail-restore';
import { ItemRestorer } from '../restore/item-restore';
import { restoreFolderName } from '../restore/conflict-names';
import { parentOf } from '../restore/restore-plan';
import { ContainerRef, ProtectedKind, REMOVED, unknownContainer } from './kind';
import { textOf } from '../domain/text';

/** Containers scoped to a folder: when the folder is gone, so is the container. */
const FOLDER_SCOPED = ['messages:', 'contacts:'];

export const mailbox: ProtectedKind = {
  subject: (item) => ({ kind: 'mailbox', name: item.address }),
  operation: 'mail.read',
  // Users with a mail address, shared mailboxes included; not guests, whose address is their external one.
  discovery: { source: 'users', include: 'mailboxes', eligible: (u) => !!u.mail && u.userType !== 'Guest' },
  async listContainers(ctx) {
    const { item } = ctx;
    let wellKnown = item.wellKnownFolders;
    if (!wellKnown) {
      const resolved = await resolveWellKnownFolders(ctx.graph, item.userId, ctx.deadline);
      await ctx.update((cur) => ({ ...cur, wellKnownFolders: resolved }));
      wellKnown = resolved;
    }
    for (const [containerId, workload] of [
      ['folders', mailFolders(item.userId, wellKnown)],
      ['contactFolders', contactFolders(item.userId)],
    ] as const) {
      const outcome = await ctx.syncHierarchy(containerId, workload);
      if (outcome.status === 'wait') return { retryAfterSeconds: outcome.retryAfterSeconds };
      if (outcome.status === 'continue') return { retryAfterSeconds: 0 };
    }
    const containers: ContainerRef[] = [];
    for await (const f of ctx.heads('folders'))
      containers.push({
        id: `messages:${f.itemId}`,
        type: 'messages',
        folderId: f.itemId,
        name: textOf([f.props.displayName]),
      });
    containers.push({ id: 'calendar', type: 'calendar' }, { id: 'contacts', type: 'contacts' });
    for await (const f of ctx.heads('contactFolders'))
      containers.push({ id: `contacts:${f.itemId}`, type: 'contacts', folderId: f.itemId });
    const live = new Set(containers.map((c) => c.id));
    for (const id of await ctx.syncedContainers()) {
      if (FOLDER_SCOPED.some((p) => id.startsWith(p)) && !live.has(id)) containers.push({ id, type: REMOVED });
    }
    return { containers };
  },
  workload(item, c) {
    switch (c.type) {
      case 'mailFolders':
        return mailFolders(item.userId, item.wellKnownFolders);
      case 'messages':
        if (c.folderId) return folderMessages(item.userId, c.folderId);
        break;
      case 'calendar':
        return calendarEvents(item.userId);
      case 'contacts':
        return contacts(item.userId, c.folderId);
    }
    throw unknownContainer('mailbox', c);
  },
  restore: {
    folders: (view) => view.container('folders'),
    async *folderItems(view, folderId) {
      for (const m of await view.container(`messages:${folderId}`)) if (m.kind === 'message') yield m;
    },
    restorable: new Set(['message', 'event', 'contact']),
    folderOf: (doc) => (doc.kind === 'message' ? parentOf(doc) : ''),
    details: () => ({}),
    writeOperation: 'mail.write',
    async restorer(t, { item }) {
      const mail = new MailRestorer({
        ...t,
        ...(t.original ? {} : { rootName: restoreFolderName(item.address, t.startedAt) }),
      });
      const others = new ItemRestorer(t);
      return {
        folders: (planned, known) => mail.folders(planned, known),
        async item(doc, folderId, content) {
          if (doc.kind === 'message') return mail.message(doc, folderId, () => content.bytes());
          const json = JSON.parse((await content.bytes()).toString('utf8')) as Record<string, unknown>;
          if (doc.kind === 'event') return others.event(doc.itemId, json);
          if (doc.kind === 'contact') return others.contact(doc.itemId, json);
          throw new Error(`a mailbox restores no ${doc.kind} as an item`);
        },
      };
    },
  },
};
