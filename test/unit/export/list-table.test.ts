import { csvField, csvRows, jsonRows, ListRow, visibleColumns } from '../../../shared/export/list-table';

async function* rowsOf(rows: ListRow[]): AsyncGenerator<ListRow> {
  for (const r of rows) yield await Promise.resolve(r);
}
const text = async (chunks: AsyncIterable<string>): Promise<string> => {
  let out = '';
  for await (const c of chunks) out += c;
  return out;
};

describe('a SharePoint list as a table', () => {
  const columns = visibleColumns({
    columns: [
      { name: 'Title', displayName: 'Title' },
      { name: 'Hidden1', displayName: 'Hidden', hidden: true },
      { name: 'Due_x0020_Date', displayName: 'Due Date' },
      { name: 'Tags', displayName: '' },
      { displayName: 'no internal name' },
    ],
  });

  it("takes the schema's visible columns in order, a display name or else the internal name", () => {
    expect(columns).toEqual([
      { name: 'Title', displayName: 'Title' },
      { name: 'Due_x0020_Date', displayName: 'Due Date' },
      { name: 'Tags', displayName: 'Tags' },
    ]);
    expect(visibleColumns({})).toEqual([]);
  });

  it('quotes a CSV field only when RFC 4180 asks (quote, comma, CR, LF), doubling quotes', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField('lf\nonly')).toBe('"lf\nonly"');
    expect(csvField('')).toBe('');
  });

  it('writes CSV with CRLF rows: an ID header, empty cells for missing values, multi-values joined, objects as JSON', async () => {
    const csv = await text(
      csvRows(
        columns,
        rowsOf([
          { id: '1', fields: { Title: 'Budget, "Q3"', Due_x0020_Date: '2026-01-01T00:00:00Z', Tags: ['a', 'b'] } },
          { id: '2', fields: { Title: 'Übersicht', Tags: { LookupId: 3, LookupValue: 'x' }, Done: true } },
        ]),
      ),
    );
    expect(csv).toBe(
      'ID,Title,Due Date,Tags\r\n' +
        '1,"Budget, ""Q3""",2026-01-01T00:00:00Z,a; b\r\n' +
        '2,Übersicht,,"{""LookupId"":3,""LookupValue"":""x""}"\r\n',
    );
  });

  it('writes JSON as an array of the columns by internal name, values as stored; an empty list is []', async () => {
    const rows = [{ id: '7', fields: { Title: 'T', Tags: ['a'], Other: 'not a column', Due_x0020_Date: null } }];
    expect(JSON.parse(await text(jsonRows(columns, rowsOf(rows))))).toEqual([
      { id: '7', Title: 'T', Tags: ['a'], Due_x0020_Date: null },
    ]);
    expect(JSON.parse(await text(jsonRows(columns, rowsOf([]))))).toEqual([]);
  });
});
