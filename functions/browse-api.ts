// Browsing, searching and downloading backed-up items over HTTP. The protected item is read from the caller's
// account partition first, so a path mixing two accounts is a 404, never a leak.
import { app, HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { contentQuery, itemsQuery, searchQuery } from '../shared/browse/browse-queries';
import { BadContinuation, folderItems, folderTree, search } from '../shared/browse/recovery-point-queries';
import { openContent } from '../shared/storage/content-reader';
import { body, clientIp, errorBody, handle, HttpError, json, parse } from './http/respond';
import { exportFileName } from '../shared/export/blob-export';
import { attachment, fileName } from '../shared/export/export-request';
import { zipStream } from '../shared/export/zip-stream';
import { selection } from '../shared/restore/restore-request';
import { previewMessage } from '../shared/mime/preview';
import { previewPost } from '../shared/mime/post-preview';
import { textOf } from '../shared/domain/text';
import { readCapped } from '../shared/storage/read-all';
import { isGroupPost, openPostEml } from '../shared/export/post-content';
import type { VersionDoc } from '../shared/catalog/version-doc';
import { MessageUnreadable } from '../shared/mime/read-message';
import { CONTENT_SECURITY_HEADERS } from './http/content-headers';
import { paced } from './http/paced-body';
import { contentShape } from '../shared/catalog/content-shape';
import { auditDownload, pointScope, selectedEntries } from './http/point-scope';

const query = <S extends z.ZodType>(req: HttpRequest, schema: S): z.infer<S> =>
  parse(schema, Object.fromEntries(req.query.entries()), 'query');

const scope = pointScope;

const notInPoint = (seq: number) =>
  json(404, errorBody('notFound', `query.itemId: no such item in recovery point ${seq}.`));

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
  route: `${POINT}/folders`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const { s, item, seq } = await scope(req, true);
    return json(200, { value: await folderTree(s.versions, item.id, seq) });
  }),
});

app.http('pointItems', {
  route: `${POINT}/items`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const q = query(req, itemsQuery);
    const { s, item, seq } = await scope(req, true);
    return json(200, await paged(() => folderItems(s.versions, item.id, seq, q.folderId, q.pageSize, q.continuation)));
  }),
});

app.http('itemSearch', {
  route: 'accounts/{accountId}/protected-items/{itemId}/search',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const q = query(req, searchQuery);
    const { s, item } = await scope(req, false);
    const range = { fromSeq: q.fromSeq ?? 1, toSeq: q.toSeq ?? item.lastSeq };
    return json(200, await paged(() => search(s.versions, item.id, range, q.q, q.pageSize, q.continuation)));
  }),
});

app.http('itemContent', {
  route: `${POINT}/content`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, ctx, principal) => {
    const { itemId } = query(req, contentQuery);
    const { s, item, seq } = await scope(req, true);
    const [doc] = await s.versions.versionsAt(item.id, seq, [itemId]);
    if (!doc) return notInPoint(seq);
    if (!doc.content)
      return json(404, errorBody('noContent', `query.itemId: the item is a ${doc.kind} without content to download.`));
    const account = await s.inventory.getAccount(item.accountId);
    await auditDownload(req, principal, { item, seq }, { itemId, kind: doc.kind });
    const shape = contentShape(doc);
    const type = shape.mimeType;
    const name = fileName(shape.name, shape.extension);
    const size = 'mime' in doc.content ? doc.content.mime.size : doc.content.blob.size;
    const stored = async (d: VersionDoc) =>
      openContent(await s.contentStores.forPointer(item.accountId, d.content!), account.tenantId, d.content!);
    // A group post is written as .eml as it streams: its length is not known beforehand.
    const post = isGroupPost(doc);
    const body = post ? await openPostEml(s.versions, seq, doc, stored) : await stored(doc);
    return {
      status: 200,
      body: paced(ctx.invocationId, body),
      headers: {
        'content-type': type,
        ...(post ? {} : { 'content-length': String(size) }),
        'content-disposition': attachment(name),
        ...CONTENT_SECURITY_HEADERS,
      },
    };
  }),
});

app.http('pointExport', {
  route: `${POINT}/export`,
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: handle('Backup.Administrator', async (req, ctx, principal) => {
    const chosen = await body(req, selection);
    const { s, item, seq } = await scope(req, true);
    const entries = await selectedEntries(item, seq, chosen);
    await s.audit.record(
      {
        accountId: item.accountId,
        action: 'export',
        principal,
        ...clientIp(req),
        subject: { protectedItemId: item.id, seq, selection: chosen },
      },
      s.now(),
    );
    return {
      status: 200,
      body: paced(ctx.invocationId, zipStream(entries)),
      headers: {
        'content-type': 'application/zip',
        'content-disposition': attachment(exportFileName(item, seq)),
        ...CONTENT_SECURITY_HEADERS,
      },
    };
  }),
});

/** Previews read at most this much of a message (streamed; attachments are counted, not held): headers, bodies and
 * the attachment list come first in practice. */
const PREVIEW_CAP = 8 * 1024 * 1024;

app.http('itemPreview', {
  route: `${POINT}/preview`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handle('Backup.Reader', async (req) => {
    const { itemId } = query(req, contentQuery);
    const { s, item, seq } = await scope(req, true);
    const [doc] = await s.versions.versionsAt(item.id, seq, [itemId]);
    if (!doc) return notInPoint(seq);
    const post = doc.kind === 'groupPost' && doc.props.attachment !== true;
    if ((doc.kind !== 'message' && !post) || !doc.content)
      return json(200, { kind: doc.kind, properties: doc.props }, CONTENT_SECURITY_HEADERS);
    const account = await s.inventory.getAccount(item.accountId);
    const stream = await openContent(
      await s.contentStores.forPointer(item.accountId, doc.content),
      account.tenantId,
      doc.content,
    );
    if (post) {
      // Graph's JSON of the post, bounded like a message read (a post holds no attachment bytes).
      const stored = await readCapped(stream, PREVIEW_CAP);
      if (stored.truncated)
        throw new HttpError(422, 'unreadableMessage', 'The post is too large to preview. Download it instead.');
      const graphPost = JSON.parse(stored.bytes.toString('utf8')) as Record<string, unknown>;
      return json(
        200,
        { kind: doc.kind, properties: doc.props, ...previewPost(graphPost, textOf([doc.props.topic])) },
        CONTENT_SECURITY_HEADERS,
      );
    }
    const preview = await previewMessage(stream, PREVIEW_CAP).catch((e: unknown) => {
      throw e instanceof MessageUnreadable
        ? new HttpError(422, 'unreadableMessage', `${e.message} Download it instead.`)
        : e;
    });
    return json(200, { kind: doc.kind, properties: doc.props, ...preview }, CONTENT_SECURITY_HEADERS);
  }),
});
