// The stand-in runs every query over every document of a container and ignores the partition key the request names.
// Cosmos DB runs a query that names a partition key (or, with hierarchical keys, a prefix of one) in that logical
// partition only: its cost and its rows do not depend on the other partitions. This keeps a per-partition index of
// each container's documents (by the first level of the key) and runs a query that names a key over that partition
// alone (and, where it names more levels of a hierarchical key, filters by them). Same rows for the product's queries, which repeat the key in their WHERE; a query naming a key and
// selecting documents of other partitions now gets what Cosmos DB returns: none of them. Local only.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { standInModule } from './cosmos-stand-in-modules';

interface StoredItem {
  read(): Record<string, unknown>;
}
interface ItemsInternals {
  _data: Map<string, StoredItem>;
  _partitionKeyPath: string[];
  _getPartition(data: Record<string, unknown>): unknown;
  _item(keyPath: string, value: unknown, partition: unknown): { read(): Record<string, unknown> | undefined };
  _set(data: Record<string, unknown>): Record<string, unknown>;
  delete(idOrRid: string, partition: unknown): void;
  query(params: unknown, options: unknown): unknown;
  __partitions?: Map<string, Map<string, StoredItem>>;
}
type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const requestKey = new AsyncLocalStorage<{ key: unknown[] | undefined }>();
const PATCHED = Symbol.for('m365v.partitionScope');

const isKeyValue = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** The partition key (or key prefix) a request names (`x-ms-documentdb-partitionkey: ["a", …]`), if it names one. */
export function namedKey(header: string | string[] | undefined): unknown[] | undefined {
  if (typeof header !== 'string') return undefined;
  try {
    const value = JSON.parse(header) as unknown;
    return Array.isArray(value) && value.length > 0 && value.every(isKeyValue) ? value : undefined;
  } catch {
    return undefined;
  }
}

const valueAt = (doc: Record<string, unknown>, path: string): unknown =>
  path
    .slice(1)
    .split('/')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), doc);

/** The documents of the partition a key (prefix) names. */
function partitionData(items: ItemsInternals, key: unknown[]): Map<string, StoredItem> {
  const first = partitionsOf(items).get(JSON.stringify(key[0])) ?? new Map<string, StoredItem>();
  if (key.length === 1) return first;
  const paths = items._partitionKeyPath;
  return new Map(
    [...first].filter(([, item]) => {
      const doc = item.read();
      return key.every((v, level) => level === 0 || valueAt(doc, paths[level]) === v);
    }),
  );
}

// Built on a container's first keyed query, then kept current by every write (databases and containers, stored by
// the same class, never get one).
const partitionsOf = (items: ItemsInternals): Map<string, Map<string, StoredItem>> => {
  if (!items.__partitions) {
    items.__partitions = new Map();
    for (const [rid, item] of items._data) indexItem(items, rid, item);
  }
  return items.__partitions;
};

function indexItem(items: ItemsInternals, rid: string, item: StoredItem): void {
  const key = JSON.stringify(items._getPartition(item.read()) ?? null);
  let partition = items.__partitions!.get(key);
  if (!partition) items.__partitions!.set(key, (partition = new Map<string, StoredItem>()));
  partition.set(rid, item);
}

/** Patches the stand-in's document store; true when in effect. */
export function installPartitionScope(): boolean {
  const Items = standInModule<{ default: { prototype: ItemsInternals } }>(
    '@vercel/cosmosdb-server/lib/account/items',
  ).default;
  const proto = Items.prototype as ItemsInternals & { [PATCHED]?: boolean };
  if (proto[PATCHED]) return true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- each is called with the store as `this` below
  const { _set, delete: remove, query } = proto;
  if (!_set || !remove || !query) return false;
  proto._set = function (this: ItemsInternals, data) {
    const stored = _set.call(this, data);
    if (this.__partitions) indexItem(this, stored._rid as string, this._data.get(stored._rid as string)!);
    return stored;
  };
  proto.delete = function (this: ItemsInternals, idOrRid, partition) {
    const doc = this._item('/id', idOrRid, partition).read();
    remove.call(this, idOrRid, partition);
    if (doc && this.__partitions)
      this.__partitions.get(JSON.stringify(this._getPartition(doc) ?? null))?.delete(doc._rid as string);
  };
  proto.query = function (this: ItemsInternals, params, options) {
    const key = requestKey.getStore()?.key;
    if (key === undefined) return query.call(this, params, options);
    // The original reads `this._data`: hand it the partition's documents for this call only.
    const all = this._data;
    this._data = partitionData(this, key);
    try {
      return query.call(this, params, options);
    } finally {
      this._data = all;
    }
  };
  proto[PATCHED] = true;
  return true;
}

/** Runs each query request with the partition key it names in reach of the patched store. */
export function scopeQueriesToPartitions(server: Server): void {
  const handlers = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const key =
      String(req.headers['x-ms-documentdb-isquery']).toLowerCase() === 'true'
        ? namedKey(req.headers['x-ms-documentdb-partitionkey'])
        : undefined;
    requestKey.run({ key }, () => handlers.forEach((h) => h(req, res)));
  });
}
