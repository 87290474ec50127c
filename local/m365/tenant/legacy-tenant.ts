// The emulated tenant: directory, mailboxes (mail folders, messages, calendar, contacts) and OneDrives, generated
// lazily and deterministically from a seed and a profile; every change goes through versioned collections so Graph
// delta reports it. Message MIME and file bytes are produced on demand, never stored, unless written by a client.
import { createHash } from 'node:crypto';
import { guidOf, outlookIdOf, pick, rng } from './seeded';
import { bodyFor, MailAddress, MessageSpec, renderMime, subjectFor } from './mime';
import { VersionedCollection } from './versioned-collection';

export interface Profile {
  licensedUsers: number;
  sharedMailboxes: number;
  /** Messages per well-known folder of each mailbox, by folder key. */
  messages: Record<string, number>;
  filesPerDrive: number;
  fileBytes: { min: number; max: number };
  /** One message in this many has attachments; one in `largeEvery` has a >3 MB attachment (0 = never). */
  attachmentEvery: number;
  largeEvery: number;
}

export const PROFILES: Record<'demo' | 'bench', Profile> = {
  demo: { licensedUsers: 4, sharedMailboxes: 1, messages: { inbox: 10, sentitems: 4, drafts: 1, deleteditems: 2, archive: 3, projects: 3 }, filesPerDrive: 8, fileBytes: { min: 2_000, max: 400_000 }, attachmentEvery: 3, largeEvery: 0 },
  bench: { licensedUsers: 20, sharedMailboxes: 2, messages: { inbox: 500, sentitems: 200, drafts: 5, deleteditems: 50, archive: 200, projects: 45 }, filesPerDrive: 50, fileBytes: { min: 10_000, max: 2_000_000 }, attachmentEvery: 4, largeEvery: 200 },
};

export interface User {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail: string | null;
  assignedLicenses: Array<{ skuId: string }>;
  accountEnabled: boolean;
}

export interface MailFolder {
  id: string;
  displayName: string;
  parentFolderId: string;
  wellKnownName?: string;
  childFolderCount: number;
  totalItemCount: number;
  unreadItemCount: number;
}

export interface Message {
  id: string;
  changeKey: string;
  subject: string;
  from: { emailAddress: MailAddress };
  toRecipients: Array<{ emailAddress: MailAddress }>;
  receivedDateTime: string;
  sentDateTime: string;
  lastModifiedDateTime: string;
  isRead: boolean;
  isDraft: boolean;
  importance: 'low' | 'normal' | 'high';
  categories: string[];
  flag: { flagStatus: 'notFlagged' | 'flagged' | 'complete' };
  hasAttachments: boolean;
  internetMessageId: string;
  conversationId: string;
  parentFolderId: string;
  bodyPreview: string;
  /** Set for messages a client wrote (restores); generated messages render from `spec`. */
  mime?: Buffer;
  spec?: MessageSpec;
}

export interface DriveItem {
  id: string;
  name: string;
  eTag: string;
  cTag: string;
  size: number;
  createdDateTime: string;
  lastModifiedDateTime: string;
  parentReference: { driveId: string; id?: string };
  folder?: { childCount: number };
  file?: { mimeType: string };
  root?: Record<string, never>;
  /** Content version: bytes are a function of (seed, id, version) unless `content` was uploaded. */
  version: number;
  content?: Buffer;
}

export interface Mailbox {
  user: User;
  folders: VersionedCollection<MailFolder>;
  messages: Map<string, VersionedCollection<Message>>;
  events: VersionedCollection<{ id: string } & Record<string, unknown>>;
  contacts: VersionedCollection<{ id: string } & Record<string, unknown>>;
  contactFolders: VersionedCollection<{ id: string } & Record<string, unknown>>;
}

export interface Drive {
  id: string;
  ownerId: string;
  items: VersionedCollection<DriveItem>;
}

