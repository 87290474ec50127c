// What changed in a protected item between two recovery points, from the versions whose validity interval ends or
// starts between them: O(changes), never a comparison of two full copies. Computed a page of versions at a time,
// each page with the same items' versions at the other point, so no step holds more than a page. Pure.
import type { VersionDoc } from '../catalog/version-doc';
import { textOf } from '../domain/text';

export interface DifferenceEntry {
  itemId: string;
  kind: VersionDoc['kind'];
  name: string;
  change: 'added' | 'removed' | 'changed';
  /** For 'changed': the properties that differ, and whether the content (MIME, file bytes) did. */
  properties?: string[];
  contentChanged?: boolean;
}

/**
 * 'ended': versions valid at the earlier point that ended by the later one (the item was removed or changed);
 * 'started': versions valid at the later point that began after the earlier one (added, or the changed item's new
 * state). A version that began and ended between the points belongs to neither.
 */
export type Edge = 'ended' | 'started';

// Items are told apart by kind and id across containers: an Outlook item that moved to another folder keeps its id
// (immutable ids), so the move is one changed item (parentFolderId), not one removed and one added.
const keyOf = (d: VersionDoc): string => `${d.kind}\u0000${d.itemId}`;
const nameOf = (d: VersionDoc): string => textOf([d.props.subject, d.props.displayName, d.props.name], d.itemId);
const contentId = (d: VersionDoc): string | undefined =>
  d.content ? ('mime' in d.content ? d.content.mime.sha256 : d.content.blob.sha256) : undefined;

/** Properties that change on every write without meaning a change the administrator would care about. */
const NOISE = new Set([
  'lastModifiedDateTime',
  'changeKey',
  'cTag',
  'eTag',
  'totalItemCount',
  'unreadItemCount',
  'childFolderCount',
]);

function changed(a: VersionDoc, b: VersionDoc): DifferenceEntry | undefined {
  const keys = new Set([...Object.keys(a.props), ...Object.keys(b.props)]);
  const properties = [...keys]
    .filter((k) => !NOISE.has(k) && JSON.stringify(a.props[k]) !== JSON.stringify(b.props[k]))
    .sort();
  const contentChanged = contentId(a) !== contentId(b);
  if (!properties.length && !contentChanged) return undefined;
  return { itemId: b.itemId, kind: b.kind, name: nameOf(b), change: 'changed', properties, contentChanged };
}

/**
 * The entries of one page of an edge, given the versions of the page's items at the other point (the later one
 * for 'ended', the earlier one for 'started'). An item that changed is reported once, from its 'ended' version.
 */
export function pageEntries(
  edge: Edge,
  page: readonly VersionDoc[],
  atOtherPoint: readonly VersionDoc[],
): DifferenceEntry[] {
  const other = new Map(atOtherPoint.map((d) => [keyOf(d), d]));
  return page.flatMap((d): DifferenceEntry[] => {
    const counterpart = other.get(keyOf(d));
    if (edge === 'started')
      return counterpart ? [] : [{ itemId: d.itemId, kind: d.kind, name: nameOf(d), change: 'added' }];
    if (!counterpart) return [{ itemId: d.itemId, kind: d.kind, name: nameOf(d), change: 'removed' }];
    const entry = changed(d, counterpart);
    return entry ? [entry] : [];
  });
}
