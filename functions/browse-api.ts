// Browsing, searching and downloading backed-up items over HTTP. The protected item is read from the caller's
// account partition first, so a path mixing two accounts is a 404, never a leak.
import { app, HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { contentQuery, itemsQuery, searchQuery, seqParam } from '../shared/browse/browse-queries';
import { clientIpOf } from '../shared/audit/audit-log';
import { BadContinuation, folderItems, folderTree, search } from '../shared/browse/recovery-point-queries';
import { openContent } from '../shared/storage/content-reader';
import { services } from '../shared/runtime/services';
import { usablePoint } from '../shared/catalog/usable-point';
import { body, errorBody, handle, HttpError, json, parse } from './http/respond';
import { exportEntries, planExport } from '../shared/export/export-selection';
import { zipStream } from '../shared/export/zip-stream';
import { selection } from '../shared/restore/restore-request';
import { UnknownSelection } from '../shared/restore/restore-plan';
import type { VersionDoc } from '../shared/catalog/version-doc';
import { previewMime } from '../shared/mime/preview';
import { readCapped } from '../shared/storage/read-all';
import { paced } from './http/paced-body';


const query = <S extends z.ZodType>(req: HttpRequest, schema: S): z.infer<S> => parse(schema, Object.fromEntries(req.query.entries()), 'query');

/** The protected item (404 outside the caller's account) and, when asked, one of its usable recovery points. */
async function scope(req: HttpRequest, withPoint: boolean) {
  const s = services();
  const item = await s.inventory.getProtectedItem(req.params.accountId!, req.params.itemId!);
  if (!withPoint) return { s, item, seq: 0 };
  const seq = parse(seqParam, req.params.seq, 'path.seq');
  usablePoint(await s.points.listPoints(item.accountId, item.id), seq, item.displayName);
  return { s, item, seq };
}

const paged = async <T>(run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (e) {
    if (e instanceof BadContinuation) throw new HttpError(400, 'invalidRequest', `query.continuation: ${e.message}`);
    throw e;
  }
};

const POINT = 'accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}';

app.http('pointFolders', {
  route: `${POINT}/folders`, methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const { s, item, seq } = await scope(req, true);
    return json(200, { value: await folderTree(s.versions, item.id, seq) });
  }),
});

app.http('pointItems', {
  route: `${POINT}/items`, methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const q = query(req, itemsQuery);
    const { s, item, seq } = await scope(req, true);
    return json(200, await paged(() => folderItems(s.versions, item.id, seq, q.folderId, q.pageSize, q.continuation)));
  }),
});

app.http('itemSearch', {
  route: 'accounts/{accountId}/protected-items/{itemId}/search', methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const q = query(req, searchQuery);
    const { s, item } = await scope(req, false);
    const range = { fromSeq: q.fromSeq ?? 1, toSeq: q.toSeq ?? item.lastSeq };
    return json(200, await paged(() => search(s.versions, item.id, range, q.q, q.pageSize, q.continuation)));
  }),
});

/** "Quarterly report: Q3/2026" → "Quarterly report_ Q3_2026.eml": safe in every file system and header. */
const fileName = (name: string, ext: string): string => `${(name.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').trim().slice(0, 120) || 'item')}${ext}`;

app.http('itemContent', {
  route: `${POINT}/content`, methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, ctx, principal) => {
    const { itemId } = query(req, contentQuery);
    const { s, item, seq } = await scope(req, true);
    const [doc] = await s.versions.versionsAt(item.id, seq, [itemId]);
    if (!doc) return json(404, errorBody('notFound', `Item '${itemId}' is not in recovery point ${seq}.`));
    if (!doc.content) return json(404, errorBody('noContent', `Item '${itemId}' is a ${doc.kind} without content to download.`));
    const account = await s.inventory.getAccount(item.accountId);
    const ip = clientIpOf(req.headers.get('x-forwarded-for'));
    await s.audit.record({ accountId: item.accountId, action: 'download', principal, ...(ip ? { clientIp: ip } : {}), subject: { protectedItemId: item.id, seq, itemId, kind: doc.kind } }, s.now());
    const mail = doc.kind === 'message';
    const type = mail ? 'message/rfc822' : doc.kind === 'driveItem' ? String((doc.props.file as { mimeType?: string } | undefined)?.mimeType ?? 'application/octet-stream') : 'application/json';
    const name = fileName(String(doc.props.subject ?? doc.props.name ?? doc.props.displayName ?? doc.itemId), mail ? '.eml' : doc.kind === 'driveItem' ? '' : '.json');
    const size = 'mime' in doc.content ? doc.content.mime.size : doc.content.blob.size;
    const body = await openContent(await s.contentStores.forPointer(item.accountId, doc.content), account.tenantId, doc.content);
    return {
      status: 200, body: paced(ctx.invocationId, body),
      headers: { 'content-type': type, 'content-length': String(size), 'content-disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}` },
    };
  }),
});

app.http('pointExport', {
  route: `${POINT}/export`, methods: ['POST'], authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, ctx, principal) => {
    const chosen = await body(req, selection);
    const { s, item, seq } = await scope(req, true);
    let planned;
    try {
      planned = await planExport(s.versions, item.id, seq, chosen);
    } catch (e) {
      if (e instanceof UnknownSelection) throw new HttpError(400, 'invalidRequest', `body: ${e.message}`);
      throw e;
    }
    const account = await s.inventory.getAccount(item.accountId);
    const ip = clientIpOf(req.headers.get('x-forwarded-for'));
    await s.audit.record({ accountId: item.accountId, action: 'export', principal, ...(ip ? { clientIp: ip } : {}), subject: { protectedItemId: item.id, seq, selection: chosen } }, s.now());
    const open = async (doc: VersionDoc) => openContent(await s.contentStores.forPointer(item.accountId, doc.content!), account.tenantId, doc.content!);
    const zip = zipStream(exportEntries({ versions: s.versions, protectedItemId: item.id, seq, open }, planned.plan, planned.singles));
    const name = fileName(`${item.displayName} ${seq}`, '.zip');
    return { status: 200, body: paced(ctx.invocationId, zip), headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]/g, '_')}"` } };
  }),
});

/** Previews read at most this much of a message: headers, bodies and the attachment list come first in practice. */
const PREVIEW_CAP = 8 * 1024 * 1024;

app.http('itemPreview', {
  route: `${POINT}/preview`, methods: ['GET'], authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const { itemId } = query(req, contentQuery);
    const { s, item, seq } = await scope(req, true);
    const [doc] = await s.versions.versionsAt(item.id, seq, [itemId]);
    if (!doc) return json(404, errorBody('notFound', `Item '${itemId}' is not in recovery point ${seq}.`));
    if (doc.kind !== 'message' || !doc.content) return json(200, { kind: doc.kind, properties: doc.props });
    const account = await s.inventory.getAccount(item.accountId);
    const stream = await openContent(await s.contentStores.forPointer(item.accountId, doc.content), account.tenantId, doc.content);
    const { bytes, truncated } = await readCapped(stream, PREVIEW_CAP);
    return json(200, { kind: doc.kind, properties: doc.props, ...previewMime(bytes, truncated) });
  }),
});
