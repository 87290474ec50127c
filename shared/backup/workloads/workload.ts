import type { GraphOperation } from '../../domain/graph-permissions';
import type { Change } from '../../domain/version-plan';
import type { ItemKind } from '../../catalog/version-doc';

export type GraphItem = Record<string, unknown> & { id: string };

/** One fact read apart for an item (ContainerWorkload.details). */
export interface ItemDetail {
  prop: string;
  url: string;
  keep(values: GraphItem[]): unknown;
}

/** How one kind of container is read through Graph delta and recorded in the catalog. Pure mapping only. */
export interface ContainerWorkload {
  kind: ItemKind;
  operation: GraphOperation;
  /** The first delta request of a round (options here are carried by Graph inside next/delta links). */
  initialUrl: string;
  /** Preferences every listing request states (RFC 7240), beside the page size: Graph wants them on each request. */
  prefer?: string;
  /** The change an item is; its itemId is the item's catalog id (Graph's id unless it is unique only per list). */
  toChange(item: GraphItem): Change;
  /** Properties kept in the catalog for browsing, search and a faithful restore. */
  props(item: GraphItem): Record<string, unknown>;
  /**
   * Where the item's content comes from: a Graph URL to stream (message MIME, file bytes), the item itself
   * serialised (events, contacts), bytes the listing carried base64-encoded (a post's file attachment, which Graph
   * v1.0 serves an application only through $expand), or nothing (folders).
   */
  content(item: GraphItem): { url: string; mime?: boolean } | { inline: true } | { base64: string } | null;
  /**
   * The catalog items one listed item stands for, when more than itself: a post listed with its attachments is the
   * post (their metadata kept, their bytes not) and one item per attachment.
   */
  expand?(item: GraphItem): GraphItem[];
  /**
   * Facts about the item its listing does not carry, each a Graph collection read in full when a new version of the
   * item is written (a file's version history): a request per changed item and fact, kept in its props as `prop`.
   * `props` names them all: a container last listed without one of them is listed whole again, and each item whose
   * current version lacks a fact it has gets a new version with it (its content kept).
   */
  details?: { props: string[]; of(item: GraphItem): ItemDetail[] };
  /** Graph offers no delta for the container: rounds follow a watermark instead (see Watermarked). */
  watermark?: Watermarked;
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

/**
 * A container Graph tracks no changes of (group conversations: no delta). Each round lists from initialUrl again,
 * instead of following a deltaLink. A watermark round takes the listing, which comes newest mark first, down to the
 * last round's mark and stops there; a full round (the first, then each `reconcile` of SyncDeps, or every round when
 * `everyRound`) lists everything and records what it did not list as deleted, as a resync does.
 */
export interface Watermarked {
  /** The item's mark, an ISO 8601 UTC time (e.g. lastDeliveredDateTime): compared as text. */
  markOf(item: GraphItem): string | undefined;
  /** Every round is full (a small listing read only when its parent says it changed). */
  everyRound?: true;
  /** The mark a completed round records, when known before listing (the thread's lastDeliveredDateTime). */
  mark?: string;
  /** A full round whose listing answers 404 (its parent was deleted since) lists nothing: what it held is gone. */
  goneIsEmpty?: true;
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
