// Mail routes: folders (list, get, childFolders, create, delta), messages (list, get, $value, delta per folder,
// create from JSON or base64 MIME, PATCH, DELETE, move with a new id, copy), sendMail.
import { createHash } from 'node:crypto';
import type { DeltaChange } from '../tenant/change-log';
import type { FolderRecord, Mailbox } from './mailbox';
import { changeKeyOf, isoSeconds, MailAddress, MessageContent, MessageRecord } from './message';
import { mimeStream } from './mime-render';
import { decodeWords, leafText, mimeHeader, parseAddressList, parseMime } from '../tenant/mime-parse';
import { deltaResponse, removedEntry } from '../graph/delta';
import { GraphError, itemNotFound, syncStateNotFound } from '../graph/errors';
import { filterOf, option, pageSizeOf } from '../graph/odata';
import { selectFor } from '../graph/schema';
import { canonicalFilterIds, filterable, findExtended, mergeExtended } from '../graph/extended-properties';
import {
  bodyPreference,
  byMailbox,
  extendedProperties,
  folderJson,
  folderOf,
  MAIL_READ,
  MAIL_WRITE,
  mailboxOf,
  messageExtended,
  messageJson,
  messageOf,
  outlookId,
  patchedKeys,
  wantsImmutableIds,
} from './outlook';
import { created, GraphContext, GraphResult, noContent, ok, registerRoutes } from '../graph/router';

const MESSAGE_TYPE = '#microsoft.graph.message';
const FOLDER_TYPE = '#microsoft.graph.mailFolder';
const mail = { workload: 'mail' as const, mailbox: byMailbox };

/** Pages over folders' messages newest first; the $skiptoken holds (folder, position) so pages stay cheap at 100k. */
function messageList(ctx: GraphContext, mb: Mailbox, folders: FolderRecord[]): GraphResult {
  canonicalFilterIds(ctx);
  const select = selectFor(ctx, 'message');
  const filter = filterOf(ctx.query);
  const size = pageSizeOf(ctx, 10, 1000);
  const token = option(ctx.query, '$skiptoken');
  let [fi, pos] = token ? (JSON.parse(Buffer.from(token, 'base64url').toString()) as [number, number]) : [0, -1];
  const page: MessageRecord[] = [];
  while (fi < folders.length && page.length < size) {
    const log = mb.messages(folders[fi]);
    if (pos < 0) pos = log.positions - 1;
    for (; pos >= 0 && page.length < size; pos--) {
      const m = log.itemAt(pos);
      if (m && (!filter || filter(filterable(messageJson(m), messageExtended(m))))) page.push(m);
    }
    if (pos < 0) {
      fi++;
      pos = -1;
    }
  }
  const more = fi < folders.length;
  const rest = [...ctx.query]
    .filter(([k]) => k.toLowerCase() !== '$skiptoken')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const next = more
    ? `${ctx.baseUrl}${ctx.path}?${rest ? `${rest}&` : ''}$skiptoken=${Buffer.from(JSON.stringify([fi, pos])).toString('base64url')}`
    : undefined;
  const opts = renderOptions(ctx, select);
  return ok(
    {
      '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/messages`,
      ...(next ? { '@odata.nextLink': next } : {}),
      value: page.map((m) => ({ ...messageJson(m, opts), ...extendedProperties(ctx, m) })),
    },
    bodyPreference(ctx).headers,
  );
}

/** How a request asks messages to be rendered: $select, Prefer outlook.body-content-type and IdType. */
function renderOptions(ctx: GraphContext, select?: readonly string[]): Parameters<typeof messageJson>[1] {
  const body = bodyPreference(ctx);
  return {
    ...(select ? { select } : {}),
    ...(body.bodyType ? { bodyType: body.bodyType } : {}),
    immutableIds: wantsImmutableIds(ctx),
  };
}

/**
 * Message delta of one folder. `$filter=receivedDateTime ge …` (the one filter Graph supports here) is fixed by the
 * first request like the other options; entries it drops leave pages short rather than pulling more items in.
 */
