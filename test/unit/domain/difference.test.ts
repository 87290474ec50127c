import type { VersionDoc } from '../../../shared/catalog/version-doc';
import { DifferenceEntry, pageEntries } from '../../../shared/difference/difference';

const v = (
  itemId: string,
  validFrom: number,
  validTo: number | undefined,
  props: Record<string, unknown>,
  sha = 'a'.repeat(64),
): VersionDoc => ({
  id: `${itemId}@${validFrom}`,
  protectedItemId: 'p',
  containerId: 'messages:inbox',
  itemId,
  kind: 'message',
  validFrom,
  ...(validTo !== undefined ? { validTo } : {}),
  props,
  content: { blob: { sha256: sha, size: 1, encoding: 'identity' } },
});

const validAt = (d: VersionDoc, seq: number): boolean =>
  d.validFrom <= seq && (d.validTo === undefined || d.validTo > seq);

/** Both edges as the version store selects them, each a page of its own; sorted for comparison. */
function differences(versions: VersionDoc[], from: number, to: number): DifferenceEntry[] {
  const ended = versions.filter((d) => validAt(d, from) && d.validTo !== undefined && d.validTo <= to);
  const started = versions.filter((d) => validAt(d, to) && d.validFrom > from);
  const entries = [
    ...pageEntries(
      'ended',
      ended,
      versions.filter((d) => validAt(d, to)),
    ),
    ...pageEntries(
      'started',
      started,
      versions.filter((d) => validAt(d, from)),
    ),
  ];
  return entries.sort((x, y) => x.change.localeCompare(y.change) || x.name.localeCompare(y.name));
}

describe('differences between two recovery points', () => {
  const versions = [
    v('kept-changed', 1, 3, { subject: 'Plan', isRead: false, lastModifiedDateTime: 'x' }),
    v('kept-changed', 3, undefined, { subject: 'Plan', isRead: true, lastModifiedDateTime: 'y' }),
    v('removed', 1, 2, { subject: 'Old' }),
    v('added', 4, undefined, { subject: 'New' }),
    v('transient', 2, 3, { subject: 'Came and went' }),
    v('noise-only', 1, 2, { subject: 'Same', lastModifiedDateTime: 'a' }),
    v('noise-only', 2, undefined, { subject: 'Same', lastModifiedDateTime: 'b' }),
    v('content', 1, 2, { subject: 'Draft' }, 'a'.repeat(64)),
    v('content', 2, undefined, { subject: 'Draft' }, 'b'.repeat(64)),
  ];

  it('lists added, removed and changed items with the properties that changed, ignoring noise and items that came and went', () => {
    expect(differences(versions, 1, 4)).toEqual([
      { itemId: 'added', kind: 'message', name: 'New', change: 'added' },
      { itemId: 'content', kind: 'message', name: 'Draft', change: 'changed', properties: [], contentChanged: true },
      {
        itemId: 'kept-changed',
        kind: 'message',
        name: 'Plan',
        change: 'changed',
        properties: ['isRead'],
        contentChanged: false,
      },
      { itemId: 'removed', kind: 'message', name: 'Old', change: 'removed' },
    ]);
  });

  it('is empty between a point and itself, and reads either direction of the interval boundaries', () => {
    expect(differences(versions, 3, 3)).toEqual([]);
    expect(differences(versions, 2, 3).map((d) => `${d.change}:${d.itemId}`)).toEqual([
      'changed:kept-changed',
      'removed:transient',
    ]);
  });

  it('reports an item that moved to another container (its immutable id kept) as one changed item, its folder the change', () => {
    const moved = [
      v('m', 1, 2, { subject: 'Moved', parentFolderId: 'inbox' }),
      { ...v('m', 2, undefined, { subject: 'Moved', parentFolderId: 'archive' }), containerId: 'messages:archive' },
    ];
    expect(differences(moved, 1, 2)).toEqual([
      {
        itemId: 'm',
        kind: 'message',
        name: 'Moved',
        change: 'changed',
        properties: ['parentFolderId'],
        contentChanged: false,
      },
    ]);
  });
});
