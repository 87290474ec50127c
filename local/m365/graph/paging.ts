// Opaque next/delta tokens (base64url JSON, not secrets), carrying the round's query options as Graph does, so a
// client follows links verbatim and never resends $select.
import { GraphError } from './errors';
import type { VersionedCollection } from '../tenant/versioned-collection';

export interface Cursor {
  /** Collection generation the token belongs to; a bumped generation makes it invalid (410). */
  g: number;
  /** Initial round: position in the enumeration. */
  o?: number;
  /** Delta round: changes after this sequence number; `u` is where the round stops (its start). */
  s?: number;
  u?: number;
  /** Position within the delta round's change list. */
  i?: number;
  sel?: string;
}

export const encodeToken = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

export function decodeToken(token: string, expiredCode: string): Cursor {
  try {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw new GraphError(400, 'BadRequest', 'The delta or skip token is malformed.');
  }
  void expiredCode;
}

export interface DeltaPage<T> {
  items: Array<T | { id: string; '@removed': { reason: 'deleted' } }>;
  next?: Cursor;
  delta?: Cursor;
}

/**
 * One page of a delta round over a collection. An initial round enumerates the current state and ends with a delta
 * cursor at the sequence the round started at, so changes made while it paged are reported by the next round.
 */
export function deltaPage<T extends { id: string }>(coll: VersionedCollection<T>, cursor: Cursor | undefined, pageSize: number, expired: () => GraphError): DeltaPage<T> {
  if (cursor && cursor.g !== coll.generation) throw expired();
  const sel = cursor?.sel;
  const base = { g: coll.generation, ...(sel ? { sel } : {}) };
  if (!cursor || cursor.s === undefined) {
    const start = cursor?.o ?? 0;
    const until = cursor?.u ?? coll.currentSeq();
    const items: T[] = [];
    let last = start;
    for (const { position, item } of coll.enumerate(start)) {
      if (items.length >= pageSize) return { items, next: { ...base, o: position, u: until } };
      items.push(item);
      last = position + 1;
    }
    void last;
    return { items, delta: { ...base, s: until } };
  }
  const until = cursor.u ?? coll.currentSeq();
  const changes = coll.changesSince(cursor.s).filter((c) => c.seq <= until);
  // Latest state per item: Graph reports where an item ended up, not every step.
  const latest = new Map<string, (typeof changes)[number]>();
  for (const c of changes) latest.set(c.id, c);
  const list = [...latest.values()];
  const from = cursor.i ?? 0;
  const page = list.slice(from, from + pageSize).map((c) => c.item ?? { id: c.id, '@removed': { reason: 'deleted' as const } });
  if (from + pageSize < list.length) return { items: page, next: { ...base, s: cursor.s, u: until, i: from + pageSize } };
  return { items: page, delta: { ...base, s: until } };
}
