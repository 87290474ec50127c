// Downloading a SharePoint list of a recovery point as CSV or JSON: its columns from the schema the backup recorded
// with the list, its items as they were at that point, streamed page by page from the catalog.
import { app, HttpRequest } from '@azure/functions';
import { graphId } from '../shared/api/ids';
import { listQuery } from '../shared/browse/browse-queries';
import { listContainerId } from '../shared/backup/workloads/list-items';
import type { VersionDoc } from '../shared/catalog/version-doc';
import type { VersionStore } from '../shared/catalog/version-store';
import { attachment, fileName } from '../shared/export/export-request';
import { csvRows, jsonRows, ListRow, visibleColumns } from '../shared/export/list-table';
import { openContent } from '../shared/storage/content-reader';
import { textOf } from '../shared/domain/text';
import { CONTENT_SECURITY_HEADERS } from './http/content-headers';
import { paced } from './http/paced-body';
import { auditDownload, pointScope } from './http/point-scope';
import { errorBody, handle, json, parse } from './http/respond';

/** The list's items at the point, a catalog page at a time. */
async function* rowsAt(versions: VersionStore, protectedItemId: string, seq: number, listId: string) {
  const pages = versions.view(protectedItemId, seq, { containerId: listContainerId(listId), pageSize: 200 });
  while (pages.hasMoreResults())
    for (const d of (await pages.fetchNext()).resources)
      yield { id: textOf([d.props.listItemId], d.itemId), fields: (d.props.fields ?? {}) as ListRow['fields'] };
}

async function* utf8(text: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  for await (const t of text) yield Buffer.from(t, 'utf8');
}

const FORMATS = {
  csv: { type: 'text/csv; charset=utf-8; header=present', extension: '.csv', rows: csvRows },
  json: { type: 'application/json; charset=utf-8', extension: '.json', rows: jsonRows },
} as const;

app.http('pointListDownload', {
  route: 'accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/lists/{listId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  // Content, like a file's download: Administrator only, and audited.
  handler: handle('Backup.Administrator', async (req: HttpRequest, ctx, principal) => {
    const { format } = parse(listQuery, Object.fromEntries(req.query.entries()), 'query');
    const listId = parse(graphId, req.params.listId, 'path.listId');
    const { s, item, seq } = await pointScope(req, true);
    const list = (await s.versions.versionsAt(item.id, seq, [listId])).find((d: VersionDoc) => d.kind === 'list');
    if (!list?.content) return json(404, errorBody('notFound', `path.listId: no such list in recovery point ${seq}.`));
    const account = await s.inventory.getAccount(item.accountId);
    await auditDownload(req, principal, { item, seq }, { itemId: listId, kind: 'list', format });
    const stored = await openContent(
      await s.contentStores.forPointer(item.accountId, list.content),
      account.tenantId,
      list.content,
    );
    const schema = JSON.parse(Buffer.concat((await stored.toArray()) as Buffer[]).toString('utf8')) as {
      columns?: unknown;
    };
    const shape = FORMATS[format];
    const body = utf8(shape.rows(visibleColumns(schema), rowsAt(s.versions, item.id, seq, listId)));
    return {
      status: 200,
      body: paced(ctx.invocationId, body),
      headers: {
        'content-type': shape.type,
        'content-disposition': attachment(fileName(textOf([list.props.displayName], listId), shape.extension)),
        ...CONTENT_SECURITY_HEADERS,
      },
    };
  }),
});