function messageDelta(ctx: GraphContext): GraphResult {
  const mb = mailboxOf(ctx);
  const folder = folderOf(mb, ctx.params.folderId);
  const log = mb.messages(folder);
  let filter: ((m: unknown) => boolean) | undefined | null = null;
  // The id form is the request's own (Prefer is not carried in the tokens): links work with both (outlook-immutable-id).
  const immutableIds = wantsImmutableIds(ctx);
  return deltaResponse(ctx, {
    log,
    linkPath: `/users/${ctx.params.userId}/mailFolders('${folder.id}')/messages/delta`,
    context: 'Collection(message)',
    pageSize: { fallback: 10, max: 1000 },
    roundParams: ['changeType', '$filter'],
    selectType: 'message',
    expired: () => syncStateNotFound(log.generation),
    render: (c: DeltaChange<MessageRecord>, o) => {
      if (c.kind === 'removed') return [removedEntry(MESSAGE_TYPE, outlookId(c.item, immutableIds), 'deleted')];
      if (filter === null)
        filter = o.params?.$filter ? filterOf(new URLSearchParams({ $filter: o.params.$filter })) : undefined;
      if (filter && !filter(c.item)) return [];
      return [
        {
          '@odata.type': MESSAGE_TYPE,
          ...messageJson(c.item, { ...(o.select ? { select: o.select } : {}), immutableIds }),
        },
      ];
    },
  });
}

const stripTags = (html: string): string =>
  html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

interface JsonRecipient {
  emailAddress?: { name?: string; address?: string };
}
interface MessageInput {
  subject?: string;
  body?: { contentType?: string; content?: string };
  from?: JsonRecipient;
  toRecipients?: JsonRecipient[];
  ccRecipients?: JsonRecipient[];
  replyTo?: JsonRecipient[];
  importance?: 'low' | 'normal' | 'high';
  isRead?: boolean;
  categories?: string[];
  flag?: MessageRecord['flag'];
  inferenceClassification?: MessageRecord['inferenceClassification'];
  internetMessageId?: string;
  singleValueExtendedProperties?: Array<{ id: string; value: string }>;
  attachments?: Array<{
    '@odata.type'?: string;
    name?: string;
    contentType?: string;
    contentBytes?: string;
    isInline?: boolean;
    contentId?: string;
  }>;
}

const addresses = (list: JsonRecipient[] | undefined): MailAddress[] =>
  (list ?? []).map((r) => ({ name: r.emailAddress?.name ?? '', address: r.emailAddress?.address ?? '' }));

/** A MAPI extended property by type and proptag, whatever the id's spelling ("Integer 0x0E07", "integer 0xe07"). */
const extended = (props: Record<string, string>, id: string): string | undefined => findExtended(props, id)?.value;

function conversationOf(subject: string): { conversationId: string; conversationIndex: string } {
  const h = createHash('sha256')
    .update(subject.replace(/^(re|fw|fwd|aw|wg):\s*/gi, '').toLowerCase())
    .digest();
  return {
    conversationId: `AAQkA${h.toString('base64url').slice(0, 40)}=`,
    conversationIndex: Buffer.concat([Buffer.from([1]), h.subarray(0, 21)]).toString('base64'),
  };
}

/**
 * Graph ignores receivedDateTime/sentDateTime on create but honours PR_MESSAGE_DELIVERY_TIME (0x0E06),
 * PR_CLIENT_SUBMIT_TIME (0x0039) and PR_MESSAGE_FLAGS (0x0E07: without it the message is a draft).
 */
function newRecord(
  id: string,
  now: string,
  folder: FolderRecord,
  content: MessageContent,
  input: MessageInput,
  ext: Record<string, string>,
  raw?: Buffer,
): MessageRecord {
  const flags = extended(ext, 'Integer 0x0E07');
  const isDraft = flags === undefined ? true : (Number(flags) & 8) !== 0;
  const delivered = extended(ext, 'SystemTime 0x0E06');
  const submitted = extended(ext, 'SystemTime 0x0039');
  return {
    id,
    parentFolderId: folder.id,
    createdDateTime: now,
    receivedDateTime: delivered ? isoSeconds(Date.parse(delivered)) : now,
    sentDateTime: submitted ? isoSeconds(Date.parse(submitted)) : raw ? isoSeconds(content.sentAt) : now,
    lastModifiedDateTime: now,
    changeKey: changeKeyOf(id, now),
    isRead: flags === undefined ? (input.isRead ?? true) : (Number(flags) & 1) !== 0,
    isDraft,
    importance: input.importance ?? 'normal',
    flag: input.flag ?? { flagStatus: 'notFlagged' },
    categories: input.categories ?? [],
    inferenceClassification: input.inferenceClassification ?? 'focused',
    ...conversationOf(content.subject),
    content,
    ...(raw ? { raw } : {}),
    extended: ext,
  };
}

