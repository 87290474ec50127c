// Graph v1.0 routes the backup product needs, with Graph's paging, delta links, $select, error codes and shapes.
import { createHmac } from 'node:crypto';
import type { Drive, DriveItem, Mailbox, Message, Tenant } from '../tenant/legacy-tenant';
import { outlookIdOf } from '../tenant/seeded';
import { GraphError } from './errors';
import { Cursor, decodeToken, deltaPage, encodeToken } from './paging';
import type { VersionedCollection } from '../tenant/versioned-collection';

export type Workload = 'directory' | 'mail' | 'calendar' | 'contacts' | 'files';

export interface GraphRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Buffer;
  tenant: Tenant;
  baseUrl: string;
  contentUrl(drive: Drive, item: DriveItem): string;
}

export interface GraphResult {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  bytes?: Buffer;
}

export interface Route {
  method: string;
  template: string;
  workload: Workload;
  /** Application permissions, any of which allows the call. */
  permissions: string[];
  /** Throttling and access-policy key (the mailbox's user id or the drive id). */
  mailbox?: (params: Record<string, string>) => string;
  handle(req: GraphRequest): GraphResult | Promise<GraphResult>;
}

const READ_MAIL = ['Mail.Read', 'Mail.ReadWrite', 'Mail.ReadBasic.All'];
const READ_FILES = ['Files.Read.All', 'Files.ReadWrite.All', 'Sites.Read.All', 'Sites.ReadWrite.All'];
const READ_USERS = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All'];

const ok = (json: unknown): GraphResult => ({ status: 200, json });
const notFound = (): GraphError => new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

function userOf(req: GraphRequest): import('../tenant/legacy-tenant').User {
  const u = req.tenant.user(req.params.userId!);
  if (!u) throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${req.params.userId}' does not exist or one of its queried reference-property objects are not present.`);
  return u;
}

function mailboxOf(req: GraphRequest): Mailbox {
  const mb = req.tenant.mailbox(userOf(req).id);
  if (!mb) throw new GraphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
  return mb;
}

function driveOf(req: GraphRequest, id: string): Drive {
  const d = req.tenant.driveById(id);
  if (!d) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
  return d;
}

function pageSize(req: GraphRequest, fallback: number, max = 1000): number {
  const prefer = /odata\.maxpagesize=(\d+)/.exec(req.headers.prefer ?? '')?.[1];
  const top = req.query.get('$top');
  return Math.min(max, Math.max(1, Number(prefer ?? top ?? fallback)));
}

function select<T extends object>(item: T, sel: string | undefined): Record<string, unknown> {
  const { mime, spec, content, version, ...visible } = item as T & { mime?: unknown; spec?: unknown; content?: unknown; version?: unknown };
  void mime; void spec; void content; void version;
  if (!sel || '@removed' in visible) return visible;
  const keep = new Set(['id', ...sel.split(',').map((s) => s.trim())]);
  return Object.fromEntries(Object.entries(visible).filter(([k]) => keep.has(k)));
}

/** Shared body of every delta function: tokens, paging, 410 on expired tokens, link shapes per resource family. */
function delta<T extends { id: string }>(
  req: GraphRequest, coll: VersionedCollection<T>, link: { path: string; next: string; delta: string }, render: (item: T | { id: string; '@removed': unknown }, sel?: string) => unknown,
  expired: () => GraphError, defaultPage: number,
): GraphResult {
  const token = req.query.get(link.next) ?? req.query.get(link.delta) ?? undefined;
  const latest = req.query.get('$deltaToken') === 'latest' || req.query.get('token') === 'latest';
  let cursor: Cursor | undefined = token ? decodeToken(token, '') : undefined;
  if (latest) cursor = { g: coll.generation, s: coll.currentSeq() };
  const sel = cursor?.sel ?? req.query.get('$select') ?? undefined;
  if (!cursor && sel) cursor = { g: coll.generation, sel };
  const page = latest ? { items: [], delta: cursor } : deltaPage(coll, cursor, pageSize(req, defaultPage), expired);
  const extra = [...req.query].filter(([k]) => !k.startsWith('$') && k !== 'token').map(([k, v]) => `&${k}=${encodeURIComponent(v)}`).join('');
  const url = (param: string, c: Cursor): string => `${req.baseUrl}${link.path}?${param}=${encodeToken(c)}${extra}`;
  return ok({
    '@odata.context': `${req.baseUrl}/$metadata#Collection`,
    value: page.items.map((i) => render(i, sel)),
    ...(page.next ? { '@odata.nextLink': url(link.next, page.next) } : { '@odata.deltaLink': url(link.delta, page.delta!) }),
  });
}

