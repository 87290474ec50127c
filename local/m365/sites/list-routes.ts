// SharePoint lists in Graph v1.0: /sites/{id}/lists (generic lists and the document libraries), a list by id or
// name, its columns and content types (also as $expand), its items (paged, $expand=fields with its own $select, $select), one item and its fields, the
// writes a restore needs (create a generic list with its columns; create, PATCH fields, DELETE an item) and listItem
// delta (`token=` links, token=latest, deletions as
// a `deleted` facet, 410 + Location). A library's items are its drive's items seen as listItems, read-only here:
// files go through the drive (files/graph-routes.ts), as Graph requires for creating them.
import { z } from 'zod';
import { DriveItem, SITES_WRITE } from '../files/model';
import { deltaResponse, resyncChanges } from '../graph/delta';
import { GraphError } from '../graph/errors';
import { applySelect, listPage, option, selectOf } from '../graph/odata';
import { selectFor } from '../graph/schema';
import { GraphContext, ok, registerRoutes } from '../graph/router';
import { chargingResourceUnits } from '../resource-units';
import {
  columnsOfList,
  createItem,
  GenericList,
  LIST_COLUMNS,
  ListColumn,
  ListItemRecord,
  Site,
  SiteList,
  unknownFields,
  updateFields,
} from './model';
import { siteKey, siteOf, sitesRead } from './graph-routes';
import type { ChangeLog } from '../tenant/change-log';
import { guidOf } from '../tenant/seeded';

/** `$expand=fields` (optionally `fields($select=A,B)`): undefined when fields are not expanded. */
type FieldsExpand = { select?: string[] } | undefined;

function fieldsExpand(expand: string | undefined): FieldsExpand {
  const m = expand && /(?:^|,)\s*fields(?:\(\$?select=([^)]*)\))?/i.exec(expand);
  if (!m) return undefined;
  return m[1]
    ? {
        select: m[1]
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      }
    : {};
}

/** One list's items as listItems: a generic list's own, or a library's drive items. */
interface ItemView<T extends { id: string }> {
  log: ChangeLog<T>;
  /** Whether an entry of the log is a list item (a library's root folder is not). */
  visible(item: T): boolean;
  json(item: T, fields: FieldsExpand): Record<string, unknown>;
}

interface ItemFacts {
  id: string;
  version: number;
  created: string;
  modified: string;
  author: number;
  contentType: 'Item' | 'Document' | 'Folder';
  webUrl: string;
  fields: Record<string, unknown>;
}

const CONTENT_TYPE_IDS = { Item: '0x01', Document: '0x0101', Folder: '0x0120' } as const;

function listItemJson(ctx: GraphContext, list: SiteList, f: ItemFacts, expand: FieldsExpand): Record<string, unknown> {
  const eTag = `"${guidOf(ctx.tenant.seed, 'listitem', list.id, f.id)},${f.version}"`;
  const people = ctx.tenant.directory.correspondents();
  const person = people.length ? people[f.author % people.length] : undefined;
  const by = {
    user: person
      ? { email: person.mail, id: person.id, displayName: person.displayName }
      : { displayName: 'System Account' },
  };
  const fields = {
    '@odata.etag': eTag,
    id: f.id,
    ContentType: f.contentType,
    Created: f.created,
    Modified: f.modified,
    AuthorLookupId: String(10 + f.author),
    EditorLookupId: String(10 + f.author),
    _UIVersionString: `${f.version}.0`,
    Attachments: false,
    ...f.fields,
  };
  return {
    '@odata.etag': eTag,
    createdDateTime: f.created,
    eTag,
    id: f.id,
    lastModifiedDateTime: f.modified,
    webUrl: f.webUrl,
    createdBy: by,
    lastModifiedBy: by,
    parentReference: { id: list.id, siteId: list.site.id },
    contentType: { id: CONTENT_TYPE_IDS[f.contentType], name: f.contentType },
    ...(expand ? { fields: applySelect(fields, expand.select) } : {}),
  };
}

function genericView(ctx: GraphContext, list: GenericList): ItemView<ListItemRecord> {
  const url = `${ctx.tenant.sites.webUrl(list.site)}/Lists/${encodeURIComponent(list.name)}`;
  return {
    log: list.items,
    visible: () => true,
    json: (i, expand) =>
      listItemJson(
        ctx,
        list,
        {
          id: i.id,
          version: i.version,
          created: i.createdDateTime,
          modified: i.lastModifiedDateTime,
          author: i.author,
          contentType: 'Item',
          webUrl: `${url}/DispForm.aspx?ID=${i.id}`,
          fields: { LinkTitle: i.fields.Title, ...i.fields },
        },
        expand,
      ),
  };
}

