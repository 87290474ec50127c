// A collection with Graph delta semantics, shared by every workload: lazily generated base items plus an overlay
// of changes, each stamped with the tenant's increasing sequence number. Delta tokens are (generation, sequence):
// a round started at sequence S reports everything changed after S, latest state per item, deletions included;
// expiring the collection's tokens bumps its generation so old tokens answer 410.

export interface Change<T> {
  seq: number;
  id: string;
  item: T | null;
}

export class VersionedCollection<T extends { id: string }> {
  private readonly changes = new Map<string, Change<T>>();
  generation = 0;

  constructor(
    /** Number of base items; base item i is produced by `base(i)` on demand. */
    readonly baseCount: number,
    private readonly base: (index: number) => T,
    private readonly clock: { next(): number; current(): number },
  ) {}

  /** Current state of one item, or undefined if it does not exist (never did, or was deleted). */
  get(id: string): T | undefined {
    const c = this.changes.get(id);
    if (c) return c.item ?? undefined;
    const index = this.indexOf(id);
    return index === undefined ? undefined : this.base(index);
  }

  private baseIds: Map<string, number> | undefined;

  /** Base ids are derived from indices; the reverse map is built once, on first need. */
  private indexOf(id: string): number | undefined {
    if (!this.baseIds) {
      this.baseIds = new Map();
      for (let i = 0; i < this.baseCount; i++) this.baseIds.set(this.base(i).id, i);
    }
    return this.baseIds.get(id);
  }

  put(item: T): number {
    const seq = this.clock.next();
    this.changes.set(item.id, { seq, id: item.id, item });
    return seq;
  }

  delete(id: string): boolean {
    if (!this.get(id)) return false;
    this.changes.set(id, { seq: this.clock.next(), id, item: null });
    return true;
  }

  /** The initial enumeration, from position `offset`: base items (as they are now) then overlay-only additions. */
  *enumerate(offset = 0): Generator<{ position: number; item: T }> {
    let position = 0;
    for (let i = 0; i < this.baseCount; i++, position++) {
      if (position < offset) continue;
      const baseItem = this.base(i);
      const c = this.changes.get(baseItem.id);
      if (c && !c.item) continue;
      yield { position, item: c?.item ?? baseItem };
    }
    for (const c of this.changes.values()) {
      if (position++ < offset) continue;
      if (c.item && this.indexOf(c.id) === undefined) yield { position: position - 1, item: c.item };
    }
  }

  /** Changes after `sinceSeq`, oldest first; deleted items come back with `item: null`. */
  changesSince(sinceSeq: number): Change<T>[] {
    return [...this.changes.values()].filter((c) => c.seq > sinceSeq).sort((a, b) => a.seq - b.seq);
  }

  currentSeq(): number {
    return this.clock.current();
  }

  /** Every live item (base and overlay) — for small collections and control-API reads. */
  all(): T[] {
    return [...this.enumerate()].map((e) => e.item);
  }
}
