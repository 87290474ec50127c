// Child-process entry for Azurite, with two fixes to its blob metadata store (LokiJS) that keep each blob operation
// from costing time proportional to the blobs in the account. Same rows found and removed; local only.
// 1. Lookups: Azurite finds a blob with a query whose first key is accountName, and LokiJS serves an implicit AND
//    through the index of its first key only, then scans (a 100k-message backup slowed to ~13 blobs/s). Putting the
//    blob's own name first makes that lookup a binary search.
// 2. Deletes: Azurite removes a blob through LokiJS's batch removal, which rebuilds (sorts) every binary index of the
//    collection after each batch, even a batch of one: deleting 10,000 of 20,000 blobs took 399 s, and retention's
//    collection of 49k blobs in a 100k-blob repository never finished. A small batch is removed document by
//    document instead, LokiJS's own path that adjusts each index in place.
import path from 'node:path';

interface Resultset {
  find(query: unknown, firstOnly?: boolean): Resultset;
}
export interface Collection {
  adaptiveBinaryIndices: boolean;
  data: object[];
  remove(doc: object): unknown;
  removeBatchByPositions(positions: number[]): void;
}
export interface Loki {
  Resultset: { prototype: Resultset };
  Collection: { prototype: Collection };
}

const SELECTIVE = ['name', 'blobName'];
/**
 * Removing one document adjusts each index in O(n); a batch rebuild sorts each in O(n log n): one by one wins below
 * about log2(n) documents (17 at 100k).
 */
const ONE_BY_ONE = 16;
const AZURITE_DIR = path.dirname(require.resolve('azurite/package.json'));
const PATCHED = Symbol.for('m365v.azuriteLoki');

/** The same query with an equality on a blob or block name as its first key, so LokiJS answers it from that index. */
export function nameFirst(query: unknown): unknown {
  if (!query || typeof query !== 'object' || Array.isArray(query)) return query;
  const q = query as Record<string, unknown>;
  const key = SELECTIVE.find((k) => typeof q[k] === 'string');
  return key && Object.keys(q)[0] !== key ? { [key]: q[key], ...q } : query;
}

/** Installs both fixes into a LokiJS module (Azurite's own copy, or a test's). Idempotent. */
export function installLokiFixes(loki: Loki): void {
  const proto = loki.Collection.prototype as Collection & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the result set as `this` below
  const find = loki.Resultset.prototype.find;
  loki.Resultset.prototype.find = function (this: Resultset, query: unknown, firstOnly?: boolean) {
    return find.call(this, nameFirst(query), firstOnly);
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the collection as `this` below
  const removeBatch = proto.removeBatchByPositions;
  proto.removeBatchByPositions = function (this: Collection, positions: number[]) {
    if (!this.adaptiveBinaryIndices || positions.length > ONE_BY_ONE) return removeBatch.call(this, positions);
    // The documents first: each removal shifts the positions after it.
    for (const doc of positions.map((p) => this.data[p])) this.remove(doc);
  };
}

if (require.main === module) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Azurite's own copy, resolved at run time
  installLokiFixes(require(require.resolve('lokijs', { paths: [AZURITE_DIR] })) as Loki);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- starts Azurite in this process, after the patch
  require(path.join(AZURITE_DIR, 'dist', 'src', 'azurite.js'));
}
