// Message attachments: list, get, $value (raw bytes), add (< 3 MB inline in JSON) and upload sessions for 3–150 MB
// (createUploadSession → pre-authenticated uploadUrl; PUT chunks in order with Content-Range and no Authorization;
// 200 + nextExpectedRanges per chunk, 201 + Location and an empty body for the last one).
import { Readable } from 'node:stream';
import type { EmulatorRuntime } from '../runtime';
import { registerHttpRoutes } from '../http-routes';
import { decodeAnyItemId, decodeItemId, encodeItemId, ItemKind, ItemRef } from '../tenant/ids';
import { immutableIdOf, Mailbox } from './mailbox';
import { AttachmentContent, isoSeconds, MessageRecord } from './message';
import { attachmentChunks } from './mime-render';
import { GraphError, itemNotFound } from '../graph/errors';
import { applySelect, selectOf } from '../graph/odata';
import {
  byMailbox,
  fileAttachmentJson,
  MAIL_READ,
  MAIL_WRITE,
  mailboxOf,
  messageOf,
  wantsImmutableIds,
} from './outlook';
import { created, GraphContext, GraphResult, ok, registerRoutes } from '../graph/router';

const MAX_SESSION_BYTES = 150 * 1024 * 1024;
const MAX_INLINE_BYTES = 3 * 1024 * 1024;
const SESSION_SECONDS = 15 * 60;
const mail = { workload: 'mail' as const, mailbox: byMailbox };

/** The message's id fields in either form: attachment ids are the message's with their number (immutable too). */
const messageRef = (m: MessageRecord, immutable: boolean): ItemRef =>
  immutable ? decodeAnyItemId(immutableIdOf(m))!.ref : decodeItemId(m.id)!;

const attachmentId = (m: MessageRecord, n: number, immutable = false): string =>
  encodeItemId({ ...messageRef(m, immutable), kind: ItemKind.attachment, sub: n }, immutable);

const attachmentJson = (
  m: MessageRecord,
  a: AttachmentContent,
  n: number,
  withBytes: boolean,
  immutable: boolean,
): Record<string, unknown> => fileAttachmentJson(attachmentId(m, n, immutable), a, withBytes);

function attachmentOf(ctx: GraphContext): {
  mb: Mailbox;
  message: MessageRecord;
  attachment: AttachmentContent;
  n: number;
} {
  const mb = mailboxOf(ctx);
  const { message } = messageOf(mb, ctx.params.messageId);
  const hit = decodeAnyItemId(ctx.params.attachmentId);
  const mref = hit && messageRef(message, hit.immutable);
  const ref = hit?.ref;
  const n = ref?.sub ?? 0;
  const attachment =
    ref &&
    mref &&
    ref.kind === ItemKind.attachment &&
    ref.mailbox.equals(mref.mailbox) &&
    ref.container === mref.container &&
    ref.index === mref.index &&
    ref.serial === mref.serial
      ? message.content.attachments[n - 1]
      : undefined;
  if (!attachment) throw itemNotFound();
  return { mb, message, attachment, n };
}

/** Adds an attachment; the message's MIME is rendered again from then on (as Exchange regenerates it). */
function attach(mb: Mailbox, message: MessageRecord, a: AttachmentContent): number {
  const { raw: _dropped, ...rest } = message;
  void _dropped;
  mb.updateMessage(
    message.id,
    { ...rest, content: { ...message.content, attachments: [...message.content.attachments, a] } },
    ['hasAttachments', 'attachments'],
  );
  return message.content.attachments.length + 1;
}

interface UploadSession {
  userId: string;
  messageId: string;
  name: string;
  contentType: string;
  isInline: boolean;
  contentId?: string;
  size: number;
  received: number;
  chunks: Buffer[];
  expires: number;
}

const sessions = new WeakMap<EmulatorRuntime, Map<string, UploadSession>>();
const sessionsOf = (rt: EmulatorRuntime): Map<string, UploadSession> => {
  let s = sessions.get(rt);
  if (!s) sessions.set(rt, (s = new Map<string, UploadSession>()));
  return s;
};

