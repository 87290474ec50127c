// One Exchange mailbox: the folder tree (well-known folders and user folders, nested), the messages of every folder,
// the primary calendar and the contacts. Generated lazily from (seed, user, folder, index); every mutation goes
// through a change log, so each folder, the calendar and each contact folder has its own delta stream, as in Graph.
import { arrayBase, BaseItems, ChangeLog, noBaseItems, SeqClock } from '../tenant/change-log';
import { ContactFolderRecord, ContactRecord, generateContact } from '../contacts/model';
import { EventRecord, generateEvent } from '../calendar/model';
import {
  decodeAnyItemId,
  decodeItemId,
  encodeItemId,
  immutableOf,
  ItemKind,
  ItemRef,
  mailboxKeyOf,
} from '../tenant/ids';
import {
  changeKeyOf,
  generatedUnread,
  generatedUnreadCount,
  generateMessage,
  isoSeconds,
  MailAddress,
  MessageRecord,
} from './message';
import type { Profile } from '../tenant/profile';
import { rng } from '../tenant/seeded';
import type { UserRecord } from '../directory/model';

export interface FolderRecord {
  id: string;
  displayName: string;
  parentFolderId: string;
  /** Layout key ('inbox', 'projects', ...) or 'custom' for folders clients created. */
  key: string;
  /** Kept for the product's first cut, which reads it; not a v1.0 mailFolder property (see README). */
  wellKnownName?: string;
  /** Container number inside item ids. */
  index: number;
  isHidden: boolean;
}

/** The folders every generated mailbox has, in order; `parent` defaults to the root (msgfolderroot). */
export const FOLDER_LAYOUT: ReadonlyArray<{ key: string; name: string; parent?: string; wellKnown?: true }> = [
  { key: 'inbox', name: 'Inbox', wellKnown: true },
  { key: 'drafts', name: 'Drafts', wellKnown: true },
  { key: 'sentitems', name: 'Sent Items', wellKnown: true },
  { key: 'deleteditems', name: 'Deleted Items', wellKnown: true },
  { key: 'archive', name: 'Archive', wellKnown: true },
  { key: 'junkemail', name: 'Junk Email', wellKnown: true },
  { key: 'outbox', name: 'Outbox', wellKnown: true },
  { key: 'conversationhistory', name: 'Conversation History', wellKnown: true },
  { key: 'projects', name: 'Projects', parent: 'inbox' },
  { key: 'clients', name: 'Clients – Übersicht', parent: 'projects' },
  { key: 'receipts', name: 'Receipts 2026' },
];

const ROOT_INDEX = 0;
const CREATED_FOLDER_BASE = 1000;
const DEFAULT_CONTACTS = 0;

export interface MailboxContext {
  seed: string;
  domain: string;
  profile: Profile;
  clock: SeqClock;
  anchor: Date;
  peers(userId: string): readonly MailAddress[];
  now(): number;
}

export class Mailbox {
  readonly key: Buffer;
  readonly root: FolderRecord;
  readonly folders: ChangeLog<FolderRecord>;
  readonly events: ChangeLog<EventRecord>;
  readonly contactsRootId: string;
  readonly contactFolders: ChangeLog<ContactFolderRecord>;
  private readonly messageLogs = new Map<number, ChangeLog<MessageRecord>>();
  private readonly contactLogs = new Map<number, ChangeLog<ContactRecord>>();
  private readonly sizeFactor: number;
  /** Serial numbers for ids of created items (folders, messages, events, contacts). */
  private serial = 0;
  /** Immutable id → current REST id, for the items that moved (the others' REST id is their immutable id decoded). */
  private readonly moved = new Map<string, string>();