function contentFromJson(input: MessageInput, mb: Mailbox, id: string, now: string): MessageContent {
  const html = input.body?.contentType?.toLowerCase() === 'html' ? (input.body.content ?? '') : undefined;
  const from = addresses(input.from ? [input.from] : [])[0] ?? mb.owner;
  return {
    subject: input.subject ?? '',
    from: { name: from.name, address: from.address },
    to: addresses(input.toRecipients),
    cc: addresses(input.ccRecipients),
    replyTo: addresses(input.replyTo),
    sentAt: new Date(now),
    internetMessageId:
      input.internetMessageId ??
      `<${createHash('sha1').update(id).digest('hex').slice(0, 24).toUpperCase()}@${(mb.user.mail ?? '').split('@')[1] ?? 'emulator'}>`,
    bodyText: html !== undefined ? stripTags(html) : (input.body?.content ?? ''),
    ...(html !== undefined ? { bodyHtml: html } : {}),
    attachments: (input.attachments ?? []).map((a) => {
      const bytes = Buffer.from(a.contentBytes ?? '', 'base64');
      return {
        name: a.name ?? 'attachment',
        contentType: a.contentType ?? 'application/octet-stream',
        size: bytes.length,
        isInline: a.isInline ?? false,
        ...(a.contentId ? { contentId: a.contentId } : {}),
        lastModifiedDateTime: now,
        source: { bytes },
      };
    }),
    invitation: false,
    boundaryKey: id,
  };
}

/** The fields Graph reads out of a client's MIME; the MIME itself is kept and served verbatim by $value. */
function contentFromMime(raw: Buffer, id: string, now: string): MessageContent {
  const parsed = parseMime(raw);
  const text = parsed.leaves.find((l) => l.contentType === 'text/plain' && l.disposition !== 'attachment');
  const html = parsed.leaves.find((l) => l.contentType === 'text/html' && l.disposition !== 'attachment');
  const date = Date.parse(mimeHeader(parsed, 'date') ?? '');
  const from = parseAddressList(mimeHeader(parsed, 'from'))[0] ?? { name: '', address: '' };
  const bodyLeaves = new Set([text, html]);
  return {
    subject: decodeWords(mimeHeader(parsed, 'subject') ?? ''),
    from,
    to: parseAddressList(mimeHeader(parsed, 'to')),
    cc: parseAddressList(mimeHeader(parsed, 'cc')),
    replyTo: parseAddressList(mimeHeader(parsed, 'reply-to')),
    sentAt: new Date(Number.isNaN(date) ? Date.parse(now) : date),
    internetMessageId:
      mimeHeader(parsed, 'message-id') ??
      `<${createHash('sha1').update(id).digest('hex').slice(0, 24).toUpperCase()}@emulator>`,
    bodyText: text ? leafText(text) : html ? stripTags(leafText(html)) : '',
    ...(html ? { bodyHtml: leafText(html) } : {}),
    attachments: parsed.leaves
      .filter((l) => !bodyLeaves.has(l) && l.contentType !== 'text/calendar')
      .map((l) => ({
        name: l.filename ?? 'attachment',
        contentType: l.contentType,
        size: l.body.length,
        isInline: l.disposition === 'inline' || (l.related && !!l.contentId && l.disposition !== 'attachment'),
        ...(l.contentId ? { contentId: l.contentId } : {}),
        lastModifiedDateTime: now,
        source: { bytes: l.body },
      })),
    invitation: parsed.leaves.some((l) => l.contentType === 'text/calendar'),
    boundaryKey: id,
  };
}

