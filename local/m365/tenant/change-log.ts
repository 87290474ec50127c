// A versioned collection with Graph delta semantics, shared by every workload (folders, messages, events, contacts,
// users, groups, and F's drive items, list items, channel messages).
//
// Base items are generated on demand from an index (nothing is held in memory for them); mutations are an overlay of
// entries stamped with the tenant's increasing change sequence. A delta token is (collection, generation, sequence),
// opaque to clients: an initial round pages over positions and ends with a token at the sequence the round started
// at; a later round reports every entry changed after that sequence in sequence order. So a change made while a round
// pages is replayed in the next round, and an item changed again between two pages of a round appears twice in it —
// both as Graph does. Bumping the generation (control API) invalidates every token: the client gets 410.

export interface SeqClock {
  next(): number;
  current(): number;
}

export type RemovedReason = 'changed' | 'deleted';

/** The generated part of a collection. */
export interface BaseItems<T> {
  readonly count: number;
  at(index: number): T;
  /** Index of a base item by id, or undefined when the id is not one of the base items. */
  indexOf(id: string): number | undefined;
}

export const noBaseItems = <T>(): BaseItems<T> => ({
  count: 0,
  at: () => {
    throw new RangeError('no base items');
  },
  indexOf: () => undefined,
});

/** Base items from a small array built once (folders, users, groups). */
export function arrayBase<T extends { id: string }>(build: () => T[]): BaseItems<T> {
  let items: T[] | undefined;
  let index: Map<string, number> | undefined;
  const all = (): T[] => (items ??= build());
  return {
    get count() {
      return all().length;
    },
    at: (i) => all()[i],
    indexOf: (id) => (index ??= new Map(all().map((x, i) => [x.id, i]))).get(id),
  };
}

export interface HistoryEntry {
  seq: number;
  /** Properties the change touched ('all' for creations and wholesale replacements). */
  props: readonly string[] | 'all';
  /** Workload-specific detail, e.g. the members a group change added or removed. */
  detail?: unknown;
}

export interface Entry<T> {
  id: string;
  /** Current state; null once removed. */
  item: T | null;
  /** Last live state (what a removed item was). */
  last: T;
  /** Latest change. */
  seq: number;
  /** Sequence that created the item (0 for base items). */
  created: number;
  reason?: RemovedReason;
  history: HistoryEntry[];
}

export class ChangeLog<T extends { id: string }> {
  /** Tokens of another generation are expired (410). */
  generation = 1;
  /** Map order is kept equal to sequence order: an entry is re-inserted on every change. */
  private readonly entries = new Map<string, Entry<T>>();
  private readonly createdOrder: string[] = [];
  private removedBase = 0;
  private liveCreated = 0;

  constructor(
    readonly key: string,
    readonly base: BaseItems<T>,
    private readonly clock: SeqClock,
  ) {}

  get(id: string): T | undefined {
    const e = this.entries.get(id);
    if (e) return e.item ?? undefined;
    const i = this.base.indexOf(id);
    return i === undefined ? undefined : this.base.at(i);
  }

  /** Removed items that are still restorable (reason 'changed', e.g. soft-deleted users). */
  softDeleted(): T[] {
    return [...this.entries.values()].filter((e) => e.item === null && e.reason === 'changed').map((e) => e.last);
  }

  /** Live items. */
  get size(): number {
    return this.base.count - this.removedBase + this.liveCreated;
  }

  /** Positions of the initial enumeration: base items, then created items in creation order. */
  get positions(): number {
    return this.base.count + this.createdOrder.length;
  }

  /** The live item at a position, or undefined when it was removed. */
  itemAt(position: number): T | undefined {
    if (position < this.base.count) {
      const baseItem = this.base.at(position);
      const e = this.entries.get(baseItem.id);
      return e ? (e.item ?? undefined) : baseItem;
    }
    const id = this.createdOrder[position - this.base.count];
    return id === undefined ? undefined : (this.entries.get(id)?.item ?? undefined);
  }

  /** Live items in enumeration order (small collections, control API). */
  *all(): Generator<T> {
    for (let p = 0; p < this.positions; p++) {
      const item = this.itemAt(p);
      if (item) yield item;
    }
  }

  /** Adds a new item (ids are never reused: a moved or re-created item gets a new one, as in Exchange). */
  create(item: T): number {
    if (this.entries.has(item.id) || this.base.indexOf(item.id) !== undefined)
      throw new Error(`${this.key}: ${item.id} exists`);
    const seq = this.clock.next();
    this.createdOrder.push(item.id);
    this.liveCreated++;
    this.put({ id: item.id, item, last: item, seq, created: seq, history: [{ seq, props: 'all' }] });
    return seq;
  }