registerRoutes([
  {
    method: 'GET',
    path: '/users/{userId}/messages/{messageId}/attachments',
    ...mail,
    permissions: MAIL_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const { message } = messageOf(mb, ctx.params.messageId);
      const select = selectOf(ctx.query);
      const withBytes = !select || select.includes('contentBytes');
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/messages('${message.id}')/attachments`,
        value: message.content.attachments.map((a, i) =>
          applySelect(attachmentJson(message, a, i + 1, withBytes, wantsImmutableIds(ctx)), select),
        ),
      });
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/messages/{messageId}/attachments/{attachmentId}',
    ...mail,
    permissions: MAIL_READ,
    handler(ctx) {
      const { message, attachment, n } = attachmentOf(ctx);
      const select = selectOf(ctx.query);
      return ok(
        applySelect(
          attachmentJson(message, attachment, n, !select || select.includes('contentBytes'), wantsImmutableIds(ctx)),
          select,
        ),
      );
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/messages/{messageId}/attachments/{attachmentId}/$value',
    ...mail,
    permissions: MAIL_READ,
    handler(ctx) {
      const { attachment } = attachmentOf(ctx);
      return {
        status: 200,
        headers: { 'content-type': attachment.contentType, 'content-length': String(attachment.size) },
        stream: Readable.from(attachmentChunks(attachment)),
      };
    },
  },
  {
    method: 'POST',
    path: '/users/{userId}/messages/{messageId}/attachments',
    ...mail,
    permissions: MAIL_WRITE,
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const { message } = messageOf(mb, ctx.params.messageId);
      const input = await ctx.json<{
        '@odata.type'?: string;
        name?: string;
        contentType?: string;
        contentBytes?: string;
        isInline?: boolean;
        contentId?: string;
      }>();
      if (input['@odata.type'] && !/fileAttachment$/i.test(input['@odata.type']))
        throw new GraphError(400, 'ErrorInvalidRequest', 'Only file attachments are emulated.');
      const bytes = Buffer.from(input.contentBytes ?? '', 'base64');
      if (bytes.length > MAX_INLINE_BYTES)
        throw new GraphError(
          413,
          'ErrorRequestEntityTooLarge',
          'The attachment is larger than 3 MB: use an upload session.',
        );
      const a: AttachmentContent = {
        name: input.name ?? 'attachment',
        contentType: input.contentType ?? 'application/octet-stream',
        size: bytes.length,
        isInline: input.isInline ?? false,
        ...(input.contentId ? { contentId: input.contentId } : {}),
        lastModifiedDateTime: isoSeconds(ctx.emulator.clock.now()),
        source: { bytes },
      };
      const n = attach(mb, message, a);
      return created(attachmentJson(mb.findMessage(message.id)!.message, a, n, false, wantsImmutableIds(ctx)));
    },
  },
  {
    method: 'POST',
    path: '/users/{userId}/messages/{messageId}/attachments/createUploadSession',
    ...mail,
    permissions: MAIL_WRITE,
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const { message } = messageOf(mb, ctx.params.messageId);
      const input = await ctx.json<{
        AttachmentItem?: {
          attachmentType?: string;
          name?: string;
          size?: number;
          contentType?: string;
          isInline?: boolean;
          contentId?: string;
        };
      }>();
      const item = input.AttachmentItem;
      if (!item?.name || typeof item.size !== 'number' || item.size < 0)
        throw new GraphError(400, 'ErrorInvalidRequest', 'AttachmentItem with name and size is required.');
      if (item.size > MAX_SESSION_BYTES)
        throw new GraphError(
          413,
          'ErrorAttachmentSizeShouldNotBeLessThanMinimumSize',
          'The attachment exceeds the maximum size of 150 MB.',
        );
      const now = ctx.emulator.clock.now();
      const id = Buffer.from(`${message.id}|${now}|${Math.random()}`).toString('base64url').slice(-32);
      sessionsOf(ctx.emulator).set(id, {
        // By its immutable id: the session still finds the message if it moves meanwhile.
        userId: mb.user.id,
        messageId: immutableIdOf(message),
        name: item.name,
        contentType: item.contentType ?? 'application/octet-stream',
        isInline: item.isInline ?? false,
        ...(item.contentId ? { contentId: item.contentId } : {}),
        size: item.size,
        received: 0,
        chunks: [],
        expires: now + SESSION_SECONDS * 1000,
      });
      const token = ctx.emulator.signUrlToken({ s: id }, SESSION_SECONDS);
      return created({
        '@odata.context': `${ctx.baseUrl}/$metadata#microsoft.graph.uploadSession`,
        uploadUrl: `${ctx.emulator.origin}/_outlook/attachmentSessions/${id}?authtoken=${token}`,
        expirationDateTime: new Date(now + SESSION_SECONDS * 1000).toISOString(),
        nextExpectedRanges: ['0-'],
      });
    },
  },
]);

