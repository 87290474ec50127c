// The Cosmos DB stand-in (@vercel/cosmosdb-server) compiles every query through @zeit/cosmosdb-query into
// JavaScript whose FROM clause collects the documents with `reduce(($, c) => [...$, { c }], [])`: a copy of the
// rows so far per document, so any query over a container of N documents costs O(N²) however selective it is
// (20,000 documents: 4 s for a query by id; 100,000: past the SDK's 60 s timeout). This rewrites that one
// expression into its linear equivalent (same rows, same order) as queries compile, so a stand-in query costs one
// pass over the documents. Local only; Azure's Cosmos DB never sees it.
import { standInModule } from './cosmos-stand-in-modules';

interface CompiledQuery {
  readonly code: string;
}
type Compiler = (sql: string) => CompiledQuery;

const QUADRATIC_FROM =
  /\$c\.reduce\(\(\$, (\w+)\) => typeof \1 !== "undefined" \? \[\.\.\.\$, \{\s*(\w+): \1\s*\}\] : \$, \[\]\)/g;

/** The compiled query with its root FROM collected in one pass; code without that shape is returned unchanged. */
export const linearFrom = (code: string): string =>
  code.replace(
    QUADRATIC_FROM,
    (_, doc: string, alias: string) =>
      `$c.filter((${doc}) => typeof ${doc} !== "undefined").map((${doc}) => ({ ${alias}: ${doc} }))`,
  );

/** The query compiler the stand-in uses. */
export const standInCompiler = (): Compiler => standInModule<{ default: Compiler }>('@zeit/cosmosdb-query').default;

/** Makes the stand-in's compiled queries linear; false if the compiler no longer has the expected shape. */
export function installLinearScan(compile: Compiler = standInCompiler()): boolean {
  const installed = (): boolean => compile('SELECT * FROM c').code.includes('$c.filter(');
  if (installed()) return true;
  const proto = Object.getPrototypeOf(compile('SELECT * FROM c')) as object;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the compiled query as `this` below
  const original = Object.getOwnPropertyDescriptor(proto, 'code')?.get;
  if (!original) return false;
  Object.defineProperty(proto, 'code', {
    configurable: true,
    get(this: CompiledQuery) {
      return linearFrom(original.call(this) as string);
    },
  });
  return installed();
}
