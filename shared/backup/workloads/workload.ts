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
  toChange(item: GraphItem): Change;
  /** Properties kept in the catalog for browsing, search and a faithful restore. */
  props(item: GraphItem): Record<string, unknown>;
  /**
   * Where the item's content comes from: a Graph URL to stream (message MIME, file bytes), the item itself
   * serialised (events, contacts), or nothing (folders).
   */
  content(item: GraphItem): { url: string; mime?: boolean } | { inline: true } | null;
}

export const pick = (item: GraphItem, keys: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(keys.filter((k) => item[k] !== undefined).map((k) => [k, item[k]]));

export const isRemoved = (item: GraphItem): boolean => item['@removed'] !== undefined;

export const seg = encodeURIComponent;
