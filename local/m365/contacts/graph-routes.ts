// Contacts routes: contact folders below the default Contacts folder (list, get, create, delta), contacts of the
// default folder and of each folder (list, get, delta per folder), contact create / update / delete.
import type { ChangeLog } from '../tenant/change-log';
import type { ContactFolderRecord, ContactRecord } from './model';
import type { Mailbox } from '../mail/mailbox';
import { changeKeyOf } from '../mail/message';
import { deltaResponse, removedEntry } from '../graph/delta';
import { GraphError, itemNotFound, syncStateNotFound } from '../graph/errors';
import { canonicalFilterIds, expandedExtended, filterable, mergeExtended } from '../graph/extended-properties';
import { applySelect, listPage, selectOf } from '../graph/odata';
import {
  byMailbox,
  CONTACTS_READ,
  CONTACTS_WRITE,
  mailboxOf,
  outlookId,
  patchedKeys,
  wantsImmutableIds,
} from '../mail/outlook';
import { selectFor } from '../graph/schema';
import { created, GraphContext, GraphResult, noContent, ok, registerRoutes } from '../graph/router';

const CONTACT_TYPE = '#microsoft.graph.contact';
const FOLDER_TYPE = '#microsoft.graph.contactFolder';
const contacts = { workload: 'contacts' as const, mailbox: byMailbox };

export function contactJson(
  c: ContactRecord,
  select?: readonly string[],
  immutableIds = false,
): Record<string, unknown> {
  const { extended: _hidden, immutableId: _kept, ...rest } = c;
  void _hidden;
  void _kept;
  return applySelect({ '@odata.etag': `W/"${c.changeKey}"`, ...rest, id: outlookId(c, immutableIds) }, select);
}
const folderJson = (f: ContactFolderRecord, select?: readonly string[]): Record<string, unknown> =>
  applySelect({ ...f }, select);

function contactLog(mb: Mailbox, folderId: string): ChangeLog<ContactRecord> {
  const log = mb.contacts(folderId);
  if (!log) throw itemNotFound();
  return log;
}

function list(ctx: GraphContext, folderId: (mb: Mailbox) => string): GraphResult {
  const mb = mailboxOf(ctx);
  const select = selectFor(ctx, 'contact');
  canonicalFilterIds(ctx);
  const { page, nextLink } = listPage(ctx, [...contactLog(mb, folderId(mb)).all()], {
    fallback: 10,
    max: 1000,
    filterView: (c) => filterable({ ...c }, c.extended ?? {}),
  });
  const value = page.map((c) => ({
    ...contactJson(c, select, wantsImmutableIds(ctx)),
    ...expandedExtended(ctx, c.extended ?? {}),
  }));
  return ok({
    '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/contacts`,
    ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    value,
  });
}

function delta(ctx: GraphContext, folderId: (mb: Mailbox) => string, linkPath: string): GraphResult {
  const mb = mailboxOf(ctx);
  const log = contactLog(mb, folderId(mb));
  const immutableIds = wantsImmutableIds(ctx);
  return deltaResponse(ctx, {
    log,
    linkPath,
    context: 'Collection(contact)',
    pageSize: { fallback: 100, max: 1000 },
    roundParams: ['changeType'],
    selectType: 'contact',
    expired: () => syncStateNotFound(log.generation),
    render: (c, o) => [
      c.kind === 'removed'
        ? removedEntry(CONTACT_TYPE, outlookId(c.item, immutableIds), 'deleted')
        : { '@odata.type': CONTACT_TYPE, ...contactJson(c.item, o.select, immutableIds) },
    ],
  });
}

const CONTACT_FIELDS = [
  'displayName',
  'givenName',
  'surname',
  'middleName',
  'nickName',
  'title',
  'jobTitle',
  'companyName',
  'department',
  'officeLocation',
  'businessHomePage',
  'personalNotes',
  'mobilePhone',
  'businessPhones',
  'homePhones',
  'imAddresses',
  'emailAddresses',
  'businessAddress',
  'homeAddress',
  'otherAddress',
  'birthday',
  'categories',
  'fileAs',
] as const;
const CONTACT_PATCHABLE: ReadonlySet<string> = new Set([...CONTACT_FIELDS, 'singleValueExtendedProperties']);

async function create(ctx: GraphContext, folderId: (mb: Mailbox) => string): Promise<GraphResult> {
  const mb = mailboxOf(ctx);
  const input = await ctx.json<Partial<ContactRecord> & { singleValueExtendedProperties?: unknown }>();
  const extended = mergeExtended({}, input.singleValueExtendedProperties);
  const target = folderId(mb);
  const c = mb.createContact(target, (id, now) => ({
    id,
    createdDateTime: now,
    lastModifiedDateTime: now,
    changeKey: changeKeyOf(id, now),
    categories: [],
    parentFolderId: target,
    birthday: null,
    fileAs: '',
    displayName: '',
    givenName: null,
    surname: null,
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
    emailAddresses: [],
    businessAddress: {},
    homeAddress: {},
    otherAddress: {},
    ...Object.fromEntries(CONTACT_FIELDS.filter((k) => input[k] !== undefined).map((k) => [k, input[k]])),
    ...(input.displayName === undefined
      ? { displayName: [input.givenName, input.surname].filter(Boolean).join(' ') }
      : {}),
    ...(Object.keys(extended).length ? { extended } : {}),
  }));
  if (!c) throw itemNotFound();
  return created(contactJson(c, undefined, wantsImmutableIds(ctx)));
}