/** POST …/messages: JSON (application/json) or the base64 of a whole MIME message (text/plain). */
async function createMessage(ctx: GraphContext, folderIdOrName: string): Promise<GraphResult> {
  const mb = mailboxOf(ctx);
  const folder = folderOf(mb, folderIdOrName);
  const type = String(ctx.headers['content-type'] ?? '').toLowerCase();
  let record: MessageRecord;
  if (type.startsWith('text/plain')) {
    const text = (await ctx.body()).toString('latin1').replace(/\s+/g, '');
    if (!text || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text))
      throw new GraphError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
    const raw = Buffer.from(text, 'base64');
    if (!/^[\x21-\x39\x3b-\x7e]+:/m.test(raw.subarray(0, 4096).toString('latin1')))
      throw new GraphError(400, 'ErrorMimeContentInvalid', 'The MIME content is invalid.');
    record = mb.createMessage(folder, (id, now) =>
      newRecord(id, now, folder, contentFromMime(raw, id, now), {}, {}, raw),
    );
  } else {
    const input = await ctx.json<MessageInput>();
    const ext = mergeExtended({}, input.singleValueExtendedProperties);
    record = mb.createMessage(folder, (id, now) =>
      newRecord(id, now, folder, contentFromJson(input, mb, id, now), input, ext),
    );
  }
  return created({
    '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/messages/$entity`,
    ...messageJson(record, { immutableIds: wantsImmutableIds(ctx) }),
  });
}

/**
 * POST /users/{id}/sendMail: 202, a copy in the sender's Sent Items (unless saveToSentItems is false) and one in the
 * Inbox of each recipient whose mailbox is in this tenant; mail to outside addresses leaves the emulator unseen.
 */
async function sendMail(ctx: GraphContext): Promise<GraphResult> {
  const sender = mailboxOf(ctx);
  const input = await ctx.json<{ message?: MessageInput; saveToSentItems?: boolean }>();
  const message = input.message;
  if (!message) throw new GraphError(400, 'ErrorInvalidRequest', 'The message property is required.');
  const recipients = [...(message.toRecipients ?? []), ...(message.ccRecipients ?? [])];
  if (recipients.length === 0)
    throw new GraphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid., Recipient is missing.');
  const sent = {
    ...message,
    from: message.from ?? { emailAddress: { address: sender.user.mail ?? '', name: sender.user.displayName ?? '' } },
  };
  const deliver = (mb: Mailbox, folderName: string, isRead: boolean): void => {
    const folder = folderOf(mb, folderName);
    mb.createMessage(folder, (id, now) => ({
      ...newRecord(id, now, folder, contentFromJson(sent, mb, id, now), { ...sent, isRead }, {}),
      isDraft: false,
    }));
  };
  if (input.saveToSentItems !== false) deliver(sender, 'sentitems', true);
  for (const r of recipients) {
    const mb = r.emailAddress?.address ? ctx.tenant.mailbox(r.emailAddress.address) : undefined;
    if (mb) deliver(mb, 'inbox', false);
  }
  return { status: 202 };
}

const PATCHABLE = new Set([
  'isRead',
  'flag',
  'categories',
  'importance',
  'inferenceClassification',
  'subject',
  'singleValueExtendedProperties',
]);

async function patchMessage(ctx: GraphContext): Promise<GraphResult> {
  const mb = mailboxOf(ctx);
  const { message } = messageOf(mb, ctx.params.messageId);
  const input = await ctx.json<Record<string, unknown>>();
  const keys = patchedKeys(input, PATCHABLE);
  const { subject, singleValueExtendedProperties, ...state } = input as Partial<MessageRecord> & {
    subject?: string;
    singleValueExtendedProperties?: unknown;
  };
  const patch: Partial<MessageRecord> = {
    ...state,
    ...(subject !== undefined ? { content: { ...message.content, subject } } : {}),
    ...(singleValueExtendedProperties !== undefined
      ? { extended: mergeExtended(message.extended, singleValueExtendedProperties) }
      : {}),
  };
  const next = mb.updateMessage(message.id, patch, keys);
  return ok(messageJson(next!, { immutableIds: wantsImmutableIds(ctx) }));
}