function libraryView(ctx: GraphContext, list: SiteList): ItemView<DriveItem> {
  const drive = list.drive!;
  const url = `${ctx.tenant.sites.webUrl(list.site)}/${encodeURIComponent(list.name)}`;
  return {
    log: drive.items,
    visible: (i) => !i.root,
    json: (i, expand) =>
      listItemJson(
        ctx,
        list,
        {
          id: i.id,
          version: i.version,
          created: i.createdDateTime,
          modified: i.lastModifiedDateTime,
          author: 0,
          contentType: i.folder ? 'Folder' : 'Document',
          webUrl: `${url}/${encodeURIComponent(i.name)}`,
          fields: { FileLeafRef: i.name, ...(i.folder ? {} : { FileSizeDisplay: String(i.size) }) },
        },
        expand,
      ),
  };
}

/** Runs `use` with the list's item view, whichever kind of items it has. */
function withItems<R>(ctx: GraphContext, list: SiteList, use: <T extends { id: string }>(view: ItemView<T>) => R): R {
  return list.items ? use(genericView(ctx, list as GenericList)) : use(libraryView(ctx, list));
}

function listOf(ctx: GraphContext): { site: Site; list: SiteList } {
  const site = siteOf(ctx);
  const list = ctx.tenant.sites.listOf(site, ctx.params.listId);
  if (!list) throw new GraphError(404, 'itemNotFound', 'The specified list was not found');
  return { site, list };
}

/** A list whose items can be written: libraries take files only through the drive API. */
function writableList(ctx: GraphContext): GenericList {
  const { list } = listOf(ctx);
  if (!list.items)
    throw new GraphError(
      400,
      'invalidRequest',
      'Files and folders should only be added to a DocumentLibrary via the OneDrive API',
    );
  return list as GenericList;
}

const itemNotFound = (): GraphError => new GraphError(404, 'itemNotFound', 'Item not found');

/** The route's item among a view's list items. */
function itemIn<T extends { id: string }>(ctx: GraphContext, v: ItemView<T>): T {
  const item = v.log.get(ctx.params.itemId);
  if (!item || !v.visible(item)) throw itemNotFound();
  return item;
}

/** A request's field values, refused when one names no writable column of the list. */
function fieldValues(body: unknown, list: GenericList): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new GraphError(400, 'invalidRequest', 'The field values must be a JSON object.');
  const fields = body as Record<string, unknown>;
  const unknown = unknownFields(fields, list);
  if (unknown.length) throw new GraphError(400, 'invalidRequest', `Field '${unknown[0]}' is not recognized`);
  return fields;
}

/** The list's columns: a generic list's own, a library's Title (its file columns are the drive's). */
const columnsOf = (ctx: GraphContext, list: SiteList): Array<Record<string, unknown>> =>
  (list.items ? columnsOfList(list) : LIST_COLUMNS.filter((c) => c.name === 'Title')).map((c) =>
    columnJson(ctx, list, c),
  );

/** The list's content types, each a list-scoped child of the site's (ids `{parent}00{guid}` as SharePoint makes). */
function contentTypesOf(ctx: GraphContext, list: SiteList): Array<Record<string, unknown>> {
  const types = list.items ? (['Item', 'Folder'] as const) : (['Document', 'Folder'] as const);
  return types.map((name) => ({
    id: `${CONTENT_TYPE_IDS[name]}00${guidOf(ctx.tenant.seed, 'contentType', list.id, name).replace(/-/g, '').toUpperCase()}`,
    name,
    description: name === 'Folder' ? 'Create a new folder.' : `Create a new ${name.toLowerCase()}.`,
    group:
      name === 'Document'
        ? 'Document Content Types'
        : name === 'Folder'
          ? 'Folder Content Types'
          : 'List Content Types',
    hidden: false,
    isBuiltIn: true,
    parentId: CONTENT_TYPE_IDS[name],
    readOnly: false,
    sealed: false,
    base: { id: CONTENT_TYPE_IDS[name], name },
  }));
}

/** `$expand=columns,contentTypes` on a list (Graph's "get metadata for a list"). */
function listExpansions(ctx: GraphContext, list: SiteList): Record<string, unknown> {
  const asked = new Set(
    (option(ctx.query, '$expand') ?? '')
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean),
  );
  return {
    ...(asked.has('columns') ? { columns: columnsOf(ctx, list) } : {}),
    ...(asked.has('contenttypes') ? { contentTypes: contentTypesOf(ctx, list) } : {}),
  };
}

