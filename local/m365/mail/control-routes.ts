// Control API for mail, as the mailbox's owner or the outside world would change it: mail arriving, being read,
// flagged, moved, deleted; folders created, renamed, deleted (events: calendar/, contacts: contacts/).
// Reads back the exact MIME (with its SHA-256) to verify restores byte for byte.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { messageJson, folderJson } from './outlook';
import { immutableIdOf, Mailbox } from './mailbox';
import { changeKeyOf, MessageRecord } from './message';
import { mimeBuffer } from './mime-render';
import { decodeWords, leafText, mimeHeader, parseAddressList, parseMime } from '../tenant/mime-parse';
import type { Tenant } from '../tenant/tenants';
import { ControlContext, ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';

/** The mailbox a control call names (`{user}`: id or UPN), shared by the mail, calendar and contacts calls. */
export function mailboxOf(ctx: ControlContext, t: Tenant = ctx.tenant): Mailbox {
  const mb = t.mailbox(ctx.params.user ?? '');
  if (!mb) throw new ControlError(404, `no mailbox '${ctx.params.user}'`);
  return mb;
}

function messageOf(mb: Mailbox, id: string): MessageRecord {
  const hit = mb.findMessage(id);
  if (!hit) throw new ControlError(404, `no message '${id}'`);
  return hit.message;
}

const folderOf = (mb: Mailbox, idOrName: string) => {
  const f =
    mb.folder(idOrName) ?? [...mb.folders.all()].find((x) => x.displayName.toLowerCase() === idOrName.toLowerCase());
  if (!f) throw new ControlError(404, `no folder '${idOrName}'`);
  return f;
};

/** A message as Graph renders it (REST id), with its immutable id beside (what a product asking for those stores). */
const withImmutableId = (m: MessageRecord): Record<string, unknown> => ({
  ...messageJson(m),
  immutableId: immutableIdOf(m),
});

const arrival = z.object({
  folder: z.string().default('inbox'),
  subject: z.string().default('New message'),
  body: z.string().optional(),
  from: z.object({ name: z.string(), address: z.string() }).optional(),
  /** Base64 of a whole MIME message: it arrives verbatim. */
  mime: z.string().optional(),
  isRead: z.boolean().default(false),
});

/** A message arrives in a folder (delivered mail: not a draft). */
function arrive(mb: Mailbox, body: z.infer<typeof arrival>): MessageRecord {
  const folder = folderOf(mb, body.folder);
  const raw = body.mime ? Buffer.from(body.mime, 'base64') : undefined;
  const parsed = raw ? parseMime(raw) : undefined;
  const text = parsed?.leaves.find((l) => l.contentType === 'text/plain');
  const from = (parsed ? parseAddressList(mimeHeader(parsed, 'from'))[0] : undefined) ??
    body.from ?? { name: 'Fabrikam Billing', address: 'billing@fabrikam.example' };
  return mb.createMessage(folder, (id, now) => ({
    id,
    parentFolderId: folder.id,
    createdDateTime: now,
    receivedDateTime: now,
    sentDateTime: now,
    lastModifiedDateTime: now,
    changeKey: changeKeyOf(id, now),
    isRead: body.isRead,
    isDraft: false,
    importance: 'normal',
    flag: { flagStatus: 'notFlagged' },
    categories: [],
    inferenceClassification: 'focused',
    conversationId: `AAQkA${createHash('sha256').update(id).digest('base64url').slice(0, 40)}=`,
    conversationIndex: createHash('sha256').update(id).digest().subarray(0, 22).toString('base64'),
    content: {
      subject: parsed ? decodeWords(mimeHeader(parsed, 'subject') ?? '') : body.subject,
      from,
      to: [mb.owner].map((o) => ({ name: o.name, address: o.address })),
      cc: [],
      replyTo: [],
      sentAt: new Date(now),
      internetMessageId:
        (parsed && mimeHeader(parsed, 'message-id')) ||
        `<${createHash('sha1').update(id).digest('hex').slice(0, 24).toUpperCase()}@fabrikam.example>`,
      bodyText: text ? leafText(text) : (body.body ?? `${body.subject}\r\n\r\nSent from the emulator's control API.`),
      attachments: [],
      invitation: false,
      boundaryKey: id,
    },
    ...(raw ? { raw } : {}),
    extended: {},
  }));
}

const PATCH = z
  .object({
    isRead: z.boolean().optional(),
    flag: z.object({ flagStatus: z.enum(['notFlagged', 'flagged', 'complete']) }).optional(),
    categories: z.array(z.string()).optional(),
    importance: z.enum(['low', 'normal', 'high']).optional(),
    inferenceClassification: z.enum(['focused', 'other']).optional(),
  })
  .strict();

registerControlRoutes([
  {
    method: 'POST',
    path: '/mail/{user}/messages',
    async handler(ctx) {
      const m = arrive(mailboxOf(ctx), await input(ctx, arrival));
      return controlJson(201, { id: m.id, immutableId: immutableIdOf(m), parentFolderId: m.parentFolderId });
    },
  },
  {
    method: 'GET',
    path: '/mail/{user}/messages/{id}',
    handler: (ctx) => controlJson(200, withImmutableId(messageOf(mailboxOf(ctx), ctx.params.id))),
  },
  {
    method: 'GET',
    path: '/mail/{user}/messages/{id}/mime',
    handler(ctx) {
      const bytes = mimeBuffer(messageOf(mailboxOf(ctx), ctx.params.id));
      return {
        status: 200,
        headers: { 'content-type': 'message/rfc822', 'x-sha256': createHash('sha256').update(bytes).digest('hex') },
        bytes,
      };
    },
  },
  {
    method: 'PATCH',
    path: '/mail/{user}/messages/{id}',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const patch = await input(ctx, PATCH);
      const m = messageOf(mb, ctx.params.id);
      mb.updateMessage(m.id, patch, Object.keys(patch));
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/mail/{user}/messages/{id}',
    handler(ctx) {
      const mb = mailboxOf(ctx);
      mb.deleteMessage(messageOf(mb, ctx.params.id).id);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/mail/{user}/messages/{id}/move',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const { to } = await input(ctx, z.object({ to: z.string() }));
      const moved = mb.moveMessage(messageOf(mb, ctx.params.id).id, folderOf(mb, to))!;
      return controlJson(200, {
        id: moved.id,
        immutableId: immutableIdOf(moved),
        parentFolderId: moved.parentFolderId,
      });
    },
  },
  {
    method: 'GET',
    path: '/mail/{user}/folders',
    handler(ctx) {
      const mb = mailboxOf(ctx);
      return controlJson(
        200,
        [...mb.folders.all()].map((f) => folderJson(mb, f)),
      );
    },
  },
  {
    method: 'GET',
    path: '/mail/{user}/folders/{id}/messages',
    handler(ctx) {
      const mb = mailboxOf(ctx);
      return controlJson(200, [...mb.messages(folderOf(mb, ctx.params.id)).all()].map(withImmutableId));
    },
  },
  {
    method: 'POST',
    path: '/mail/{user}/folders',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const { parent, displayName } = await input(
        ctx,
        z.object({ parent: z.string().default('msgfolderroot'), displayName: z.string().min(1) }),
      );
      const f = mb.createFolder(folderOf(mb, parent).id, displayName);
      return controlJson(201, { id: f.id });
    },
  },
  {
    method: 'PATCH',
    path: '/mail/{user}/folders/{id}',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const { displayName } = await input(ctx, z.object({ displayName: z.string().min(1) }));
      const f = folderOf(mb, ctx.params.id);
      mb.folders.update({ ...f, displayName }, ['displayName']);
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/mail/{user}/folders/{id}',
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const f = folderOf(mb, ctx.params.id);
      for (const child of mb.childFolders(f.id)) mb.folders.remove(child.id);
      mb.folders.remove(f.id);
      return { status: 204 };
    },
  },
]);