const mailExpired = (): GraphError => new GraphError(410, 'SyncStateNotFound', 'The sync state generation is not found; generation=1;[highest=2]. Please do a full sync.');

function messageJson(m: Message | { id: string; '@removed': unknown }, sel?: string): unknown {
  if ('@removed' in m) return { '@odata.type': '#microsoft.graph.message', ...m };
  return { '@odata.type': '#microsoft.graph.message', '@odata.etag': `W/"${m.changeKey}"`, ...select(m, sel) };
}

function findMessage(mb: Mailbox, id: string): { message: Message; folderId: string } | undefined {
  for (const [folderId, coll] of mb.messages) {
    const message = coll.get(id);
    if (message) return { message, folderId };
  }
  return undefined;
}

function driveItemJson(req: GraphRequest, drive: Drive, item: DriveItem | { id: string; '@removed': unknown }): unknown {
  // Drive delta marks deletions with a `deleted` facet, not @removed; OneDrive for Business omits the name.
  if ('@removed' in item) return { id: item.id, deleted: { state: 'deleted' }, parentReference: { driveId: drive.id } };
  const { content, version, ...visible } = item;
  void content; void version;
  return { ...visible, ...(item.file ? { '@microsoft.graph.downloadUrl': req.contentUrl(drive, item) } : {}) };
}

export function decodeMimeHeader(value: string): string {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _cs: string, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m: string, h: string) => String.fromCharCode(parseInt(h, 16))));
}

function headerOf(mime: Buffer, name: string): string | undefined {
  const head = mime.subarray(0, Math.min(mime.length, 64 * 1024)).toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(unfolded)?.[1];
}

export function createContentSigner(secret: string): { sign(payload: object): string; verify(token: string): Record<string, unknown> | undefined } {
  return {
    sign(payload) {
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
    },
    verify(token) {
      const [body, mac] = token.split('.');
      if (!body || mac !== createHmac('sha256', secret).update(body).digest('base64url')) return undefined;
      return JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    },
  };
}

const byUser = (p: Record<string, string>): string => p.userId!;
const byDrive = (p: Record<string, string>): string => p.driveId!;