async function moveOrCopy(ctx: GraphContext, copy: boolean): Promise<GraphResult> {
  const mb = mailboxOf(ctx);
  const { message } = messageOf(mb, ctx.params.messageId);
  const { destinationId } = await ctx.json<{ destinationId?: string }>();
  if (!destinationId) throw new GraphError(400, 'ErrorInvalidRequest', "The 'destinationId' parameter is required.");
  const dest = folderOf(mb, destinationId);
  // A copy is a new item: a new id in either form. A move keeps the immutable id.
  const { immutableId: _original, ...source } = message;
  void _original;
  const moved = copy
    ? mb.createMessage(dest, (id, now) => ({
        ...source,
        id,
        parentFolderId: dest.id,
        createdDateTime: now,
        lastModifiedDateTime: now,
        changeKey: changeKeyOf(id, now),
      }))
    : mb.moveMessage(message.id, dest)!;
  return created(messageJson(moved, { immutableIds: wantsImmutableIds(ctx) }));
}

function getMessage(ctx: GraphContext): GraphResult {
  const mb = mailboxOf(ctx);
  const { message } = messageOf(mb, ctx.params.messageId);
  const opts = renderOptions(ctx, selectFor(ctx, 'message'));
  return ok(
    {
      '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/messages/$entity`,
      ...messageJson(message, opts),
      ...extendedProperties(ctx, message),
    },
    bodyPreference(ctx).headers,
  );
}

function messageValue(ctx: GraphContext): GraphResult {
  const { message } = messageOf(mailboxOf(ctx), ctx.params.messageId);
  return { status: 200, headers: { 'content-type': 'text/plain' }, stream: mimeStream(message) };
}

function folderList(ctx: GraphContext, parentId: (mb: Mailbox) => string): GraphResult {
  const mb = mailboxOf(ctx);
  const select = selectFor(ctx, 'mailFolder');
  const filter = filterOf(ctx.query);
  const folders = mb.childFolders(parentId(mb)).filter((f) => !filter || filter(folderJson(mb, f)));
  const size = pageSizeOf(ctx, 10, 1000);
  const skip = Number(option(ctx.query, '$skip') ?? 0);
  const page = folders.slice(skip, skip + size);
  const rest = [...ctx.query]
    .filter(([k]) => k.toLowerCase() !== '$skip')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return ok({
    '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/mailFolders`,
    ...(skip + size < folders.length
      ? { '@odata.nextLink': `${ctx.baseUrl}${ctx.path}?${rest ? `${rest}&` : ''}$skip=${skip + size}` }
      : {}),
    value: page.map((f) => folderJson(mb, f, select)),
  });
}

async function createFolder(ctx: GraphContext, parentId: (mb: Mailbox) => string): Promise<GraphResult> {
  const mb = mailboxOf(ctx);
  const { displayName, isHidden } = await ctx.json<{ displayName?: string; isHidden?: boolean }>();
  if (!displayName) throw new GraphError(400, 'ErrorInvalidRequest', 'The displayName property is required.');
  const parent = parentId(mb);
  if (mb.childFolders(parent).some((f) => f.displayName.toLowerCase() === displayName.toLowerCase())) {
    throw new GraphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
  }
  return created(folderJson(mb, mb.createFolder(parent, displayName, isHidden ?? false)));
}

