// SharePoint lists (not the libraries, which are drives): the site's lists as a hierarchy, each list's schema as its
// content, and each list's items through listItem delta with their fields.
import { ContainerWorkload, GraphItem, pick, seg } from './workload';
import { textOf } from '../../domain/text';

/** What a list keeps of its schema: enough for a restore to recreate it (columns with their type facets, content types). */
const SCHEMA_EXPAND = '$expand=columns,contentTypes';

/** Libraries are protected as drives and hidden lists are SharePoint's own: neither is kept as a list. */
export const isGenericList = (list: GraphItem): boolean => {
  const facet = list.list as { template?: unknown; hidden?: unknown } | undefined;
  return facet?.template !== 'documentLibrary' && facet?.hidden !== true;
};

const eTagOf = (item: GraphItem): { changeKey?: string } =>
  typeof item.eTag === 'string' ? { changeKey: `${item.eTag}|${textOf([item.lastModifiedDateTime])}` } : {};

/**
 * The site's lists: Graph has no delta for them, so each round enumerates them whole (a removed list is recorded as
 * deleted). A list's content is the list with its columns and content types, read again when its eTag or
 * modification time moves; its catalog id is the list id, the folder its items sit in.
 */
export function siteLists(siteId: string): ContainerWorkload {
  return {
    kind: 'list',
    operation: 'sites.read',
    initialUrl: `/sites/${seg(siteId)}/lists?$select=id,name,displayName,description,list,eTag,webUrl,createdDateTime,lastModifiedDateTime`,
    snapshot: true,
    toChange(list) {
      // Read as absent: nothing was ever kept of it, so the plan skips it.
      if (!isGenericList(list)) return { kind: 'delete', itemId: list.id };
      const key = eTagOf(list);
      return { kind: 'upsert', itemId: list.id, hasContent: true, ...key, contentKey: key.changeKey ?? '' };
    },
    props: (list) => ({
      ...pick(list, ['name', 'displayName', 'description', 'webUrl', 'createdDateTime', 'lastModifiedDateTime']),
      ...(list.list ? { list: pick(list.list as GraphItem, ['template', 'hidden', 'contentTypesEnabled']) } : {}),
      // A list is a top-level folder of the site, as a library's root is.
      root: true,
    }),
    content: (list) => ({ url: `/sites/${seg(siteId)}/lists/${seg(list.id)}?${SCHEMA_EXPAND}` }),
  };
}

/** The catalog container of a list's items. */
export const LIST_CONTAINER = 'list:';
export const listContainerId = (listId: string): string => `${LIST_CONTAINER}${listId}`;

/** A list item's catalog id: Graph's ids ("1", "2", ...) are unique only within their list. */
export const listItemId = (listId: string, itemId: string): string => `${listId}.${itemId}`;

/** SharePoint's own fields on every item: searching "item" or a date would find every item by them. */
const SYSTEM_FIELDS = new Set([
  'id',
  'ContentType',
  'Created',
  'Modified',
  'Attachments',
  'Edit',
  'LinkTitle',
  'LinkTitleNoMenu',
  'ItemChildCount',
  'FolderChildCount',
  'DocIcon',
]);

/** The field values administrators search by, lower-cased in one string (as a message's searchText). */
function searchTextOf(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([k]) => !SYSTEM_FIELDS.has(k) && !k.startsWith('@') && !k.startsWith('_') && !k.endsWith('LookupId'))
    .map(([, v]) => textOf([v]))
    .filter(Boolean)
    .join('\n')
    .toLowerCase()
    .slice(0, 4000);
}

/** Items of one list through listItem delta with their fields; the item JSON is the content (field-identical restore). */
export function listItems(siteId: string, listId: string): ContainerWorkload {
  return {
    kind: 'listItem',
    operation: 'sites.read',
    initialUrl: `/sites/${seg(siteId)}/lists/${seg(listId)}/items/delta?$expand=fields`,
    toChange: (item) => {
      const itemId = listItemId(listId, item.id);
      if (item.deleted !== undefined) return { kind: 'delete', itemId };
      return {
        kind: 'upsert',
        itemId,
        hasContent: true,
        mutableContent: true,
        ...(typeof item.eTag === 'string' ? { changeKey: item.eTag } : {}),
      };
    },
    props: (item) => {
      const fields = (item.fields ?? {}) as Record<string, unknown>;
      return {
        ...pick(item, ['createdDateTime', 'lastModifiedDateTime', 'createdBy', 'lastModifiedBy', 'webUrl']),
        ...(item.contentType ? { contentType: item.contentType } : {}),
        name: textOf([fields.Title, fields.LinkTitle], `Item ${item.id}`),
        listItemId: item.id,
        parentId: listId,
        fields,
        searchText: searchTextOf(fields),
      };
    },
    content: () => ({ inline: true }),
  };
}
