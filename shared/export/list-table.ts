// A SharePoint list at a recovery point as a table: its columns from the schema the backup recorded, one row per item,
// written as CSV (RFC 4180: CRLF line ends, a field quoted when it holds a quote, comma, CR or LF, quotes doubled) or
// as a JSON array, a row at a time so a list of any size streams.

export interface ListColumn {
  /** The internal name: the key of the item's fields. */
  name: string;
  displayName: string;
}

export interface ListRow {
  id: string;
  fields: Record<string, unknown>;
}

interface SchemaColumn {
  name?: unknown;
  displayName?: unknown;
  hidden?: unknown;
}

/** The columns a person sees in the list (Graph's non-hidden ones), in the schema's order. */
export function visibleColumns(schema: { columns?: unknown }): ListColumn[] {
  const columns = Array.isArray(schema.columns) ? (schema.columns as SchemaColumn[]) : [];
  return columns
    .filter((c) => typeof c.name === 'string' && c.hidden !== true)
    .map((c) => ({
      name: c.name as string,
      displayName: typeof c.displayName === 'string' && c.displayName ? c.displayName : (c.name as string),
    }));
}

/** A field value as one cell: multi-value fields (choices, lookups) joined by "; ", objects as their JSON. */
function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(cellText).join('; ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value as string | number | boolean);
}

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (cells: readonly string[]): string => `${cells.map(csvField).join(',')}\r\n`;

/** The CSV: a header row of the columns' display names after "ID", then a row per item. */
export async function* csvRows(columns: readonly ListColumn[], rows: AsyncIterable<ListRow>): AsyncGenerator<string> {
  yield csvLine(['ID', ...columns.map((c) => c.displayName)]);
  for await (const r of rows) yield csvLine([r.id, ...columns.map((c) => cellText(r.fields[c.name]))]);
}

/** The JSON: an array of objects, each the item's id and its value of every column (by internal name, as stored). */
export async function* jsonRows(columns: readonly ListColumn[], rows: AsyncIterable<ListRow>): AsyncGenerator<string> {
  let first = true;
  yield '[';
  for await (const r of rows) {
    const row: Record<string, unknown> = { id: r.id };
    for (const c of columns) if (r.fields[c.name] !== undefined) row[c.name] = r.fields[c.name];
    yield `${first ? '' : ','}\n${JSON.stringify(row)}`;
    first = false;
  }
  yield first ? ']' : '\n]';
}
