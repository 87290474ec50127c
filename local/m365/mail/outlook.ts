// Shared by the mail, attachment, calendar and contacts routes: resolving the mailbox of /users/{userId} (with
// Exchange's errors for unknown users and users without a mailbox), folders and messages, and the JSON shapes of
// mailFolder, message and fileAttachment (group posts carry the same attachments).
import { FolderRecord, immutableIdOf, Mailbox } from './mailbox';
import { AttachmentContent, bodyPreviewOf, htmlBodyOf, MessageRecord } from './message';
import { attachmentBytes } from './mime-render';
import { GraphError, itemNotFound, mailboxNotEnabled } from '../graph/errors';
import { expandedExtended, ExtendedProps } from '../graph/extended-properties';
import { applySelect, preferences } from '../graph/odata';
import type { GraphContext } from '../graph/router';

export const MAIL_READ = ['Mail.Read', 'Mail.ReadWrite', 'Mail.ReadBasic.All', 'Mail.ReadBasic'];
export const MAIL_WRITE = ['Mail.ReadWrite'];
export const CALENDAR_READ = ['Calendars.Read', 'Calendars.ReadWrite', 'Calendars.ReadBasic'];
export const CALENDAR_WRITE = ['Calendars.ReadWrite'];
export const CONTACTS_READ = ['Contacts.Read', 'Contacts.ReadWrite'];
export const CONTACTS_WRITE = ['Contacts.ReadWrite'];

/** Throttling key of Outlook routes: the mailbox named in the path. */
export const byMailbox = (ctx: GraphContext): string => ctx.params.userId;

export function mailboxOf(ctx: GraphContext): Mailbox {
  const user = ctx.tenant.user(ctx.params.userId);
  if (!user) throw new GraphError(404, 'ErrorInvalidUser', `The requested user '${ctx.params.userId}' is invalid.`);
  const mb = ctx.tenant.mailbox(user.id);
  if (!mb) throw mailboxNotEnabled();
  return mb;
}

export function folderOf(mb: Mailbox, idOrName: string): FolderRecord {
  const f = mb.folder(idOrName);
  if (!f) throw itemNotFound();
  return f;
}

export function messageOf(mb: Mailbox, id: string): { message: MessageRecord; folder: FolderRecord } {
  const hit = mb.findMessage(id);
  if (!hit)
    throw mb.refOf(id) || looksLikeId(id)
      ? itemNotFound()
      : new GraphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
  return hit;
}

/** Exchange ids are long base64; anything else is "malformed" rather than "not found". */
const looksLikeId = (id: string): boolean => /^[A-Za-z0-9+/_=-]{20,}$/.test(id);

export function folderJson(mb: Mailbox, f: FolderRecord, select?: readonly string[]): Record<string, unknown> {
  const log = mb.messages(f);
  const json: Record<string, unknown> = {
    id: f.id,
    displayName: f.displayName,
    parentFolderId: f.parentFolderId,
    childFolderCount: mb.childFolders(f.id).length,
    unreadItemCount: mb.unreadCount(f),
    totalItemCount: log.size,
    sizeInBytes: log.size * 24_000,
    isHidden: f.isHidden,
  };
  return applySelect(json, select);
}

const WEB = 'https://outlook.office365.com/owa/';

/**
 * `Prefer: IdType="ImmutableId"`: ids of messages, attachments, events and contacts in the immutable form. It applies
 * to the request that carries it only (a $batch item needs its own); folder ids have one form (outlook-immutable-id).
 */
export const wantsImmutableIds = (ctx: Pick<GraphContext, 'headers'>): boolean =>
  (preferences(ctx).get('idtype') ?? '').toLowerCase() === 'immutableid';

/** The id of an Outlook item in the form the request asked for. */
export const outlookId = (item: { id: string; immutableId?: string }, immutable: boolean): string =>
  immutable ? immutableIdOf(item) : item.id;

