// The stand-in's compiled queries evaluate AND and OR as helper calls, $h.and(a, b), so both sides run for every
// document even when the left side already decides. Cosmos DB's engine does not work that way (it serves indexed
// conditions first and checks the rest on what they find). This turns the right side into a function called only
// when the left side leaves the result open, so a cheap condition written first spares the costly ones (a
// subquery over an array) on the documents it rejects. Same results: the helpers' three-valued logic is kept.
import { standInModule } from './cosmos-stand-in-modules';

type Node = {
  type?: string;
  callee?: Node;
  object?: Node;
  property?: Node;
  name?: string;
  arguments?: Node[];
} & Record<string, unknown>;
type Helpers = Record<string, (...args: unknown[]) => unknown>;

const LAZY: Record<string, string> = { and: 'andThen', or: 'orElse' };

const helperCall = (n: Node): string | undefined =>
  n.type === 'CallExpression' &&
  n.callee?.type === 'MemberExpression' &&
  n.callee.object?.name === '$h' &&
  n.arguments?.length === 2
    ? LAZY[n.callee.property?.name ?? '']
    : undefined;

/** The compiled query's syntax tree with every $h.and(a, b) / $h.or(a, b) as $h.andThen(a, () => b) / $h.orElse(a, () => b). */
export function shortCircuit<T>(node: T): T {
  if (Array.isArray(node)) return node.map(shortCircuit) as T;
  if (!node || typeof node !== 'object') return node;
  const n = node as Node;
  const lazy = helperCall(n);
  if (lazy) {
    const [left, right] = n.arguments!.map(shortCircuit);
    return {
      ...n,
      callee: { ...n.callee!, property: { type: 'Identifier', name: lazy } },
      arguments: [left, { type: 'ArrowFunctionExpression', params: [], body: right, async: false, expression: true }],
    } as T;
  }
  return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, shortCircuit(v)])) as T;
}

/** Makes the stand-in's AND / OR short-circuit for queries compiled from now on; true when in effect. */
export function installShortCircuit(): boolean {
  const helpers = standInModule<Helpers>('@zeit/cosmosdb-query/lib/helpers');
  const transformer = standInModule<{ default: (sqlAst: unknown) => unknown }>('@zeit/cosmosdb-query/lib/transformer');
  if (helpers.andThen) return true;
  const { and, or } = helpers;
  if (!and || !or) return false;
  helpers.andThen = (a, right) => (a === false ? false : and(a, (right as () => unknown)()));
  helpers.orElse = (a, right) => (a === true ? true : or(a, (right as () => unknown)()));
  const transform = transformer.default;
  transformer.default = (sqlAst) => shortCircuit(transform(sqlAst));
  return true;
}