  constructor(
    private readonly ctx: MailboxContext,
    readonly user: UserRecord,
  ) {
    this.key = mailboxKeyOf(ctx.seed, user.id);
    const v = ctx.profile.messageVariation;
    this.sizeFactor = v ? 1 + v * (2 * rng(ctx.seed, user.id, 'size')() - 1) : 1;
    this.root = {
      id: this.id(ItemKind.folder, ROOT_INDEX),
      displayName: 'Top of Information Store',
      parentFolderId: this.id(ItemKind.folder, 0xffff),
      key: 'msgfolderroot',
      wellKnownName: 'msgfolderroot',
      index: ROOT_INDEX,
      isHidden: false,
    };
    const layoutIndex = new Map(FOLDER_LAYOUT.map((f, i) => [f.key, i + 1]));
    this.folders = new ChangeLog(
      `${user.id}/mailFolders`,
      arrayBase(() =>
        FOLDER_LAYOUT.map((f, i) => ({
          id: this.id(ItemKind.folder, i + 1),
          displayName: f.name,
          parentFolderId: f.parent ? this.id(ItemKind.folder, layoutIndex.get(f.parent)!) : this.root.id,
          key: f.key,
          ...(f.wellKnown ? { wellKnownName: f.key } : {}),
          index: i + 1,
          isHidden: false,
        })),
      ),
      ctx.clock,
    );
    this.events = new ChangeLog(
      `${user.id}/calendar`,
      this.generated(ItemKind.event, 0, ctx.profile.eventsPerMailbox, (i, id) =>
        generateEvent(
          {
            seed: ctx.seed,
            owner: this.owner,
            peers: this.peers,
            index: i,
            recurringEvery: ctx.profile.recurringEvery,
            anchor: ctx.anchor,
          },
          id,
        ),
      ),
      ctx.clock,
    );
    this.contactsRootId = this.id(ItemKind.contactFolder, DEFAULT_CONTACTS);
    this.contactFolders = new ChangeLog(
      `${user.id}/contactFolders`,
      arrayBase(() =>
        Array.from({ length: ctx.profile.contactFolders }, (_, i) => ({
          id: this.id(ItemKind.contactFolder, i + 1),
          displayName: ['Suppliers', 'Family', 'Press'][i % 3] + (i >= 3 ? ` ${i}` : ''),
          parentFolderId: this.contactsRootId,
        })),
      ),
      ctx.clock,
    );
  }

  private peerCache: readonly MailAddress[] | undefined;

  private get peers(): readonly MailAddress[] {
    return (this.peerCache ??= this.ctx.peers(this.user.id));
  }

  get owner(): MailAddress & { id: string } {
    return { id: this.user.id, name: this.user.displayName, address: this.user.mail ?? this.user.userPrincipalName };
  }

  ref(kind: ItemKind, container: number, index = 0, serial = 0, sub = 0): ItemRef {
    return { mailbox: this.key, kind, container, index, serial, sub };
  }

  id(kind: ItemKind, container: number, index = 0, serial = 0, sub = 0): string {
    return encodeItemId(this.ref(kind, container, index, serial, sub));
  }

  /** The reference inside one of this mailbox's ids (REST or immutable), or undefined (another mailbox's, or no id). */
  refOf(id: string): ItemRef | undefined {
    const ref = decodeItemId(this.restIdOf(id));
    return ref && ref.mailbox.equals(this.key) ? ref : undefined;
  }

  /** The item's current REST id for either form of its id (Graph accepts both in a request, whatever Prefer says). */
  restIdOf(id: string): string {
    const hit = decodeAnyItemId(id);
    if (!hit?.immutable || !hit.ref.mailbox.equals(this.key)) return id;
    return this.moved.get(id) ?? encodeItemId(hit.ref);
  }

  nextSerial(): number {
    return ++this.serial;
  }

  /** Base items whose ids are (kind, container, index): resolving an id is a decode, not a lookup. */
  private generated<T extends { id: string }>(
    kind: ItemKind,
    container: number,
    count: number,
    make: (i: number, id: string) => T,
  ): BaseItems<T> {
    return {
      count,
      at: (i) => make(i, this.id(kind, container, i)),
      indexOf: (id) => {
        const ref = this.refOf(id);
        return ref &&
          ref.kind === kind &&
          ref.container === container &&
          ref.serial === 0 &&
          ref.sub === 0 &&
          ref.index < count
          ? ref.index
          : undefined;
      },
    };
  }

  /** Invalidates every delta token of this mailbox (folders, messages, calendar, contacts). */
  expireTokens(): void {
    for (const log of [
      this.folders,
      this.events,
      this.contactFolders,
      ...this.messageLogs.values(),
      ...this.contactLogs.values(),
    ])
      log.expire();
  }

  // ---- folders ----

  /** A folder by id or well-known name (case-insensitive), the root included. */
  folder(idOrName: string): FolderRecord | undefined {
    const lower = idOrName.toLowerCase();
    if (idOrName === this.root.id || lower === 'msgfolderroot') return this.root;
    const byId = this.folders.get(idOrName);
    if (byId) return byId;
    for (const f of this.folders.all()) if (f.wellKnownName === lower) return f;
    return undefined;
  }

  childFolders(parentId: string): FolderRecord[] {
    return [...this.folders.all()].filter((f) => f.parentFolderId === parentId);
  }