  /** Records a change of an existing item; `props` names what changed (drives $select-aware delta). */
  update(item: T, props: readonly string[] | 'all', detail?: unknown): number {
    const previous = this.entries.get(item.id);
    if (!this.get(item.id)) throw new Error(`${this.key}: ${item.id} does not exist`);
    const seq = this.clock.next();
    this.put({
      id: item.id,
      item,
      last: item,
      seq,
      created: previous?.created ?? 0,
      history: [...(previous?.history ?? []), { seq, props, ...(detail === undefined ? {} : { detail }) }],
    });
    return seq;
  }

  /** Removes an item: 'deleted' is permanent, 'changed' is a soft delete that `restore` can undo. */
  remove(id: string, reason: RemovedReason = 'deleted'): T | undefined {
    const current = this.get(id);
    const previous = this.entries.get(id);
    if (!current) {
      // Purging a soft-deleted item turns its 'changed' removal into 'deleted'.
      if (previous?.reason === 'changed' && reason === 'deleted')
        this.put({ ...previous, seq: this.clock.next(), reason });
      return undefined;
    }
    const seq = this.clock.next();
    const created = previous?.created ?? 0;
    if (created === 0) this.removedBase++;
    else this.liveCreated--;
    this.put({
      id,
      item: null,
      last: current,
      seq,
      created,
      reason,
      history: [...(previous?.history ?? []), { seq, props: 'all' }],
    });
    return current;
  }

  /** Brings a soft-deleted item back (a restored user). */
  restore(id: string): T | undefined {
    const previous = this.entries.get(id);
    if (!previous || previous.item !== null || previous.reason !== 'changed') return undefined;
    const seq = this.clock.next();
    if (previous.created === 0) this.removedBase--;
    else this.liveCreated++;
    const { reason: _dropped, ...rest } = previous;
    void _dropped;
    this.put({ ...rest, item: previous.last, seq, history: [...previous.history, { seq, props: 'all' }] });
    return previous.last;
  }

  private put(e: Entry<T>): void {
    this.entries.delete(e.id);
    this.entries.set(e.id, e);
  }

  /** Entries changed after `seq`, in sequence order. */
  *changedAfter(seq: number): Generator<Entry<T>> {
    for (const e of this.entries.values()) if (e.seq > seq) yield e;
  }

  /** Every overlay entry (for counts derived from the overlay). */
  overlay(): IterableIterator<Entry<T>> {
    return this.entries.values();
  }

  currentSeq(): number {
    return this.clock.current();
  }

  /** Invalidates every token issued so far (the next call with one answers 410). */
  expire(): void {
    this.generation++;
  }
}

// ---- delta tokens and pages -------------------------------------------------------------------------------------

export type ChangeTypeFilter = 'created' | 'updated' | 'deleted';

/** Query options of a round, fixed by its first request and carried by every token of the round. */
export interface DeltaOptions {
  select?: string[];
  changeType?: ChangeTypeFilter;
  /** Other round parameters, e.g. calendarView's startDateTime/endDateTime. */
  params?: Record<string, string>;
}

export interface DeltaToken {
  /** Collection key: a token only works on the collection that issued it. */
  k: string;
  g: number;
  /** Baseline: the round reports changes after this sequence. */
  s: number;
  /** Initial round: next position. */
  p?: number;
  /** Change round: last sequence delivered. */
  a?: number;
  /**
   * A change whose entries a page split (a series' instances): its first `i` entries were delivered. `s` is its
   * sequence, so a change that changed again meanwhile is delivered whole where it now belongs.
   */
  u?: { id: string; s: number; i: number };
  o?: DeltaOptions;
  /** When the token was issued (emulator clock, ms): for resources whose tokens have a lifetime. */
  at?: number;
}

export const encodeDeltaToken = (t: DeltaToken): string => Buffer.from(JSON.stringify(t)).toString('base64url');