export const ROUTES: Route[] = [
  {
    method: 'GET', template: '/users', workload: 'directory', permissions: READ_USERS,
    handle(req) {
      const size = pageSize(req, 100, 999);
      const offset = Number(req.query.get('$skiptoken') ?? 0);
      const all = req.tenant.users.all();
      const sel = req.query.get('$select') ?? undefined;
      const next = offset + size < all.length ? `${req.baseUrl}/users?$skiptoken=${offset + size}&$top=${size}${sel ? `&$select=${sel}` : ''}` : undefined;
      return ok({ '@odata.context': `${req.baseUrl}/$metadata#users`, value: all.slice(offset, offset + size).map((u) => select(u, sel)), ...(next ? { '@odata.nextLink': next } : {}) });
    },
  },
  {
    method: 'GET', template: '/users/delta', workload: 'directory', permissions: READ_USERS,
    handle: (req) => delta(req, req.tenant.users, { path: '/users/delta', next: '$skiptoken', delta: '$deltatoken' }, (u, sel) => select(u as object, sel),
      () => new GraphError(410, 'resyncRequired', 'The delta token is no longer valid. Start a full synchronization.', { headers: { Location: `${req.baseUrl}/users/delta` } }), 100),
  },
  { method: 'GET', template: '/users/{userId}', workload: 'directory', permissions: READ_USERS, handle: (req) => ok(select(userOf(req), req.query.get('$select') ?? undefined)) },
  {
    method: 'GET', template: '/users/{userId}/mailFolders/delta', workload: 'mail', permissions: READ_MAIL, mailbox: byUser,
    handle: (req) => delta(req, mailboxOf(req).folders, { path: `/users/${req.params.userId}/mailFolders/delta`, next: '$skiptoken', delta: '$deltatoken' },
      (f, sel) => ({ '@odata.type': '#microsoft.graph.mailFolder', ...select(f as object, sel) }), mailExpired, 100),
  },
  {
    method: 'GET', template: '/users/{userId}/mailFolders', workload: 'mail', permissions: READ_MAIL, mailbox: byUser,
    handle(req) {
      const mb = mailboxOf(req);
      const root = mb.folders.all().find((f) => f.wellKnownName === 'inbox')?.parentFolderId;
      return ok({ value: mb.folders.all().filter((f) => f.parentFolderId === root).map((f) => select(f, undefined)) });
    },
  },
  {
    method: 'GET', template: '/users/{userId}/mailFolders/{folderId}/messages/delta', workload: 'mail', permissions: READ_MAIL, mailbox: byUser,
    handle(req) {
      const mb = mailboxOf(req);
      const folder = mb.folders.all().find((f) => f.id === req.params.folderId || f.wellKnownName === req.params.folderId.toLowerCase());
      const coll = folder ? req.tenant.folderMessages(mb, folder.id) : undefined;
      if (!folder || !coll) throw notFound();
      return delta(req, coll, { path: `/users/${req.params.userId}/mailFolders/${req.params.folderId}/messages/delta`, next: '$skiptoken', delta: '$deltatoken' }, messageJson, mailExpired, 10);
    },
  },
  {
    method: 'GET', template: '/users/{userId}/messages/{messageId}', workload: 'mail', permissions: READ_MAIL, mailbox: byUser,
    handle(req) {
      const hit = findMessage(mailboxOf(req), req.params.messageId!);
      if (!hit) throw notFound();
      return ok(messageJson(hit.message, req.query.get('$select') ?? undefined));
    },
  },
  {
    method: 'GET', template: '/users/{userId}/messages/{messageId}/$value', workload: 'mail', permissions: READ_MAIL, mailbox: byUser,
    handle(req) {
      const hit = findMessage(mailboxOf(req), req.params.messageId!);
      if (!hit) throw notFound();
      return { status: 200, headers: { 'content-type': 'text/plain' }, bytes: req.tenant.mimeOf(hit.message) };
    },
  },
  {
    method: 'POST', template: '/users/{userId}/mailFolders/{folderId}/messages', workload: 'mail', permissions: ['Mail.ReadWrite'], mailbox: byUser,
    handle(req) {
      const mb = mailboxOf(req);
      const folder = mb.folders.all().find((f) => f.id === req.params.folderId || f.wellKnownName === req.params.folderId.toLowerCase());
      const coll = folder ? req.tenant.folderMessages(mb, folder.id) : undefined;
      if (!folder || !coll) throw notFound();
      if (!(req.headers['content-type'] ?? '').startsWith('text/plain')) throw new GraphError(400, 'ErrorInvalidRequest', 'Only MIME content (text/plain, base64) is emulated for message creation.');
      const text = req.body.toString('utf8').trim();
      if (!/^[A-Za-z0-9+/\r\n]+=*$/.test(text)) throw new GraphError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
      const mime = Buffer.from(text, 'base64');
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const id = outlookIdOf('created', req.tenant.clock.current(), Math.random());
      const subject = decodeMimeHeader(headerOf(mime, 'Subject') ?? '');
      const from = headerOf(mime, 'From') ?? '';
      const message: Message = {
        id, changeKey: `CQ${id.slice(-12)}`, subject, from: { emailAddress: { name: decodeMimeHeader(from.replace(/<.*>/, '').trim()), address: /<([^>]+)>/.exec(from)?.[1] ?? from } },
        toRecipients: [], receivedDateTime: now, sentDateTime: now, lastModifiedDateTime: now, isRead: false, isDraft: true, importance: 'normal',
        categories: [], flag: { flagStatus: 'notFlagged' }, hasAttachments: /Content-Disposition:\s*attachment/i.test(mime.toString('latin1')),
        internetMessageId: headerOf(mime, 'Message-ID') ?? `<${id.slice(-16)}@emulator>`, conversationId: outlookIdOf(id, 'c'), parentFolderId: folder.id,
        bodyPreview: '', mime,
      };
      coll.put(message);
      return { status: 201, json: messageJson(message) };
    },
  },
  {
    method: 'GET', template: '/users/{userId}/calendarView/delta', workload: 'calendar', permissions: ['Calendars.Read', 'Calendars.ReadWrite'], mailbox: byUser,
    handle: (req) => delta(req, mailboxOf(req).events, { path: `/users/${req.params.userId}/calendarView/delta`, next: '$skiptoken', delta: '$deltatoken' }, (e) => e, mailExpired, 100),
  },
  {
    method: 'GET', template: '/users/{userId}/contacts/delta', workload: 'contacts', permissions: ['Contacts.Read', 'Contacts.ReadWrite'], mailbox: byUser,
    handle: (req) => delta(req, mailboxOf(req).contacts, { path: `/users/${req.params.userId}/contacts/delta`, next: '$skiptoken', delta: '$deltatoken' }, (c) => c, mailExpired, 100),
  },
  {
    method: 'GET', template: '/users/{userId}/contactFolders/delta', workload: 'contacts', permissions: ['Contacts.Read', 'Contacts.ReadWrite'], mailbox: byUser,
    handle: (req) => delta(req, mailboxOf(req).contactFolders, { path: `/users/${req.params.userId}/contactFolders/delta`, next: '$skiptoken', delta: '$deltatoken' }, (c) => c, mailExpired, 100),
  },
  {
    method: 'GET', template: '/users/{userId}/contactFolders/{folderId}/contacts/delta', workload: 'contacts', permissions: ['Contacts.Read', 'Contacts.ReadWrite'], mailbox: byUser,
    handle(req) {
      if (!mailboxOf(req).contactFolders.get(req.params.folderId!)) throw notFound();
      return ok({ value: [], '@odata.deltaLink': `${req.baseUrl}/users/${req.params.userId}/contactFolders/${req.params.folderId}/contacts/delta?$deltatoken=${encodeToken({ g: 0, s: req.tenant.clock.current() })}` });
    },
  },
  {
    method: 'GET', template: '/users/{userId}/drive', workload: 'files', permissions: READ_FILES, mailbox: byUser,
    handle(req) {
      const user = userOf(req);
      const drive = req.tenant.drive(user.id);
      if (!drive) throw new GraphError(404, 'ResourceNotFound', "User's mysite not found.");
      return ok({ id: drive.id, driveType: 'business', name: 'OneDrive', owner: { user: { id: user.id, displayName: user.displayName } } });
    },
  },
  {
    method: 'GET', template: '/drives/{driveId}/root/delta', workload: 'files', permissions: READ_FILES, mailbox: byDrive,
    handle(req) {
      const drive = driveOf(req, req.params.driveId!);
      const path = `/drives/${drive.id}/root/delta`;
      return delta(req, drive.items, { path, next: 'token', delta: 'token' }, (i) => driveItemJson(req, drive, i as DriveItem),
        () => new GraphError(410, 'resyncRequired', 'Resync required. Replace any local items with the server\'s version (including deletes) if you\'re sure that the service was up to date with your local changes when you last sync\'d.', { headers: { Location: `${req.baseUrl}${path}` }, innerCode: 'resyncChangesApplyDifferences' }), 200);
    },
  },
  {
    method: 'GET', template: '/drives/{driveId}/items/{itemId}', workload: 'files', permissions: READ_FILES, mailbox: byDrive,
    handle(req) {
      const drive = driveOf(req, req.params.driveId!);
      const item = drive.items.get(req.params.itemId!);
      if (!item) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
      return ok(driveItemJson(req, drive, item));
    },
  },
  {
    method: 'GET', template: '/drives/{driveId}/items/{itemId}/content', workload: 'files', permissions: READ_FILES, mailbox: byDrive,
    handle(req) {
      const drive = driveOf(req, req.params.driveId!);
      const item = drive.items.get(req.params.itemId!);
      if (!item?.file) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
      return { status: 302, headers: { Location: req.contentUrl(drive, item) } };
    },
  },
];
