// A site's pages (Graph v1.0 sitePage): no delta, so each round lists them whole (a deleted page is recorded as
// deleted), and a page's JSON with its canvas (sections, columns, web parts) is its content, read again when its
// eTag moves. Browsing shows them in a "Site Pages" folder, a catalog entry of its own listed with every page.
import { ContainerWorkload, GraphItem, pick, seg } from './workload';
import { textOf } from '../../domain/text';

/** The catalog id of the folder the pages sit in. */
export const PAGES_FOLDER = 'sitePages';
const folder: GraphItem = { id: PAGES_FOLDER, name: 'Site Pages', folder: {} };

export function sitePages(siteId: string): ContainerWorkload {
  return {
    kind: 'sitePage',
    operation: 'sites.read',
    initialUrl: `/sites/${seg(siteId)}/pages/microsoft.graph.sitePage?$select=id,name,title,pageLayout,eTag,webUrl,createdDateTime,lastModifiedDateTime,createdBy,lastModifiedBy,publishingState`,
    snapshot: true,
    expand: (page) => [folder, page],
    toChange: (item) =>
      item.id === PAGES_FOLDER
        ? { kind: 'upsert', itemId: PAGES_FOLDER, hasContent: false, changeKey: PAGES_FOLDER }
        : {
            kind: 'upsert',
            itemId: item.id,
            hasContent: true,
            ...(typeof item.eTag === 'string' ? { changeKey: item.eTag, contentKey: item.eTag } : {}),
          },
    props: (item) =>
      item.id === PAGES_FOLDER
        ? { name: 'Site Pages', folder: true, root: true }
        : {
            ...pick(item, [
              'name',
              'title',
              'pageLayout',
              'webUrl',
              'createdDateTime',
              'lastModifiedDateTime',
              'createdBy',
              'lastModifiedBy',
              'publishingState',
            ]),
            parentId: PAGES_FOLDER,
            searchText: textOf([item.title, item.name]).toLowerCase(),
          },
    content: (item) =>
      item.id === PAGES_FOLDER
        ? null
        : { url: `/sites/${seg(siteId)}/pages/${seg(item.id)}/microsoft.graph.sitePage?$expand=canvasLayout` },
  };
}
