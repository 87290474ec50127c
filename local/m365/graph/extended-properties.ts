// Single-value extended properties of messages, events and contacts, as Graph exposes them: set on create
// (`singleValueExtendedProperties: [{id, value}]`) or by PATCH, read only through
// `$expand=singleValueExtendedProperties($filter=id eq '…')` (absent from the item when it has none of them), and
// found with `$filter=singleValueExtendedProperties/Any(ep: ep/id eq '…' and ep/value eq '…')`. The property type,
// GUID and tag of an id compare case-insensitively, the Name of a named property case-sensitively (Graph's rule).
import { GraphError } from './errors';
import { option } from './odata';
import type { GraphContext } from './router';

export type ExtendedProps = Record<string, string>;
export interface ExtendedProp {
  id: string;
  value: string;
}

/** An id in the form that identifies it: "String {GUID} Name X" keeps X, everything else is lower-cased. */
export function canonicalId(id: string): string {
  const named = /^(\S+)\s+(\{[0-9a-f-]+\})\s+name\s+(.+)$/i.exec(id.trim());
  if (named) return `${named[1].toLowerCase()} ${named[2].toLowerCase()} name ${named[3]}`;
  return id
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase()
    .replace(/0x0*([0-9a-f]+)$/, '0x$1');
}

/** The property `id` names, whatever its spelling; undefined when the item does not have it. */
export function findExtended(props: ExtendedProps, id: string): ExtendedProp | undefined {
  const want = canonicalId(id);
  const key = Object.keys(props).find((k) => canonicalId(k) === want);
  return key === undefined ? undefined : { id: key, value: props[key] };
}

/** Properties from a create or PATCH body, merged into `current` (a property given again replaces the old one). */
export function mergeExtended(current: ExtendedProps, input: unknown): ExtendedProps {
  if (input === undefined) return current;
  if (
    !Array.isArray(input) ||
    input.some((p) => typeof (p as ExtendedProp)?.id !== 'string' || (p as ExtendedProp).value === undefined)
  ) {
    throw new GraphError(
      400,
      'ErrorInvalidExtendedProperty',
      'singleValueExtendedProperties must be a list of {id, value}.',
    );
  }
  const out = { ...current };
  for (const p of input as ExtendedProp[]) {
    const had = findExtended(out, p.id);
    if (had) delete out[had.id];
    out[p.id] = String(p.value);
  }
  return out;
}

/** The item as $filter sees it: its JSON plus its extended properties (with canonical ids). */
export const filterable = (json: Record<string, unknown>, props: ExtendedProps): Record<string, unknown> => ({
  ...json,
  singleValueExtendedProperties: Object.entries(props).map(([id, value]) => ({ id: canonicalId(id), value })),
});

/**
 * A $filter on extended properties names the id as given; the item side is canonical, so the query's ids are made
 * canonical too (the generic comparison then ignores case, as Graph does for values).
 */
export function canonicalFilterIds(ctx: GraphContext): void {
  const text = option(ctx.query, '$filter');
  if (!text || !/singleValueExtendedProperties/i.test(text)) return;
  const fixed = text.replace(
    /(\/id\s+eq\s+)'((?:[^']|'')*)'/gi,
    (_, lhs: string, id: string) => `${lhs}'${canonicalId(id.replace(/''/g, "'")).replace(/'/g, "''")}'`,
  );
  for (const [k] of [...ctx.query]) if (k.toLowerCase() === '$filter') ctx.query.set(k, fixed);
}

/** `$expand=singleValueExtendedProperties($filter=id eq '…' [or id eq '…'])`: the asked-for properties it has. */
export function expandedExtended(
  ctx: GraphContext,
  props: ExtendedProps,
): { singleValueExtendedProperties?: ExtendedProp[] } {
  const expand = option(ctx.query, '$expand');
  const wanted = expand && /singleValueExtendedProperties\(\$filter=(.*)\)/i.exec(expand)?.[1];
  if (!wanted) return {};
  const found = [...wanted.matchAll(/id\s+eq\s+'((?:[^']|'')+)'/gi)].flatMap(
    (x) => findExtended(props, x[1].replace(/''/g, "'")) ?? [],
  );
  return found.length ? { singleValueExtendedProperties: found } : {};
}
