// Decides what a page of delta changes does to the catalog, given the items' current heads. Pure, so every rule of
// "nothing lost, nothing duplicated" is unit-tested here and the adapters only execute the plan.

export interface Head {
  itemId: string;
  validFrom: number;
  /** Graph's change marker (changeKey / eTag): equal means the change was already recorded. */
  changeKey?: string;
  /** What identifies the content (e.g. a file's quickXorHash + size); absent when content never changes. */
  contentKey?: string;
  hasContent: boolean;
  /** Set during a full resynchronisation to the run's sequence when the item was seen. */
  resyncMark?: number;
  /**
   * The item's latest version is in another container of the protected item: it moved (its Outlook immutable id
   * stayed). Its content carries over; the version there is closed by the write here, whichever folder's sync sees
   * the move first.
   */
  elsewhere?: true;
}

export type Change =
  | {
      kind: 'upsert';
      itemId: string;
      changeKey?: string;
      contentKey?: string;
      mutableContent?: boolean;
      hasContent: boolean;
      /** Changed although its change key did not move (a file's sharing): a new version, its content kept. */
      changed?: true;
    }
  | { kind: 'delete'; itemId: string };

export type VersionOp =
  | { op: 'put'; itemId: string; index: number; closeFrom?: number; fetchContent: boolean }
  | { op: 'delete'; itemId: string; closeFrom?: number }
  | { op: 'mark'; itemId: string }
  | { op: 'skip'; itemId: string };

export interface PlanOptions {
  /** Sequence number of the recovery point being written. */
  seq: number;
  /** True while a container is being re-enumerated after its delta token expired. */
  resync: boolean;
}

/** Delta may repeat an item within a round; the last occurrence is the item's state. */
export function lastOccurrences(changes: readonly Change[]): Array<{ change: Change; index: number }> {
  const last = new Map<string, number>();
  changes.forEach((c, i) => last.set(c.itemId, i));
  return [...last.values()].sort((a, b) => a - b).map((index) => ({ change: changes[index], index }));
}

function needsContent(change: Extract<Change, { kind: 'upsert' }>, head: Head | undefined): boolean {
  if (!change.hasContent) return false;
  if (!head || !head.hasContent) return true;
  if (change.contentKey !== undefined) return change.contentKey !== head.contentKey;
  // Without a content marker (mail), content only changes while it is mutable (a draft).
  return change.mutableContent === true;
}

export function planPage(changes: readonly Change[], heads: ReadonlyMap<string, Head>, opts: PlanOptions): VersionOp[] {
  return lastOccurrences(changes).map(({ change, index }): VersionOp => {
    const head = heads.get(change.itemId);
    // A head written by this very run is rewritten in place: its state was never part of a finished recovery point.
    const closeFrom = head && head.validFrom < opts.seq ? head.validFrom : undefined;
    if (change.kind === 'delete') {
      // Removed from here: a version elsewhere is that folder's to close (the item may live on there).
      return head && !head.elsewhere
        ? { op: 'delete', itemId: change.itemId, ...(closeFrom !== undefined ? { closeFrom } : {}) }
        : { op: 'skip', itemId: change.itemId };
    }
    // Arrived from another container: always written here (its change key may not have moved), never downloaded again for that.
    if (head?.elsewhere) return { op: 'put', itemId: change.itemId, index, fetchContent: needsContent(change, head) };
    if (head && !change.changed && change.changeKey !== undefined && change.changeKey === head.changeKey) {
      return opts.resync && head.resyncMark !== opts.seq
        ? { op: 'mark', itemId: change.itemId }
        : { op: 'skip', itemId: change.itemId };
    }
    return {
      op: 'put',
      itemId: change.itemId,
      index,
      ...(closeFrom !== undefined ? { closeFrom } : {}),
      fetchContent: needsContent(change, head),
    };
  });
}

/**
 * After a resync round completes, heads it did not mark were deleted while the token was invalid. Writes made by
 * the resync carry the mark too; a head written earlier in the same run, before the token expired, does not.
 */
export function unseenAfterResync(heads: Iterable<Head>, seq: number): VersionOp[] {
  const ops: VersionOp[] = [];
  for (const h of heads) {
    if (h.resyncMark !== seq)
      ops.push({ op: 'delete', itemId: h.itemId, ...(h.validFrom < seq ? { closeFrom: h.validFrom } : {}) });
  }
  return ops;
}