function contactOf(mb: Mailbox, id: string): { contact: ContactRecord; log: ChangeLog<ContactRecord> } {
  const hit = mb.findContact(id);
  if (!hit) throw itemNotFound();
  return hit;
}

const defaultFolder = (mb: Mailbox): string => mb.contactsRootId;

registerRoutes([
  {
    method: 'GET',
    path: '/users/{userId}/contactFolders',
    ...contacts,
    permissions: CONTACTS_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const select = selectOf(ctx.query);
      const { page, nextLink } = listPage(ctx, [...mb.contactFolders.all()], { fallback: 10, max: 1000 });
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/contactFolders`,
        ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
        value: page.map((f) => folderJson(f, select)),
      });
    },
  },
  {
    method: 'POST',
    path: '/users/{userId}/contactFolders',
    ...contacts,
    permissions: CONTACTS_WRITE,
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const { displayName } = await ctx.json<{ displayName?: string }>();
      if (!displayName) throw new GraphError(400, 'ErrorInvalidRequest', 'The displayName property is required.');
      if ([...mb.contactFolders.all()].some((f) => f.displayName.toLowerCase() === displayName.toLowerCase()))
        throw new GraphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
      return created(folderJson(mb.createContactFolder(displayName)));
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/contactFolders/delta',
    ...contacts,
    permissions: CONTACTS_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      return deltaResponse(ctx, {
        log: mb.contactFolders,
        linkPath: `/users/${ctx.params.userId}/contactFolders/delta`,
        context: 'Collection(contactFolder)',
        pageSize: { fallback: 100, max: 1000 },
        expired: () => syncStateNotFound(mb.contactFolders.generation),
        render: (c, o) => [
          c.kind === 'removed'
            ? removedEntry(FOLDER_TYPE, c.id, 'deleted')
            : { '@odata.type': FOLDER_TYPE, ...folderJson(c.item, o.select) },
        ],
      });
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/contactFolders/{folderId}',
    ...contacts,
    permissions: CONTACTS_READ,
    handler(ctx) {
      const f = mailboxOf(ctx).contactFolder(ctx.params.folderId);
      if (!f) throw itemNotFound();
      return ok(folderJson(f, selectOf(ctx.query)));
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/contactFolders/{folderId}/contacts',
    ...contacts,
    permissions: CONTACTS_READ,
    handler: (ctx) => list(ctx, () => ctx.params.folderId),
  },
  {
    method: 'POST',
    path: '/users/{userId}/contactFolders/{folderId}/contacts',
    ...contacts,
    permissions: CONTACTS_WRITE,
    handler: (ctx) => create(ctx, () => ctx.params.folderId),
  },
  {
    method: 'GET',
    path: '/users/{userId}/contactFolders/{folderId}/contacts/delta',
    ...contacts,
    permissions: CONTACTS_READ,
    handler: (ctx) =>
      delta(
        ctx,
        () => ctx.params.folderId,
        `/users/${ctx.params.userId}/contactFolders('${ctx.params.folderId}')/contacts/delta`,
      ),
  },
  {
    method: 'GET',
    path: '/users/{userId}/contacts',
    ...contacts,
    permissions: CONTACTS_READ,
    handler: (ctx) => list(ctx, defaultFolder),
  },
  {
    method: 'POST',
    path: '/users/{userId}/contacts',
    ...contacts,
    permissions: CONTACTS_WRITE,
    handler: (ctx) => create(ctx, defaultFolder),
  },
  {
    method: 'GET',
    path: '/users/{userId}/contacts/delta',
    ...contacts,
    permissions: CONTACTS_READ,
    handler: (ctx) => delta(ctx, defaultFolder, `/users/${ctx.params.userId}/contacts/delta`),
  },
  {
    method: 'GET',
    path: '/users/{userId}/contacts/{contactId}',
    ...contacts,
    permissions: CONTACTS_READ,
    handler(ctx) {
      const { contact } = contactOf(mailboxOf(ctx), ctx.params.contactId);
      return ok({
        ...contactJson(contact, selectFor(ctx, 'contact'), wantsImmutableIds(ctx)),
        ...expandedExtended(ctx, contact.extended ?? {}),
      });
    },
  },
  {
    method: 'PATCH',
    path: '/users/{userId}/contacts/{contactId}',
    ...contacts,
    permissions: CONTACTS_WRITE,
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const { contact, log } = contactOf(mb, ctx.params.contactId);
      const input = await ctx.json<Record<string, unknown>>();
      const keys = patchedKeys(input, CONTACT_PATCHABLE);
      const now = new Date(ctx.emulator.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const { singleValueExtendedProperties, ...fields } = input;
      const extended = mergeExtended(contact.extended ?? {}, singleValueExtendedProperties);
      const next = {
        ...contact,
        ...(fields as Partial<ContactRecord>),
        ...(Object.keys(extended).length ? { extended } : {}),
        lastModifiedDateTime: now,
        changeKey: changeKeyOf(contact.id, now, log.currentSeq()),
      };
      log.update(next, [...keys, 'lastModifiedDateTime', 'changeKey']);
      return ok(contactJson(next, undefined, wantsImmutableIds(ctx)));
    },
  },
  {
    method: 'DELETE',
    path: '/users/{userId}/contacts/{contactId}',
    ...contacts,
    permissions: CONTACTS_WRITE,
    handler(ctx) {
      const { contact, log } = contactOf(mailboxOf(ctx), ctx.params.contactId);
      log.remove(contact.id);
      return noContent();
    },
  },
]);
