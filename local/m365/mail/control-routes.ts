// Control API for Outlook data, as the mailbox's owner or the outside world would change it: mail arriving, being
// read, flagged, moved, deleted; folders created, renamed, deleted; events and contacts added, changed, removed.
// Reads back the exact MIME (with its SHA-256) to verify restores byte for byte.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { messageJson, folderJson } from './outlook';
import { toDateTimeTimeZone } from '../calendar/model';
import { immutableIdOf, Mailbox } from './mailbox';
import { changeKeyOf, MessageRecord } from './message';
import { mimeBuffer } from './mime-render';
import { decodeWords, leafText, mimeHeader, parseAddressList, parseMime } from '../tenant/mime-parse';
import type { Tenant } from '../tenant/tenants';
import { ControlContext, ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';

function mailboxOf(ctx: ControlContext, t: Tenant = ctx.tenant): Mailbox {
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

/** A contact folder by id or name; none (or 'contacts') is the default Contacts folder. */
function contactFolderOf(mb: Mailbox, idOrName?: string): string {
  if (!idOrName || idOrName.toLowerCase() === 'contacts') return mb.contactsRootId;
  const f = [...mb.contactFolders.all()].find(
    (x) => x.id === idOrName || x.displayName.toLowerCase() === idOrName.toLowerCase(),
  );
  if (!f) throw new ControlError(404, `no contact folder '${idOrName}'`);
  return f.id;
}

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
  {
    method: 'POST',
    path: '/calendar/{user}/events',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const b = await input(
        ctx,
        z.object({
          subject: z.string().default('New event'),
          start: z.string(),
          minutes: z.number().int().positive().default(60),
          weeklyOccurrences: z.number().int().positive().optional(),
        }),
      );
      const start = Date.parse(b.start);
      if (Number.isNaN(start)) throw new ControlError(400, 'start: not a date time');
      const e = mb.createEvent((id, now) => ({
        id,
        createdDateTime: now,
        lastModifiedDateTime: now,
        changeKey: changeKeyOf(id, now),
        categories: [],
        subject: b.subject,
        body: { contentType: 'html', content: '' },
        bodyPreview: '',
        importance: 'normal',
        sensitivity: 'normal',
        isAllDay: false,
        isCancelled: false,
        isOrganizer: true,
        responseRequested: true,
        showAs: 'busy',
        type: b.weeklyOccurrences ? 'seriesMaster' : 'singleInstance',
        start: toDateTimeTimeZone(start),
        end: toDateTimeTimeZone(start + b.minutes * 60_000),
        location: { displayName: '', locationType: 'default' },
        organizer: { emailAddress: { name: mb.owner.name, address: mb.owner.address } },
        attendees: [],
        recurrence: b.weeklyOccurrences
          ? {
              pattern: {
                type: 'weekly',
                interval: 1,
                daysOfWeek: [
                  ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][
                    new Date(start).getUTCDay()
                  ],
                ],
              },
              range: {
                type: 'numbered',
                startDate: new Date(start).toISOString().slice(0, 10),
                numberOfOccurrences: b.weeklyOccurrences,
              },
            }
          : null,
        iCalUId: createHash('sha1').update(id).digest('hex').toUpperCase(),
        isOnlineMeeting: false,
        exceptions: {},
      }));
      return controlJson(201, { id: e.id });
    },
  },
  {
    method: 'PATCH',
    path: '/calendar/{user}/events/{id}',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const hit = mb.findEvent(ctx.params.id);
      if (!hit) throw new ControlError(404, `no event '${ctx.params.id}'`);
      const { subject, start, minutes } = await input(
        ctx,
        z.object({
          subject: z.string().optional(),
          start: z.string().optional(),
          minutes: z.number().int().positive().optional(),
        }),
      );
      const s = start ? Date.parse(start) : Date.parse(`${hit.event.start.dateTime.slice(0, 19)}Z`);
      const duration =
        (minutes ??
          (Date.parse(`${hit.event.end.dateTime.slice(0, 19)}Z`) -
            Date.parse(`${hit.event.start.dateTime.slice(0, 19)}Z`)) /
            60_000) * 60_000;
      const now = new Date(ctx.emulator.clock.now()).toISOString();
      mb.events.update(
        {
          ...hit.event,
          ...(subject ? { subject } : {}),
          start: toDateTimeTimeZone(s),
          end: toDateTimeTimeZone(s + duration),
          lastModifiedDateTime: now,
          changeKey: changeKeyOf(hit.event.id, now),
        },
        ['subject', 'start', 'end'],
      );
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/calendar/{user}/events/{id}',
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const hit = mb.findEvent(ctx.params.id);
      if (!hit) throw new ControlError(404, `no event '${ctx.params.id}'`);
      mb.events.remove(hit.event.id);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/contacts/{user}/contacts',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const b = await input(
        ctx,
        z.object({ folder: z.string().optional(), displayName: z.string().min(1), email: z.string().optional() }),
      );
      const folderId = contactFolderOf(mb, b.folder);
      const [givenName, ...rest] = b.displayName.split(' ');
      const c = mb.createContact(folderId, (id, now) => ({
        id,
        createdDateTime: now,
        lastModifiedDateTime: now,
        changeKey: changeKeyOf(id, now),
        categories: [],
        parentFolderId: folderId,
        birthday: null,
        fileAs: b.displayName,
        displayName: b.displayName,
        givenName: givenName ?? null,
        surname: rest.join(' ') || null,
        middleName: null,
        nickName: null,
        title: null,
        jobTitle: null,
        companyName: null,
        department: null,
        officeLocation: null,
        businessHomePage: null,
        personalNotes: '',
        mobilePhone: null,
        businessPhones: [],
        homePhones: [],
        imAddresses: [],
        emailAddresses: b.email ? [{ name: b.displayName, address: b.email }] : [],
        businessAddress: {},
        homeAddress: {},
        otherAddress: {},
      }))!;
      return controlJson(201, { id: c.id, immutableId: immutableIdOf(c) });
    },
  },
  {
    method: 'POST',
    path: '/contacts/{user}/contacts/{id}/move',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const { to } = await input(ctx, z.object({ to: z.string() }));
      const moved = mb.moveContact(ctx.params.id, contactFolderOf(mb, to));
      if (!moved) throw new ControlError(404, `no contact '${ctx.params.id}'`);
      return controlJson(200, {
        id: moved.id,
        immutableId: immutableIdOf(moved),
        parentFolderId: moved.parentFolderId,
      });
    },
  },
  {
    method: 'PATCH',
    path: '/contacts/{user}/contacts/{id}',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const hit = mb.findContact(ctx.params.id);
      if (!hit) throw new ControlError(404, `no contact '${ctx.params.id}'`);
      const patch = await input(
        ctx,
        z
          .object({
            displayName: z.string().optional(),
            jobTitle: z.string().optional(),
            companyName: z.string().optional(),
            personalNotes: z.string().optional(),
          })
          .strict(),
      );
      const now = new Date(ctx.emulator.clock.now()).toISOString();
      hit.log.update(
        { ...hit.contact, ...patch, lastModifiedDateTime: now, changeKey: changeKeyOf(hit.contact.id, now) },
        Object.keys(patch),
      );
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/contacts/{user}/contacts/{id}',
    handler(ctx) {
      const hit = mailboxOf(ctx).findContact(ctx.params.id);
      if (!hit) throw new ControlError(404, `no contact '${ctx.params.id}'`);
      hit.log.remove(hit.contact.id);
      return { status: 204 };
    },
  },
]);
