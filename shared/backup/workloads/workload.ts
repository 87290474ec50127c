import type { GraphOperation } from '../../domain/graph-permissions';
import type { Change } from '../../domain/version-plan';
import type { ItemKind } from '../../catalog/version-doc';

export type GraphItem = Record<string, unknown> & { id: string };

/** How one kind of container is read through Graph delta and recorded in the catalog. Pure mapping only. */
export interface ContainerWorkload {
  kind: ItemKind;
  operation: GraphOperation;
  /** The first delta request of a round (options here are carried by Graph inside next/delta links). */
  initialUrl: string;
  /** The change an item is; its itemId is the item's catalog id (Graph's id unless it is unique only per list). */
  toChange(item: GraphItem): Change;
  /** Properties kept in the catalog for browsing, search and a faithful restore. */
  props(item: GraphItem): Record<string, unknown>;
  /**
   * Where the item's content comes from: a Graph URL to stream (message MIME, file bytes), the item itself
   * serialised (events, contacts), or nothing (folders).
   */
  content(item: GraphItem): { url: string; mime?: boolean } | { inline: true } | null;
  /** Why Microsoft 365 will not serve this item's content, when the listing already says so (a malware facet). */
  refused?(item: GraphItem): { code: string; reason: string } | undefined;
  /**
   * Items carry Outlook immutable ids (shared/graph/outlook-ids.ts): an item keeps its id when it moves to another
   * container of the protected item, where its history goes on, and a cursor from before them (REST ids) is started over.
   */
  immutableIds?: true;
  /**
   * The listing has no delta (a site's lists): every round enumerates it whole as a resync, so what it no longer
   * lists is recorded as deleted.
   */
  snapshot?: true;
}

/** What an administrator recognises an item by in a report: its subject, file name or display name. */
export const itemName = (item: GraphItem): string => {
  const name = [item.subject, item.name, item.displayName].find((v) => typeof v === 'string' && v.length > 0);
  return typeof name === 'string' ? name : `(untitled, id ${item.id})`;
};

export const pick = (item: GraphItem, keys: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(keys.filter((k) => item[k] !== undefined).map((k) => [k, item[k]]));

export const isRemoved = (item: GraphItem): boolean => item['@removed'] !== undefined;

export const seg = encodeURIComponent;