  createFolder(parentId: string, displayName: string, isHidden = false): FolderRecord {
    const serial = this.nextSerial();
    const f: FolderRecord = {
      id: this.id(ItemKind.folder, CREATED_FOLDER_BASE + serial, 0, serial),
      displayName,
      parentFolderId: parentId,
      key: 'custom',
      index: CREATED_FOLDER_BASE + serial,
      isHidden,
    };
    this.folders.create(f);
    return f;
  }

  messageCount(f: FolderRecord): number {
    const base = this.ctx.profile.messages[f.key] ?? 0;
    return f.key === 'custom' ? 0 : Math.round(base * this.sizeFactor);
  }

  messages(f: FolderRecord): ChangeLog<MessageRecord> {
    let log = this.messageLogs.get(f.index);
    if (!log) {
      const count = this.messageCount(f);
      const p = this.ctx.profile;
      log = new ChangeLog(
        `${this.user.id}/mailFolders/${f.index}/messages`,
        this.generated(ItemKind.message, f.index, count, (i, id) =>
          generateMessage(
            {
              seed: this.ctx.seed,
              domain: this.ctx.domain,
              owner: this.owner,
              peers: this.peers,
              folderKey: f.key,
              folderId: f.id,
              index: i,
              count,
              anchor: this.ctx.anchor,
              attachmentEvery: p.attachmentEvery,
              largeEvery: p.largeEvery,
            },
            id,
          ),
        ),
        this.ctx.clock,
      );
      this.messageLogs.set(f.index, log);
    }
    return log;
  }

  unreadCount(f: FolderRecord): number {
    const log = this.messages(f);
    let unread = generatedUnreadCount(f.key, log.base.count);
    for (const e of log.overlay()) {
      if (e.created === 0) {
        const ref = this.refOf(e.id);
        if (ref && generatedUnread(f.key, log.base.count, ref.index)) unread--;
      }
      if (e.item && !e.item.isRead) unread++;
    }
    return unread;
  }

  /** A message anywhere in the mailbox: its id names its folder. */
  findMessage(
    anyId: string,
  ): { message: MessageRecord; folder: FolderRecord; log: ChangeLog<MessageRecord> } | undefined {
    const id = this.restIdOf(anyId);
    const ref = this.refOf(id);
    if (!ref || ref.kind !== ItemKind.message) return undefined;
    const folder = [this.root, ...this.folders.all()].find((f) => f.index === ref.container);
    if (!folder) return undefined;
    const log = this.messages(folder);
    const message = log.get(id);
    return message ? { message, folder, log } : undefined;
  }

  /** Adds a message to a folder; `build` gets the new id. */
  createMessage(folder: FolderRecord, build: (id: string, now: string) => MessageRecord): MessageRecord {
    const serial = this.nextSerial();
    const m = build(this.id(ItemKind.message, folder.index, 0, serial), isoSeconds(this.ctx.now()));
    this.messages(folder).create(m);
    return m;
  }

  /** Applies a change of mutable state; `props` names what changed. */
  updateMessage(id: string, patch: Partial<MessageRecord>, props: string[]): MessageRecord | undefined {
    const hit = this.findMessage(id);
    if (!hit) return undefined;
    const now = this.ctx.now();
    const next: MessageRecord = {
      ...hit.message,
      ...patch,
      lastModifiedDateTime: isoSeconds(now),
      changeKey: changeKeyOf(id, now, hit.log.currentSeq()),
    };
    hit.log.update(next, [...props, 'lastModifiedDateTime', 'changeKey']);
    return next;
  }

  /**
   * Moves a message: Exchange gives it a new REST id in the new folder (the old one stops resolving) and keeps its
   * immutable id.
   */
  moveMessage(id: string, dest: FolderRecord): MessageRecord | undefined {
    const hit = this.findMessage(id);
    if (!hit) return undefined;
    hit.log.remove(hit.message.id);
    const immutableId = immutableIdOf(hit.message);
    const moved = this.createMessage(dest, (newId, now) => ({
      ...hit.message,
      id: newId,
      immutableId,
      parentFolderId: dest.id,
      lastModifiedDateTime: now,
      changeKey: changeKeyOf(newId, now),
    }));
    this.moved.set(immutableId, moved.id);
    return moved;
  }

  deleteMessage(id: string): boolean {
    const hit = this.findMessage(id);
    return hit ? hit.log.remove(hit.message.id) !== undefined : false;
  }

  // ---- calendar ----