/** A list as Graph renders it, with the request's $select. */
function listJson(ctx: GraphContext, list: SiteList): Record<string, unknown> {
  const eTag = `"${list.id},1"`;
  const siteUrl = ctx.tenant.sites.webUrl(list.site);
  return applySelect(
    {
      '@odata.etag': eTag,
      createdDateTime: list.createdDateTime,
      description: list.description ?? '',
      eTag,
      id: list.id,
      lastModifiedDateTime: list.createdDateTime,
      name: list.name,
      webUrl:
        list.template === 'documentLibrary'
          ? `${siteUrl}/${encodeURIComponent(list.name)}`
          : `${siteUrl}/Lists/${encodeURIComponent(list.name)}`,
      displayName: list.displayName,
      createdBy: { user: { displayName: 'System Account' } },
      parentReference: { siteId: list.site.id },
      list: { contentTypesEnabled: false, hidden: false, template: list.template },
    },
    selectFor(ctx, 'list'),
  );
}

function columnJson(ctx: GraphContext, list: SiteList, c: ListColumn): Record<string, unknown> {
  // Title is the same built-in field on every list; other columns are the list's own.
  const id =
    c.name === 'Title' ? 'fa564e0f-0c70-4ab9-b863-0177e6ddd247' : guidOf(ctx.tenant.seed, 'column', list.id, c.name);
  return {
    columnGroup: 'Custom Columns',
    description: '',
    displayName: c.name,
    enforceUniqueValues: false,
    hidden: false,
    id,
    indexed: false,
    name: c.name,
    readOnly: false,
    required: c.name === 'Title',
    ...c.facet,
  };
}

const sitesWrite = { workload: 'sites' as const, permissions: SITES_WRITE, mailbox: siteKey };

/** The column type facets of Graph's columnDefinition (one per column). */
const TYPE_FACETS = [
  'boolean',
  'calculated',
  'choice',
  'currency',
  'dateTime',
  'geolocation',
  'hyperlinkOrPicture',
  'lookup',
  'number',
  'personOrGroup',
  'term',
  'text',
];
const typeFacet = (column: Record<string, unknown>): Record<string, unknown> => {
  const facets = Object.fromEntries(Object.entries(column).filter(([k]) => TYPE_FACETS.includes(k)));
  return Object.keys(facets).length ? facets : { text: {} };
};

/** POST /sites/{id}/lists: a list resource; the columns with one type facet each. */
const NEW_LIST = z.object({
  displayName: z.string().min(1).max(255),
  description: z.string().optional(),
  columns: z
    .array(z.looseObject({ name: z.string().min(1).max(255) }))
    .max(500)
    .optional(),
  list: z.looseObject({ template: z.string().optional() }).optional(),
});
const expandOf = (ctx: GraphContext): FieldsExpand => fieldsExpand(option(ctx.query, '$expand'));

/** $select on listItems; `fields` stays when it is expanded. */
function selected(ctx: GraphContext, json: Record<string, unknown>): Record<string, unknown> {
  const select = selectOf(ctx.query);
  return applySelect(json, select && expandOf(ctx) ? [...select, 'fields'] : select);
}

