// Child-process entry for Azurite: its blob metadata store (LokiJS) looks a blob up with a query whose first key is
// accountName, and LokiJS serves an implicit AND through the index of its first key only, then scans: every blob
// operation cost O(blobs in the account) (a 100k-message backup slowed to ~13 blobs/s). Putting the blob's own name
// first makes that lookup a binary search; the conjunction, and so the rows found, are the same. Local only.
import path from 'node:path';

interface Resultset {
  find(query: unknown, firstOnly?: boolean): Resultset;
}

const SELECTIVE = ['name', 'blobName'];
const AZURITE_DIR = path.dirname(require.resolve('azurite/package.json'));

/** The same query with an equality on a blob or block name as its first key, so LokiJS answers it from that index. */
export function nameFirst(query: unknown): unknown {
  if (!query || typeof query !== 'object' || Array.isArray(query)) return query;
  const q = query as Record<string, unknown>;
  const key = SELECTIVE.find((k) => typeof q[k] === 'string');
  return key && Object.keys(q)[0] !== key ? { [key]: q[key], ...q } : query;
}

function installNameFirst(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Azurite's own copy, resolved at run time
  const loki = require(require.resolve('lokijs', { paths: [AZURITE_DIR] })) as { Resultset: { prototype: Resultset } };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the result set as `this` below
  const find = loki.Resultset.prototype.find;
  loki.Resultset.prototype.find = function (this: Resultset, query: unknown, firstOnly?: boolean) {
    return find.call(this, nameFirst(query), firstOnly);
  };
}

if (require.main === module) {
  installNameFirst();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- starts Azurite in this process, after the patch
  require(path.join(AZURITE_DIR, 'dist', 'src', 'azurite.js'));
}