  /** An event by its id or by one of its occurrences' ids (then `occurrence` is the occurrence number). */
  findEvent(id: string): { event: EventRecord; ref: ItemRef; occurrence?: number } | undefined {
    const ref = this.refOf(id);
    if (!ref || (ref.kind !== ItemKind.event && ref.kind !== ItemKind.occurrence)) return undefined;
    const masterRef = { ...ref, kind: ItemKind.event, sub: 0 };
    const event = this.events.get(encodeItemId(masterRef));
    if (!event) return undefined;
    return ref.kind === ItemKind.occurrence
      ? { event, ref: masterRef, occurrence: ref.sub }
      : { event, ref: masterRef };
  }

  createEvent(build: (id: string, now: string) => EventRecord): EventRecord {
    const serial = this.nextSerial();
    const e = build(this.id(ItemKind.event, 0, 0, serial), isoSeconds(this.ctx.now()));
    this.events.create(e);
    return e;
  }

  // ---- contacts ----

  /** A contact folder by id; the default Contacts folder too. */
  contactFolder(id: string): ContactFolderRecord | undefined {
    if (id === this.contactsRootId || id.toLowerCase() === 'contacts')
      return { id: this.contactsRootId, displayName: 'Contacts', parentFolderId: this.root.id };
    return this.contactFolders.get(id);
  }

  contacts(folderId: string): ChangeLog<ContactRecord> | undefined {
    const folder = this.contactFolder(folderId);
    const ref = folder && this.refOf(folder.id);
    if (!folder || !ref) return undefined;
    let log = this.contactLogs.get(ref.container);
    if (!log) {
      const p = this.ctx.profile;
      const isDefault = ref.container === DEFAULT_CONTACTS;
      const count = isDefault ? p.contactsPerMailbox : ref.serial ? 0 : p.contactsPerFolder;
      const folderKey = isDefault ? 'default' : String(ref.container);
      const base = count
        ? this.generated(ItemKind.contact, ref.container, count, (i, id) =>
            generateContact(this.ctx.seed, this.user.id, folderKey, i, id, folder.id, this.ctx.anchor),
          )
        : noBaseItems<ContactRecord>();
      log = new ChangeLog(`${this.user.id}/contactFolders/${ref.container}/contacts`, base, this.ctx.clock);
      this.contactLogs.set(ref.container, log);
    }
    return log;
  }

  findContact(anyId: string): { contact: ContactRecord; log: ChangeLog<ContactRecord> } | undefined {
    const id = this.restIdOf(anyId);
    const ref = this.refOf(id);
    if (!ref || ref.kind !== ItemKind.contact) return undefined;
    const folderId =
      ref.container === DEFAULT_CONTACTS
        ? this.contactsRootId
        : [...this.contactFolders.all()].find((f) => this.refOf(f.id)?.container === ref.container)?.id;
    const log = folderId ? this.contacts(folderId) : undefined;
    const contact = log?.get(id);
    return contact && log ? { contact, log } : undefined;
  }

  /** Moves a contact to another contact folder (as a user does in Outlook): a new REST id, the same immutable id. */
  moveContact(id: string, folderId: string): ContactRecord | undefined {
    const hit = this.findContact(id);
    const dest = this.contactFolder(folderId);
    if (!hit || !dest) return undefined;
    hit.log.remove(hit.contact.id);
    const immutableId = immutableIdOf(hit.contact);
    const moved = this.createContact(dest.id, (newId, now) => ({
      ...hit.contact,
      id: newId,
      immutableId,
      parentFolderId: dest.id,
      lastModifiedDateTime: now,
      changeKey: changeKeyOf(newId, now),
    }))!;
    this.moved.set(immutableId, moved.id);
    return moved;
  }

  createContactFolder(displayName: string): ContactFolderRecord {
    const serial = this.nextSerial();
    const f = {
      id: this.id(ItemKind.contactFolder, CREATED_FOLDER_BASE + serial, 0, serial),
      displayName,
      parentFolderId: this.contactsRootId,
    };
    this.contactFolders.create(f);
    return f;
  }

  createContact(folderId: string, build: (id: string, now: string) => ContactRecord): ContactRecord | undefined {
    const log = this.contacts(folderId);
    const ref = this.refOf(this.contactFolder(folderId)?.id ?? '');
    if (!log || !ref) return undefined;
    const serial = this.nextSerial();
    const c = build(this.id(ItemKind.contact, ref.container, 0, serial), isoSeconds(this.ctx.now()));
    log.create(c);
    return c;
  }
}

/** An item's immutable id: kept from its creation through moves, or its REST id's fields under the immutable marker. */
export const immutableIdOf = (item: { id: string; immutableId?: string }): string =>
  item.immutableId ?? immutableOf(item.id);