const WELL_KNOWN: Array<{ key: string; name: string; parent?: string }> = [
  { key: 'inbox', name: 'Inbox' }, { key: 'sentitems', name: 'Sent Items' }, { key: 'drafts', name: 'Drafts' },
  { key: 'deleteditems', name: 'Deleted Items' }, { key: 'archive', name: 'Archive' }, { key: 'junkemail', name: 'Junk Email' },
  { key: 'projects', name: 'Projects', parent: 'inbox' },
];
const FIRST = ['Adele', 'Bob', 'Chen', 'Diego', 'Eun-ji', 'Fatima', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lena', 'Mateo', 'Nadia', 'Olu', 'Priya'];
const LAST = ['Vance', 'Kelly', 'Wang', 'Siciliani', 'Park', 'Khan', 'Hopper', 'Tanaka', 'Moreau', 'Berg', 'Yilmaz', 'Fischer', 'Rossi', 'Haddad', 'Adeyemi', 'Nair'];
const LICENSE = 'c7df2760-2c81-4ef7-b578-5b5392b571df'; // Office 365 E5 SKU id

export class Tenant {
  readonly id: string;
  readonly domain: string;
  readonly users: VersionedCollection<User>;
  private seq = 0;
  readonly clock = { next: (): number => ++this.seq, current: (): number => this.seq };
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly drives = new Map<string, Drive>();
  readonly created = new Date('2026-01-05T08:00:00Z');

  constructor(readonly seed: string, readonly profile: Profile) {
    this.id = guidOf(seed, 'tenant');
    this.domain = `${seed.replace(/[^a-z0-9]/gi, '').toLowerCase() || 'contoso'}.onmicrosoft.com`;
    const total = profile.licensedUsers + profile.sharedMailboxes + 1;
    this.users = new VersionedCollection<User>(total, (i) => this.userAt(i), this.clock);
  }

  private userAt(i: number): User {
    const p = this.profile;
    const id = guidOf(this.seed, 'user', i);
    if (i < p.licensedUsers) {
      const first = FIRST[i % FIRST.length]!;
      const last = LAST[(i * 7) % LAST.length]!;
      const upn = `${first.toLowerCase().replace(/[^a-z]/g, '')}${i >= FIRST.length ? i : ''}@${this.domain}`;
      return { id, displayName: `${first} ${last}`, userPrincipalName: upn, mail: upn, assignedLicenses: [{ skuId: LICENSE }], accountEnabled: true };
    }
    if (i < p.licensedUsers + p.sharedMailboxes) {
      const n = i - p.licensedUsers;
      const upn = `${n === 0 ? 'info' : `shared${n}`}@${this.domain}`;
      return { id, displayName: n === 0 ? 'Info Desk' : `Shared Mailbox ${n}`, userPrincipalName: upn, mail: upn, assignedLicenses: [], accountEnabled: false };
    }
    return { id, displayName: 'Guest Reviewer', userPrincipalName: `guest_reviewer_outlook.com#EXT#@${this.domain}`, mail: null, assignedLicenses: [], accountEnabled: true };
  }

  user(idOrUpn: string): User | undefined {
    const key = idOrUpn.toLowerCase();
    return this.users.get(idOrUpn) ?? this.users.all().find((u) => u.userPrincipalName.toLowerCase() === key || u.mail?.toLowerCase() === key);
  }

  /** The user's mailbox, or undefined when the user has none (no mail: unlicensed, guest). */
  mailbox(userId: string): Mailbox | undefined {
    const user = this.users.get(userId);
    if (!user?.mail) return undefined;
    let mb = this.mailboxes.get(user.id);
    if (!mb) {
      mb = this.buildMailbox(user);
      this.mailboxes.set(user.id, mb);
    }
    return mb;
  }

  private folderId(userId: string, key: string): string {
    return outlookIdOf(this.seed, userId, 'folder', key);
  }

  private buildMailbox(user: User): Mailbox {
    const root = this.folderId(user.id, 'msgfolderroot');
    const folders = new VersionedCollection<MailFolder>(WELL_KNOWN.length, (i) => {
      const wk = WELL_KNOWN[i]!;
      const count = this.profile.messages[wk.key] ?? 0;
      return {
        id: this.folderId(user.id, wk.key), displayName: wk.name, parentFolderId: wk.parent ? this.folderId(user.id, wk.parent) : root,
        ...(wk.parent ? {} : { wellKnownName: wk.key }), childFolderCount: wk.key === 'inbox' ? 1 : 0, totalItemCount: count, unreadItemCount: Math.floor(count / 3),
      };
    }, this.clock);
    const mb: Mailbox = {
      user, folders, messages: new Map(),
      events: new VersionedCollection(3, (i) => this.eventAt(user, i), this.clock),
      contacts: new VersionedCollection(3, (i) => this.contactAt(user, 'default', i), this.clock),
      contactFolders: new VersionedCollection(1, () => ({ id: outlookIdOf(this.seed, user.id, 'contactFolder', 0), displayName: 'Suppliers', parentFolderId: outlookIdOf(this.seed, user.id, 'contacts') }), this.clock),
    };
    for (const wk of WELL_KNOWN) {
      const folderId = this.folderId(user.id, wk.key);
      mb.messages.set(folderId, new VersionedCollection(this.profile.messages[wk.key] ?? 0, (i) => this.messageAt(user, wk.key, folderId, i), this.clock));
    }
    return mb;
  }

  /** A folder's messages; folders created by clients get an empty collection. */
  folderMessages(mb: Mailbox, folderId: string): VersionedCollection<Message> | undefined {
    if (!mb.folders.get(folderId)) return undefined;
    let c = mb.messages.get(folderId);
    if (!c) {
      c = new VersionedCollection<Message>(0, () => { throw new Error('no base items'); }, this.clock);
      mb.messages.set(folderId, c);
    }
    return c;
  }

  private messageAt(user: User, folderKey: string, folderId: string, i: number): Message {
    const key = `${this.seed}|${user.id}|${folderKey}|${i}`;
    const r = rng(key);
    const users = this.users.all().filter((u) => u.mail && u.id !== user.id);
    const other = users.length ? pick(r, users) : user;
    const outgoing = folderKey === 'sentitems' || folderKey === 'drafts';
    const me = { name: user.displayName, address: user.mail! };
    const them = { name: other.displayName, address: other.mail ?? `partner@fabrikam.example` };
    const date = new Date(this.created.getTime() + Math.floor(r() * 300 * 86400_000));
    const withAttachments = this.profile.attachmentEvery > 0 && i % this.profile.attachmentEvery === 1;
    const large = this.profile.largeEvery > 0 && i % this.profile.largeEvery === 7;
    const attachments: MessageSpec['attachments'] = [];
    if (withAttachments) attachments.push({ name: 'Travel and Expense Policy 2026.pdf', type: 'application/pdf', size: 180_000, shared: true });
    if (withAttachments && r() < 0.5) attachments.push({ name: `${pick(r, ['Notes', 'Figures', 'Draft', 'Übersicht'])} ${i}.docx`, type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', size: 20_000 + Math.floor(r() * 60_000) });
    if (large) attachments.push({ name: `Site survey ${i}.zip`, type: 'application/zip', size: 3_500_000 + Math.floor(r() * 2_000_000) });
    const bodyText = bodyFor(r, 3 + Math.floor(r() * 8));
    const spec: MessageSpec = {
      key, subject: subjectFor(r), from: outgoing ? me : them, to: [outgoing ? them : me], date,
      messageId: `<${createHash('sha1').update(key).digest('hex').slice(0, 24)}@${this.domain}>`,
      attachments, inlineImage: i % 5 === 4, invitation: i % 11 === 6, bodyText,
    };
    const iso = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      id: outlookIdOf(key), changeKey: `CQAAAB${createHash('sha1').update(`${key}|0`).digest('base64').slice(0, 20)}`,
      subject: spec.subject, from: { emailAddress: spec.from }, toRecipients: spec.to.map((a) => ({ emailAddress: a })),
      receivedDateTime: iso, sentDateTime: iso, lastModifiedDateTime: iso, isRead: r() < 0.6, isDraft: folderKey === 'drafts',
      importance: r() < 0.1 ? 'high' : 'normal', categories: r() < 0.2 ? ['Blue category'] : [], flag: { flagStatus: r() < 0.1 ? 'flagged' : 'notFlagged' },
      hasAttachments: attachments.length > 0, internetMessageId: spec.messageId, conversationId: outlookIdOf(key, 'conversation'),
      parentFolderId: folderId, bodyPreview: bodyText.slice(0, 255), spec,
    };
  }

  mimeOf(m: Message): Buffer {
    return m.mime ?? renderMime(m.spec!);
  }

  private eventAt(user: User, i: number): { id: string } & Record<string, unknown> {
    const start = new Date(this.created.getTime() + (30 + i * 7) * 86400_000 + 9 * 3600_000);
    const iso = (d: Date): { dateTime: string; timeZone: string } => ({ dateTime: d.toISOString().slice(0, 19) + '.0000000', timeZone: 'UTC' });
    return {
      id: outlookIdOf(this.seed, user.id, 'event', i), changeKey: `ev${i}`, subject: ['Weekly sync', 'Quarterly review', 'Customer call'][i],
      start: iso(start), end: iso(new Date(start.getTime() + 3600_000)), isAllDay: false, type: i === 0 ? 'seriesMaster' : 'singleInstance',
      ...(i === 0 ? { recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] }, range: { type: 'noEnd', startDate: start.toISOString().slice(0, 10) } } } : {}),
      organizer: { emailAddress: { name: user.displayName, address: user.mail } }, location: { displayName: 'Teams' },
    };
  }

  private contactAt(user: User, folder: string, i: number): { id: string } & Record<string, unknown> {
    const first = FIRST[(i * 5 + 3) % FIRST.length]!;
    const last = LAST[(i * 3 + 1) % LAST.length]!;
    return { id: outlookIdOf(this.seed, user.id, 'contact', folder, i), changeKey: `ct${i}`, displayName: `${first} ${last}`, givenName: first, surname: last, emailAddresses: [{ name: `${first} ${last}`, address: `${first.toLowerCase()}@fabrikam.example` }], companyName: 'Fabrikam' };
  }

  /** The user's OneDrive, or undefined when the user has no licence (no OneDrive provisioned). */
  drive(userId: string): Drive | undefined {
    const user = this.users.get(userId);
    if (!user || user.assignedLicenses.length === 0) return undefined;
    return this.driveById(guidOf(this.seed, 'drive', user.id).replace(/-/g, '').slice(0, 16).replace(/^/, 'b!'), user.id);
  }

  driveById(driveId: string, ownerId?: string): Drive | undefined {
    let d = this.drives.get(driveId);
    if (d) return d;
    const owner = ownerId ?? this.users.all().find((u) => this.drive(u.id)?.id === driveId)?.id;
    if (!owner) return undefined;
    const n = this.profile.filesPerDrive;
    const rootId = `${driveId}!root`;
    const folderIds = [`${driveId}!f1`, `${driveId}!f2`];
    d = { id: driveId, ownerId: owner, items: new VersionedCollection<DriveItem>(3 + n, (i) => this.driveItemAt(driveId, rootId, folderIds, i), this.clock) };
    this.drives.set(driveId, d);
    return d;
  }

  private driveItemAt(driveId: string, rootId: string, folderIds: string[], i: number): DriveItem {
    const at = this.created.toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (i === 0) return { id: rootId, name: 'root', eTag: '"{root},1"', cTag: '"c:{root},0"', size: 0, createdDateTime: at, lastModifiedDateTime: at, parentReference: { driveId }, folder: { childCount: 2 }, root: {}, version: 1 };
    if (i <= 2) return { id: folderIds[i - 1]!, name: i === 1 ? 'Documents' : 'Übersicht 2026', eTag: `"{f${i}},1"`, cTag: `"c:{f${i}},0"`, size: 0, createdDateTime: at, lastModifiedDateTime: at, parentReference: { driveId, id: rootId }, folder: { childCount: 0 }, version: 1 };
    const r = rng(this.seed, driveId, 'file', i);
    const ext = pick(r, ['docx', 'xlsx', 'pdf', 'txt', 'pptx']);
    const size = Math.floor(this.profile.fileBytes.min + r() * (this.profile.fileBytes.max - this.profile.fileBytes.min));
    const id = `${driveId}!${i}`;
    return {
      id, name: `${pick(r, ['Plan', 'Report', 'Notes', 'Budget', 'Design'])} ${i}.${ext}`, eTag: `"{${id}},1"`, cTag: `"c:{${id}},1"`, size,
      createdDateTime: at, lastModifiedDateTime: at, parentReference: { driveId, id: i % 3 === 0 ? rootId : folderIds[i % 2]! },
      file: { mimeType: ext === 'txt' ? 'text/plain' : 'application/octet-stream' }, version: 1,
    };
  }

  listMailboxes(): Mailbox[] {
    return this.users.all().map((u) => this.mailbox(u.id)).filter((m): m is Mailbox => m !== undefined);
  }
}