registerRoutes([
  {
    method: 'GET',
    path: '/users/{userId}/mailFolders',
    ...mail,
    permissions: MAIL_READ,
    handler: (ctx) => folderList(ctx, (mb) => mb.root.id),
  },
  {
    method: 'POST',
    path: '/users/{userId}/mailFolders',
    ...mail,
    permissions: MAIL_WRITE,
    handler: (ctx) => createFolder(ctx, (mb) => mb.root.id),
  },
  {
    method: 'GET',
    path: '/users/{userId}/mailFolders/delta',
    ...mail,
    permissions: MAIL_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      return deltaResponse(ctx, {
        log: mb.folders,
        linkPath: `/users/${ctx.params.userId}/mailFolders/delta`,
        context: 'Collection(mailFolder)',
        pageSize: { fallback: 100, max: 1000 },
        selectType: 'mailFolder',
        expired: () => syncStateNotFound(mb.folders.generation),
        render: (c, o) => [
          c.kind === 'removed'
            ? removedEntry(FOLDER_TYPE, c.id, 'deleted')
            : { '@odata.type': FOLDER_TYPE, ...folderJson(mb, c.item, o.select) },
        ],
      });
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/mailFolders/{folderId}',
    ...mail,
    permissions: MAIL_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/mailFolders/$entity`,
        ...folderJson(mb, folderOf(mb, ctx.params.folderId), selectFor(ctx, 'mailFolder')),
      });
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/mailFolders/{folderId}/childFolders',
    ...mail,
    permissions: MAIL_READ,
    handler: (ctx) => folderList(ctx, (mb) => folderOf(mb, ctx.params.folderId).id),
  },
  {
    method: 'POST',
    path: '/users/{userId}/mailFolders/{folderId}/childFolders',
    ...mail,
    permissions: MAIL_WRITE,
    handler: (ctx) => createFolder(ctx, (mb) => folderOf(mb, ctx.params.folderId).id),
  },
  {
    method: 'GET',
    path: '/users/{userId}/mailFolders/{folderId}/messages',
    ...mail,
    permissions: MAIL_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      return messageList(ctx, mb, [folderOf(mb, ctx.params.folderId)]);
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/mailFolders/{folderId}/messages/delta',
    ...mail,
    permissions: MAIL_READ,
    handler: messageDelta,
  },
  {
    method: 'POST',
    path: '/users/{userId}/mailFolders/{folderId}/messages',
    ...mail,
    permissions: MAIL_WRITE,
    handler: (ctx) => createMessage(ctx, ctx.params.folderId),
  },
  {
    method: 'GET',
    path: '/users/{userId}/mailFolders/{folderId}/messages/{messageId}',
    ...mail,
    permissions: MAIL_READ,
    handler: getMessage,
  },
  {
    method: 'GET',
    path: '/users/{userId}/mailFolders/{folderId}/messages/{messageId}/$value',
    ...mail,
    permissions: MAIL_READ,
    handler: messageValue,
  },
  {
    method: 'GET',
    path: '/users/{userId}/messages',
    ...mail,
    permissions: MAIL_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      // The mailbox-wide list skips the folders Outlook keeps out of it.
      return messageList(
        ctx,
        mb,
        [...mb.folders.all()].filter((f) => f.key !== 'conversationhistory'),
      );
    },
  },
  {
    method: 'POST',
    path: '/users/{userId}/messages',
    ...mail,
    permissions: MAIL_WRITE,
    handler: (ctx) => createMessage(ctx, 'drafts'),
  },
  { method: 'POST', path: '/users/{userId}/sendMail', ...mail, permissions: ['Mail.Send'], handler: sendMail },
  { method: 'GET', path: '/users/{userId}/messages/{messageId}', ...mail, permissions: MAIL_READ, handler: getMessage },
  {
    method: 'GET',
    path: '/users/{userId}/messages/{messageId}/$value',
    ...mail,
    permissions: MAIL_READ,
    handler: messageValue,
  },
  {
    method: 'PATCH',
    path: '/users/{userId}/messages/{messageId}',
    ...mail,
    permissions: MAIL_WRITE,
    handler: patchMessage,
  },
  {
    method: 'DELETE',
    path: '/users/{userId}/messages/{messageId}',
    ...mail,
    permissions: MAIL_WRITE,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      if (!mb.deleteMessage(messageOf(mb, ctx.params.messageId).message.id)) throw itemNotFound();
      return noContent();
    },
  },
  {
    method: 'POST',
    path: '/users/{userId}/messages/{messageId}/move',
    ...mail,
    permissions: MAIL_WRITE,
    handler: (ctx) => moveOrCopy(ctx, false),
  },
  {
    method: 'POST',
    path: '/users/{userId}/messages/{messageId}/copy',
    ...mail,
    permissions: MAIL_WRITE,
    handler: (ctx) => moveOrCopy(ctx, true),
  },
]);