const uploadError = (status: number, code: string, message: string): GraphResult => ({
  status,
  json: { error: { code, message } },
});

registerHttpRoutes([
  {
    method: '*',
    path: '/_outlook/attachmentSessions/{sessionId}',
    async handler(ctx) {
      const rt = ctx.emulator;
      const claims = rt.verifyUrlToken(ctx.query.get('authtoken') ?? '');
      const session = sessionsOf(rt).get(ctx.params.sessionId);
      if (!claims || claims.s !== ctx.params.sessionId)
        return uploadError(401, 'InvalidAuthenticationToken', 'The upload URL is invalid or has expired.');
      if (!session || session.expires < rt.clock.now())
        return uploadError(404, 'ErrorItemNotFound', 'The upload session was not found or has expired.');
      if (ctx.method === 'DELETE') {
        sessionsOf(rt).delete(ctx.params.sessionId);
        return { status: 204 };
      }
      // Outlook's sessions give the next start alone ("2097152"), not a "start-end" range (uploadSession resource page).
      if (ctx.method === 'GET')
        return {
          status: 200,
          json: {
            expirationDateTime: new Date(session.expires).toISOString(),
            nextExpectedRanges: [String(session.received)],
          },
        };
      if (ctx.method !== 'PUT') return uploadError(405, 'ErrorInvalidRequest', 'Use PUT to upload a chunk.');
      const chunk = await ctx.body();
      rt.counters.uploadBytes += chunk.length;
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(ctx.headers['content-range'] ?? ''));
      if (!range)
        return uploadError(400, 'ErrorInvalidRequest', 'A Content-Range header (bytes start-end/total) is required.');
      const [start, end, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
      if (total !== session.size)
        return uploadError(
          400,
          'ErrorInvalidRequest',
          `The total size ${total} does not match the session's ${session.size}.`,
        );
      if (start !== session.received)
        return uploadError(416, 'ErrorInvalidContentRange', `Expected the chunk starting at byte ${session.received}.`);
      if (end < start || end - start + 1 !== chunk.length || end >= total)
        return uploadError(400, 'ErrorInvalidRequest', 'The Content-Range does not match the chunk length.');
      session.chunks.push(chunk);
      session.received += chunk.length;
      if (session.received < session.size) {
        return {
          status: 200,
          json: {
            expirationDateTime: new Date(session.expires).toISOString(),
            nextExpectedRanges: [String(session.received)],
          },
        };
      }
      sessionsOf(rt).delete(ctx.params.sessionId);
      const tenant = rt.tenants.list().find((t) => t.mailbox(session.userId)?.findMessage(session.messageId));
      const mb = tenant?.mailbox(session.userId);
      const message = mb?.findMessage(session.messageId)?.message;
      if (!mb || !message)
        return uploadError(404, 'ErrorItemNotFound', 'The message of this upload session no longer exists.');
      const bytes = Buffer.concat(session.chunks);
      const n = attach(mb, message, {
        name: session.name,
        contentType: session.contentType,
        size: bytes.length,
        isInline: session.isInline,
        ...(session.contentId ? { contentId: session.contentId } : {}),
        lastModifiedDateTime: isoSeconds(rt.clock.now()),
        source: { bytes },
      });
      const attId = attachmentId(message, n);
      return {
        status: 201,
        headers: {
          Location: `${rt.origin}/v1.0/Users('${session.userId}')/Messages('${message.id}')/Attachments('${attId}')`,
        },
      };
    },
  },
]);