export function messageJson(
  m: MessageRecord,
  opts: { select?: readonly string[]; bodyType?: 'text' | 'html'; immutableIds?: boolean } = {},
): Record<string, unknown> {
  const c = m.content;
  const recipients = (list: typeof c.to): unknown[] =>
    list.map((a) => ({ emailAddress: { name: a.name, address: a.address } }));
  const json: Record<string, unknown> = {
    '@odata.etag': `W/"${m.changeKey}"`,
    id: outlookId(m, opts.immutableIds === true),
    createdDateTime: m.createdDateTime,
    lastModifiedDateTime: m.lastModifiedDateTime,
    changeKey: m.changeKey,
    categories: m.categories,
    receivedDateTime: m.receivedDateTime,
    sentDateTime: m.sentDateTime,
    hasAttachments: c.attachments.some((a) => !a.isInline),
    internetMessageId: c.internetMessageId,
    subject: c.subject,
    bodyPreview: bodyPreviewOf(c),
    importance: m.importance,
    parentFolderId: m.parentFolderId,
    conversationId: m.conversationId,
    conversationIndex: m.conversationIndex,
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: m.isRead,
    isDraft: m.isDraft,
    webLink: `${WEB}?ItemID=${encodeURIComponent(m.id)}&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: m.inferenceClassification,
    body:
      opts.bodyType === 'text'
        ? { contentType: 'text', content: c.bodyText }
        : { contentType: 'html', content: htmlBodyOf(c) },
    sender: { emailAddress: { ...c.from } },
    from: { emailAddress: { ...c.from } },
    toRecipients: recipients(c.to),
    ccRecipients: recipients(c.cc),
    bccRecipients: [],
    replyTo: recipients(c.replyTo),
    flag: { ...m.flag },
  };
  return applySelect(json, opts.select);
}

/** A file attachment of a message or a group post; `contentBytes` only when asked for (it can be megabytes). */
export function fileAttachmentJson(id: string, a: AttachmentContent, withBytes: boolean): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.fileAttachment',
    '@odata.mediaContentType': a.contentType,
    id,
    lastModifiedDateTime: a.lastModifiedDateTime,
    name: a.name,
    contentType: a.contentType,
    size: a.size,
    isInline: a.isInline,
    contentId: a.contentId ?? null,
    contentLocation: null,
    ...(withBytes ? { contentBytes: attachmentBytes(a).toString('base64') } : {}),
  };
}

/** Prefer: outlook.body-content-type="text" — and the Preference-Applied header echoing it. */
export function bodyPreference(ctx: GraphContext): { bodyType?: 'text' | 'html'; headers?: Record<string, string> } {
  const v = preferences(ctx).get('outlook.body-content-type');
  return v === 'text' || v === 'html'
    ? { bodyType: v, headers: { 'Preference-Applied': `outlook.body-content-type="${v}"` } }
    : {};
}

/** PR_MESSAGE_FLAGS as Exchange computes it: read (1), unsent/draft (8), has attachments (16). */
export const messageFlags = (m: MessageRecord): number =>
  (m.isRead ? 1 : 0) | (m.isDraft ? 8 : 0) | (m.content.attachments.some((a) => !a.isInline) ? 16 : 0);

/** A message's extended properties: those set by clients, and PR_MESSAGE_FLAGS as Exchange computes it. */
export const messageExtended = (m: MessageRecord): ExtendedProps => ({
  ...m.extended,
  'Integer 0x0E07': String(messageFlags(m)),
});

/** `$expand=singleValueExtendedProperties($filter=id eq '…')` on a message (see extended-properties.ts). */
export const extendedProperties = (ctx: GraphContext, m: MessageRecord): Record<string, unknown> =>
  expandedExtended(ctx, messageExtended(m));

/** The properties a PATCH body changes; one the emulator does not update is a 400, not silently ignored. */
export function patchedKeys(input: Record<string, unknown>, allowed: ReadonlySet<string>): string[] {
  const keys = Object.keys(input).filter((k) => !k.startsWith('@odata'));
  const bad = keys.find((k) => !allowed.has(k));
  if (bad)
    throw new GraphError(
      400,
      'ErrorInvalidPropertyRequest',
      `The property '${bad}' cannot be updated through this emulator.`,
    );
  return keys;
}
