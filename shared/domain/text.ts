// Catalog properties are Graph's JSON as stored (`Record<string, unknown>`): a property read as text is text only
// when Graph sent a scalar. An object or array (a renamed or reshaped property) must not show as "[object Object]".

/** The first of `values` that is a string or a number (as `??` picks, so '' counts), as text; else `fallback`. */
export function textOf(values: readonly unknown[], fallback = ''): string {
  for (const v of values) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  }
  return fallback;
}