/** The token, or undefined when it is not one (garbage is treated like an evicted token by callers). */
export function decodeDeltaToken(text: string): DeltaToken | undefined {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<DeltaToken>;
    return typeof t.k === 'string' && typeof t.g === 'number' && typeof t.s === 'number'
      ? (t as DeltaToken)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface DeltaChange<T> {
  kind: 'created' | 'updated' | 'removed';
  id: string;
  /** Current state (created/updated) or last state (removed). */
  item: T;
  reason?: RemovedReason;
  /** Properties changed since the round's baseline. */
  props: Set<string> | 'all';
  /** Details of the changes since the baseline, oldest first. */
  details: unknown[];
  /** Part of an initial round (the current state), not a change since a token. */
  initial?: true;
  /** Only entries [from, to) of the change's rendering belong to this page (a page split it). */
  slice?: { from: number; to?: number };
}

export type DeltaPage<T> =
  { expired: true } | { expired: false; changes: DeltaChange<T>[]; next?: DeltaToken; delta?: DeltaToken };

/** A token that starts "from now": no data, only a deltaLink ($deltaToken=latest, token=latest). */
export const latestToken = (log: ChangeLog<{ id: string }>, o?: DeltaOptions): DeltaToken => ({
  k: log.key,
  g: log.generation,
  s: log.currentSeq(),
  ...(o ? { o } : {}),
});

/**
 * One page of a delta round. `size` bounds the entries a page holds: one per position (initial round) or change
 * (change round), or with `weigh` as many as the change renders to (a series is its instances), a change split
 * across pages when it renders more than a page has room for. A deleted position, or a change the changeType filter
 * or the rendering drops, still counts one, so a page of them is empty and still carries a nextLink — as Graph's can.
 */
export function deltaPage<T extends { id: string }>(
  log: ChangeLog<T>,
  token: DeltaToken | undefined,
  size: number,
  first?: DeltaOptions,
  weigh: (c: DeltaChange<T>) => number = () => 1,
): DeltaPage<T> {
  if (token && (token.k !== log.key || token.g !== log.generation)) return { expired: true };
  const o = token ? token.o : first;
  const keep = { k: log.key, g: log.generation, ...(o ? { o } : {}) };
  const changes: DeltaChange<T>[] = [];
  let room = size;
  /** Adds what fits of a change; the entries of it still to come when it does not fit whole. */
  const take = (change: DeltaChange<T>, done: number): number | undefined => {
    const left = weigh(change) - done;
    if (left > room) {
      changes.push({ ...change, slice: { from: done, to: done + room } });
      const upTo = done + room;
      room = 0;
      return upTo;
    }
    if (left > 0) changes.push(done ? { ...change, slice: { from: done } } : change);
    room -= Math.max(1, left);
    return undefined;
  };
  if (!token || token.p !== undefined) {
    const baseline = token?.s ?? log.currentSeq();
    // A round's $skip (a round parameter, Teams') leaves out the first positions of the initial round.
    for (let p = token?.p ?? Number(o?.params?.$skip ?? 0); p < log.positions; p++) {
      if (room <= 0) return { expired: false, changes, next: { ...keep, s: baseline, p } };
      const item = log.itemAt(p);
      if (!item) {
        room--;
        continue;
      }
      const done = token?.u && token.p === p && token.u.id === item.id ? token.u.i : 0;
      // changeType limits later rounds only; the initial round is the current state.
      const upTo = take({ kind: 'created', id: item.id, item, props: 'all', details: [], initial: true }, done);
      if (upTo !== undefined)
        return { expired: false, changes, next: { ...keep, s: baseline, p, u: { id: item.id, s: 0, i: upTo } } };
    }
    return { expired: false, changes, delta: { ...keep, s: baseline } };
  }
  const after = token.a ?? token.s;
  let last = after;
  for (const e of log.changedAfter(after)) {
    if (room <= 0) return { expired: false, changes, next: { ...keep, s: token.s, a: last } };
    const change = toChange(e, token.s);
    if (!change || (o?.changeType && o.changeType !== (change.kind === 'removed' ? 'deleted' : change.kind))) {
      room--;
      last = e.seq;
      continue;
    }
    const done = token.u && token.u.id === e.id && token.u.s === e.seq ? token.u.i : 0;
    const upTo = take(change, done);
    if (upTo !== undefined)
      return { expired: false, changes, next: { ...keep, s: token.s, a: last, u: { id: e.id, s: e.seq, i: upTo } } };
    last = e.seq;
  }
  return { expired: false, changes, delta: { ...keep, s: Math.max(last, log.currentSeq()) } };
}

function toChange<T extends { id: string }>(e: Entry<T>, baseline: number): DeltaChange<T> | undefined {
  const since = e.history.filter((h) => h.seq > baseline);
  const props: Set<string> | 'all' = since.some((h) => h.props === 'all')
    ? 'all'
    : new Set(since.flatMap((h) => h.props as string[]));
  const details = since.map((h) => h.detail).filter((d) => d !== undefined);
  if (e.item === null)
    return { kind: 'removed', id: e.id, item: e.last, reason: e.reason ?? 'deleted', props: 'all', details };
  return { kind: e.created > baseline ? 'created' : 'updated', id: e.id, item: e.item, props, details };
}