registerRoutes(
  chargingResourceUnits([
    {
      method: 'GET',
      path: '/sites/{siteId}/lists',
      ...sitesRead,
      handler: (ctx) => ok({ value: ctx.tenant.sites.listsOf(siteOf(ctx)).map((l) => listJson(ctx, l)) }),
    },
    {
      method: 'POST',
      path: '/sites/{siteId}/lists',
      ...sitesWrite,
      async handler(ctx) {
        const site = siteOf(ctx);
        const body = NEW_LIST.safeParse(await ctx.json());
        if (!body.success)
          throw new GraphError(400, 'invalidRequest', `Invalid request: ${body.error.issues[0]?.path.join('.')}`);
        const { displayName, description, columns, list: facet } = body.data;
        if (facet?.template && facet.template !== 'genericList')
          throw new GraphError(
            400,
            'invalidRequest',
            `The emulator creates generic lists only, not '${facet.template}'.`,
          );
        if (ctx.tenant.sites.listOf(site, displayName))
          throw new GraphError(
            409,
            'nameAlreadyExists',
            'A list, survey, discussion board, or document library with the specified title already exists in this Web site.  Please choose another title.',
          );
        const created = ctx.tenant.sites.createList(
          site,
          displayName,
          description ?? '',
          (columns ?? []).map(({ name, ...rest }) => ({ name, facet: typeFacet(rest) })),
        );
        return { status: 201, json: listJson(ctx, created) };
      },
    },
    {
      method: 'GET',
      path: '/sites/{siteId}/lists/{listId}',
      ...sitesRead,
      handler(ctx) {
        const { list } = listOf(ctx);
        return ok({ ...listJson(ctx, list), ...listExpansions(ctx, list) });
      },
    },
    {
      method: 'GET',
      path: '/sites/{siteId}/lists/{listId}/columns',
      ...sitesRead,
      handler: (ctx) => ok({ value: columnsOf(ctx, listOf(ctx).list) }),
    },
    {
      method: 'GET',
      path: '/sites/{siteId}/lists/{listId}/contentTypes',
      ...sitesRead,
      handler: (ctx) => ok({ value: contentTypesOf(ctx, listOf(ctx).list) }),
    },
    {
      method: 'GET',
      path: '/sites/{siteId}/lists/{listId}/items',
      ...sitesRead,
      handler(ctx) {
        const { list } = listOf(ctx);
        return withItems(ctx, list, (v) => {
          const { page, nextLink } = listPage(
            ctx,
            [...v.log.all()].filter((i) => v.visible(i)),
            { fallback: 200, max: 5000 },
          );
          return ok({
            ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
            value: page.map((i) => selected(ctx, v.json(i, expandOf(ctx)))),
          });
        });
      },
    },
    {
      method: 'GET',
      path: '/sites/{siteId}/lists/{listId}/items/delta',
      ...sitesRead,
      handler(ctx) {
        const { site, list } = listOf(ctx);
        const linkPath = `/sites/${site.id}/lists/${list.id}/items/delta`;
        return withItems(ctx, list, (v) =>
          deltaResponse(ctx, {
            log: v.log,
            linkPath,
            tokenStyle: 'token',
            context: 'Collection(listItem)',
            pageSize: { fallback: 200, max: 1000 },
            latest: true,
            roundParams: ['$expand'],
            expired: () => resyncChanges(`${ctx.baseUrl}${linkPath}`),
            render(c, o) {
              if (c.kind === 'removed')
                return [{ id: c.id, parentReference: { siteId: site.id }, deleted: { state: 'deleted' } }];
              return v.visible(c.item)
                ? [
                    applySelect(
                      v.json(c.item, fieldsExpand(o.params?.['$expand'])),
                      o.select && o.params?.['$expand'] ? [...o.select, 'fields'] : o.select,
                    ),
                  ]
                : [];
            },
          }),
        );
      },
    },
    {
      method: 'GET',
      path: '/sites/{siteId}/lists/{listId}/items/{itemId}',
      ...sitesRead,
      handler(ctx) {
        const { list } = listOf(ctx);
        return withItems(ctx, list, (v) => ok(selected(ctx, v.json(itemIn(ctx, v), expandOf(ctx)))));
      },
    },
    {
      method: 'GET',
      path: '/sites/{siteId}/lists/{listId}/items/{itemId}/fields',
      ...sitesRead,
      handler(ctx) {
        const { list } = listOf(ctx);
        const select = selectOf(ctx.query);
        return withItems(ctx, list, (v) => ok(v.json(itemIn(ctx, v), select ? { select } : {}).fields));
      },
    },
    {
      method: 'POST',
      path: '/sites/{siteId}/lists/{listId}/items',
      ...sitesWrite,
      async handler(ctx) {
        const list = writableList(ctx);
        const body = await ctx.json<{ fields?: unknown }>();
        const item = createItem(list, fieldValues(body.fields ?? {}, list), ctx.emulator.clock.now());
        return { status: 201, json: genericView(ctx, list).json(item, {}) };
      },
    },
    {
      method: 'PATCH',
      path: '/sites/{siteId}/lists/{listId}/items/{itemId}/fields',
      ...sitesWrite,
      async handler(ctx) {
        const list = writableList(ctx);
        const item = list.items.get(ctx.params.itemId);
        if (!item) throw itemNotFound();
        const next = updateFields(list, item, fieldValues(await ctx.json(), list), ctx.emulator.clock.now());
        return ok(genericView(ctx, list).json(next, {}).fields);
      },
    },
    {
      method: 'DELETE',
      path: '/sites/{siteId}/lists/{listId}/items/{itemId}',
      ...sitesWrite,
      handler(ctx) {
        const list = writableList(ctx);
        if (!list.items.remove(ctx.params.itemId)) throw itemNotFound();
        return { status: 204 };
      },
    },
  ]),
);
