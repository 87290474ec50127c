// What changed in a protected item between two recovery points, from the versions whose validity interval starts
// or ends between them: O(changes), never a comparison of two full copies. Pure.
import type { VersionDoc } from '../catalog/version-doc';

export interface DifferenceEntry {
  itemId: string;
  kind: VersionDoc['kind'];
  name: string;
  change: 'added' | 'removed' | 'changed';
  /** For 'changed': the properties that differ, and whether the content (MIME, file bytes) did. */
  properties?: string[];
  contentChanged?: boolean;
}

const validAt = (d: VersionDoc, seq: number): boolean => d.validFrom <= seq && (d.validTo === undefined || d.validTo > seq);
const nameOf = (d: VersionDoc): string => String(d.props.subject ?? d.props.displayName ?? d.props.name ?? d.itemId);
const contentId = (d: VersionDoc): string | undefined => (d.content ? ('mime' in d.content ? d.content.mime.sha256 : d.content.blob.sha256) : undefined);

/** Properties that change on every write without meaning a change the administrator would care about. */
const NOISE = new Set(['lastModifiedDateTime', 'changeKey', 'cTag', 'eTag', 'totalItemCount', 'unreadItemCount', 'childFolderCount']);

export function differences(versions: readonly VersionDoc[], fromSeq: number, toSeq: number): DifferenceEntry[] {
  const before = new Map<string, VersionDoc>();
  const after = new Map<string, VersionDoc>();
  for (const d of versions) {
    const key = `${d.containerId}\u0000${d.itemId}`;
    if (validAt(d, fromSeq)) before.set(key, d);
    if (validAt(d, toSeq)) after.set(key, d);
  }
  const out: DifferenceEntry[] = [];
  for (const [key, a] of before) {
    const b = after.get(key);
    if (!b) {
      out.push({ itemId: a.itemId, kind: a.kind, name: nameOf(a), change: 'removed' });
      continue;
    }
    if (a.id === b.id && a.validFrom === b.validFrom) continue;
    const keys = new Set([...Object.keys(a.props), ...Object.keys(b.props)]);
    const properties = [...keys].filter((k) => !NOISE.has(k) && JSON.stringify(a.props[k]) !== JSON.stringify(b.props[k])).sort();
    const contentChanged = contentId(a) !== contentId(b);
    if (properties.length || contentChanged) out.push({ itemId: b.itemId, kind: b.kind, name: nameOf(b), change: 'changed', properties, contentChanged });
  }
  for (const [key, b] of after) if (!before.has(key)) out.push({ itemId: b.itemId, kind: b.kind, name: nameOf(b), change: 'added' });
  return out.sort((x, y) => x.change.localeCompare(y.change) || x.kind.localeCompare(y.kind) || x.name.localeCompare(y.name));
}
