// Graph's drive routes over files/model.ts: root delta with `token=` links, deletions as a `deleted` facet,
// 410 + Location; /content → 302 to a pre-authenticated, Range-capable URL; and the writes a restore needs:
// folders, simple upload and upload sessions with conflictBehavior.
import { Readable } from 'node:stream';
import { deltaResponse, resyncChanges } from '../graph/delta';
import { GraphError } from '../graph/errors';
import { GraphContext, GraphResult, ok, registerPathRewrite, registerRoutes } from '../graph/router';
import { applySelect, listPage } from '../graph/odata';
import { selectFor } from '../graph/schema';
import { registerHttpRoutes } from '../http-routes';
import { chargingResourceUnits } from '../resource-units';
import type { EmulatorRuntime } from '../runtime';
import { isoSeconds } from '../mail/message';
import { guidOf } from '../tenant/seeded';
import type { Tenant } from '../tenant/tenant';
import {
  Drive,
  DriveItem,
  driveById,
  driveJson,
  driveOfUser,
  eTagOf,
  FILES_READ,
  hashOf,
  itemBytes,
  SITES_WRITE,
  withNewContent,
} from './model';
import { authorship } from './drive-authors';
import { permissionsOf } from './permissions';

const URL_SECONDS = 3600;

function itemJson(rt: EmulatorRuntime, d: Drive, item: DriveItem): Record<string, unknown> {
  return {
    id: item.id,
    name: item.name,
    eTag: eTagOf(item),
    cTag: `"c:{${item.id}},${item.version}"`,
    size: item.size,
    createdDateTime: item.createdDateTime,
    lastModifiedDateTime: item.lastModifiedDateTime,
    ...authorship(d, item),
    parentReference: {
      driveId: d.id,
      driveType: d.driveType,
      ...(d.siteId ? { siteId: d.siteId } : {}),
      ...(item.parentId ? { id: item.parentId } : {}),
    },
    ...(item.root ? { root: {} } : {}),
    ...(item.folder
      ? { folder: { childCount: [...d.items.all()].filter((x) => x.parentId === item.id).length } }
      : { file: { mimeType: item.mimeType, hashes: { quickXorHash: hashOf(d, item) } } }),
    ...(item.folder
      ? {}
      : {
          '@microsoft.graph.downloadUrl': `${rt.origin}/_content/${rt.signUrlToken({ d: d.id, i: item.id, v: item.version }, URL_SECONDS)}`,
        }),
  };
}

function driveOf(ctx: GraphContext): Drive {
  const d = driveById(ctx.tenant, ctx.params.driveId);
  if (!d) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
  d.guard?.(ctx.method !== 'GET');
  return d;
}

/** Throttling key of a drive route: the drive's owner key (a library counts against its site). */
const driveKey = (ctx: GraphContext): string => driveById(ctx.tenant, ctx.params.driveId)?.key ?? ctx.params.driveId;

function itemOf(ctx: GraphContext): { d: Drive; item: DriveItem } {
  const d = driveOf(ctx);
  const item = d.items.get(ctx.params.itemId);
  if (!item) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
  return { d, item };
}

const files = { workload: 'files' as const, permissions: FILES_READ, mailbox: driveKey };

// /users/{id}/drive/… is /drives/{its drive}/… (Graph's alias); an unknown or unlicensed user keeps the path and 404s.
registerPathRewrite((path, t) => {
  const m = /^\/users\/([^/]+)\/drive(\/.*)?$/i.exec(path);
  const d = m && driveOfUser(t, decodeURIComponent(m[1]));
  return d ? `/drives/${encodeURIComponent(d.id)}${m[2] ?? ''}` : undefined;
});

// `items/root`, `root:/{path}:` and `root/children` address the root item, whose id is `{driveId}!root`.
registerPathRewrite((path) => {
  const m = /^\/drives\/([^/]+)\/(?:items\/root(?=[/:]|$)|root(?=:|\/children$))(.*)$/i.exec(path);
  return m ? `/drives/${m[1]}/items/${m[1]}%21root${m[2]}` : undefined;
});

registerRoutes(
  chargingResourceUnits([
    // Reached only when the alias found no drive (the rewrite above): the user is unknown, unlicensed, or their
    // OneDrive is not provisioned yet. Graph answers the same for the drive and for anything below it.
    ...['/users/{userId}/drive', '/users/{userId}/drive/{*rest}'].map((path) => ({
      method: 'GET' as const,
      path,
      ...files,
      mailbox: (ctx: GraphContext) => ctx.params.userId,
      handler(): never {
        throw new GraphError(404, 'ResourceNotFound', "User's mysite not found.");
      },
    })),
    { method: 'GET', path: '/drives/{driveId}', ...files, handler: (ctx) => ok(driveJson(driveOf(ctx))) },
    {
      method: 'GET',
      path: '/drives/{driveId}/root/delta',
      ...files,
      handler(ctx) {
        const d = driveOf(ctx);
        const linkPath = `/drives/${d.id}/root/delta`;
        const showsSharing = /(^|[\s,])deltashowsharingchanges\b/i.test(String(ctx.headers.prefer ?? ''));
        return deltaResponse(ctx, {
          log: d.items,
          linkPath,
          tokenStyle: 'token',
          context: 'Collection(driveItem)',
          pageSize: { fallback: 200, max: 1000 },
          latest: true,
          selectType: 'driveItem',
          expired: () => resyncChanges(`${ctx.baseUrl}${linkPath}`),
          // OneDrive for Business marks deletions with a `deleted` facet, not @removed, and without the name. A
          // change of sharing alone is listed only to a caller that prefers `deltashowsharingchanges`, annotated.
          render: (c, o) => {
            if (c.kind === 'removed')
              return [{ id: c.id, deleted: { state: 'deleted' }, parentReference: { driveId: d.id } }];
            const shared = c.kind === 'updated' && c.props !== 'all' && c.props.has('permissions');
            if (shared && !showsSharing && c.props !== 'all' && [...c.props].every((p) => p === 'permissions'))
              return [];
            const json = applySelect(itemJson(ctx.emulator, d, c.item), o.select);
            return [shared && showsSharing ? { ...json, '@microsoft.graph.sharedChanged': 'True' } : json];
          },
        });
      },
    },
    {
      method: 'GET',
      path: '/drives/{driveId}/items/{itemId}',
      ...files,
      handler: (ctx) => {
        const { d, item } = itemOf(ctx);
        return ok(applySelect(itemJson(ctx.emulator, d, item), selectFor(ctx, 'driveItem')));
      },
    },
    {
      method: 'GET',
      path: '/drives/{driveId}/items/{itemId}/permissions',
      ...files,
      handler: (ctx) => {
        const { d, item } = itemOf(ctx);
        return ok({
          '@odata.context': `${ctx.baseUrl}/$metadata#drives('${d.id}')/items('${item.id}')/permissions`,
          value: permissionsOf(d, item),
        });
      },
    },
    {
      // driveItemVersion, newest first, the current version included; ids "N.0" as SharePoint numbers major versions.
      method: 'GET',
      path: '/drives/{driveId}/items/{itemId}/versions',
      ...files,
      handler: (ctx) => {
        const { d, item } = itemOf(ctx);
        if (item.folder) throw new GraphError(400, 'invalidRequest', 'Versions are not available for folders.');
        const { lastModifiedBy } = authorship(d, item);
        const all = [...(item.earlier ?? []), { lastModifiedDateTime: item.lastModifiedDateTime, size: item.size }];
        const value = all
          .map((v, i) => ({
            id: `${i + 1}.0`,
            lastModifiedDateTime: v.lastModifiedDateTime,
            lastModifiedBy,
            size: v.size,
          }))
          .reverse();
        return ok({
          '@odata.context': `${ctx.baseUrl}/$metadata#drives('${d.id}')/items('${item.id}')/versions`,
          value,
        });
      },
    },
    {
      method: 'GET',
      path: '/drives/{driveId}/items/{itemId}/content',
      ...files,
      handler(ctx) {
        const { d, item } = itemOf(ctx);
        if (item.folder) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
        return {
          status: 302,
          headers: {
            Location: `${ctx.emulator.origin}/_content/${ctx.emulator.signUrlToken({ d: d.id, i: item.id, v: item.version }, URL_SECONDS)}`,
          },
        };
      },
    },
  ]),
);

registerHttpRoutes([
  {
    method: 'GET',
    path: '/_content/{token}',
    handler(ctx): GraphResult {
      const claims = ctx.emulator.verifyUrlToken(ctx.params.token);
      if (!claims)
        return {
          status: 401,
          json: { error: { code: 'unauthenticated', message: 'The download URL has expired or is invalid.' } },
        };
      const t = ctx.emulator.tenants.list().find((x) => driveById(x, String(claims.d)));
      const d = t && driveById(t, String(claims.d));
      const item = d?.items.get(String(claims.i));
      if (!t || !d || !item || item.folder)
        return { status: 404, json: { error: { code: 'itemNotFound', message: 'The resource could not be found.' } } };
      // SharePoint's download host tags the bytes with the file's unique id and version.
      const etag = `"{${item.id}},${item.version}"`;
      const range = /^bytes=(\d+)-(\d*)$/.exec(String(ctx.headers.range ?? ''));
      if (range) {
        // As SharePoint's download host: 206 with Content-Range, streamed; a start past the end is 416.
        const start = Number(range[1]);
        if (start >= item.size)
          return {
            status: 416,
            headers: { 'content-range': `bytes */${item.size}` },
            json: { error: { code: 'invalidRange', message: 'The requested range is not satisfiable.' } },
          };
        const end = range[2] ? Math.min(Number(range[2]), item.size - 1) : item.size - 1;
        (ctx.emulator.counters.rangeStarts[item.id] ??= []).push(start);
        const headers = {
          'content-range': `bytes ${start}-${end}/${item.size}`,
          'content-length': String(end - start + 1),
          'content-type': 'application/octet-stream',
          etag,
        };
        return {
          status: 206,
          headers,
          stream: Readable.from(served(ctx.emulator.counters, sliceOf(itemBytes(t, d, item), start, end + 1)), {
            highWaterMark: 1,
          }),
        };
      }
      return {
        status: 200,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(item.size), etag },
        stream: Readable.from(served(ctx.emulator.counters, itemBytes(t, d, item)), { highWaterMark: 1 }),
      };
    },
  },
]);

/** Counts chunks as they go; streamed one chunk ahead (highWaterMark 1) so the count is what the connection took. */
function* served(counters: { downloadBytes: number }, chunks: Iterable<Buffer>): Generator<Buffer> {
  for (const c of chunks) {
    counters.downloadBytes += c.length;
    yield c;
  }
}

/** Bytes [start, end) of a chunked body, without holding more than one chunk. */
function* sliceOf(chunks: Iterable<Buffer>, start: number, end: number): Generator<Buffer> {
  let at = 0;
  for (const c of chunks) {
    const from = Math.max(start - at, 0);
    const to = Math.min(end - at, c.length);
    if (to > from) yield c.subarray(from, to);
    at += c.length;
    if (at >= end) return;
  }
}

// ---- writes: folders, simple upload, upload sessions (what a file restore needs) ----------------------------------
// Uploaded bytes are kept in memory: fine for tests and demos, not for GB-sized uploads.

const WRITE_FILES = ['Files.ReadWrite.All', ...SITES_WRITE];
const filesWrite = { workload: 'files' as const, permissions: WRITE_FILES, mailbox: driveKey };
type Conflict = 'fail' | 'replace' | 'rename';

interface UploadSession {
  tenant: Tenant;
  driveId: string;
  parentId: string;
  name: string;
  size: number;
  conflict: Conflict;
  chunks: Buffer[];
  received: number;
  expires: number;
}
const uploads = new WeakMap<EmulatorRuntime, Map<string, UploadSession>>();
const uploadsOf = (rt: EmulatorRuntime): Map<string, UploadSession> => {
  let m = uploads.get(rt);
  if (!m) uploads.set(rt, (m = new Map<string, UploadSession>()));
  return m;
};

const conflictOf = (value: unknown): Conflict => {
  const v = (typeof value === 'string' ? value : 'fail').toLowerCase();
  if (v !== 'fail' && v !== 'replace' && v !== 'rename')
    throw new GraphError(400, 'invalidRequest', `Invalid value for @microsoft.graph.conflictBehavior: '${v}'.`);
  return v;
};

/** OneDrive's own copy names: "Report.docx" → "Report 1.docx", "Report 2.docx", … */
function freeChildName(d: Drive, parentId: string, name: string): string {
  const taken = new Set([...d.items.all()].filter((x) => x.parentId === parentId).map((x) => x.name.toLowerCase()));
  if (!taken.has(name.toLowerCase())) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let i = 1; ; i++) if (!taken.has(`${stem} ${i}${ext}`.toLowerCase())) return `${stem} ${i}${ext}`;
}

let created = 0;

/** Creates (or replaces, or renames beside) a child of `parentId`: the outcome of a write under a conflict rule. */
function place(
  t: Tenant,
  d: Drive,
  parentId: string,
  name: string,
  conflict: Conflict,
  now: number,
  bytes?: Buffer,
): { status: number; item: DriveItem } {
  const parent = d.items.get(parentId);
  if (!parent || !parent.folder) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
  if (!name || /[\\/:*?"<>|]/.test(name))
    throw new GraphError(400, 'invalidRequest', 'The name contains characters OneDrive does not allow.');
  const at = isoSeconds(now);
  const existing = [...d.items.all()].find(
    (x) => x.parentId === parentId && x.name.toLowerCase() === name.toLowerCase(),
  );
  if (existing && conflict === 'fail')
    throw new GraphError(409, 'nameAlreadyExists', 'The specified item name already exists.');
  if (existing && conflict === 'replace' && bytes && !existing.folder) {
    const item = withNewContent(existing, bytes, at);
    d.items.update(item, ['content']);
    return { status: 200, item };
  }
  const item: DriveItem = {
    id: `${d.id}!w${++created}${guidOf(t.seed, 'upload', `${created}`).slice(0, 8)}`,
    name: existing ? freeChildName(d, parentId, name) : name,
    size: bytes?.length ?? 0,
    version: 1,
    createdDateTime: at,
    lastModifiedDateTime: at,
    parentId,
    ...(bytes ? { content: bytes, mimeType: 'application/octet-stream' } : { folder: true }),
  };
  d.items.create(item);
  return { status: 201, item };
}

/** Every item below a folder, deepest first. */
function descendantsOf(d: Drive, folderId: string): DriveItem[] {
  const children = [...d.items.all()].filter((x) => x.parentId === folderId);
  return children.flatMap((c) => [...(c.folder ? descendantsOf(d, c.id) : []), c]);
}

/** `{parentId}:/{name}:/{action}` or `{itemId}/{action}` below /drives/{driveId}/items/. */
function itemPath(rest: string): { parentId: string; name?: string; action: string } {
  const colon = /^([^:/]+):\/(.+):\/([A-Za-z]+)$/.exec(rest);
  if (colon) return { parentId: colon[1], name: colon[2], action: colon[3] };
  const plain = /^([^/]+)\/([A-Za-z]+)$/.exec(rest);
  if (plain) return { parentId: plain[1], action: plain[2] };
  throw new GraphError(400, 'invalidRequest', `Unsupported segment in '${rest}'.`);
}

registerRoutes(
  chargingResourceUnits([
    {
      method: 'GET',
      path: '/drives/{driveId}/root',
      ...files,
      handler(ctx) {
        const d = driveOf(ctx);
        return ok(applySelect(itemJson(ctx.emulator, d, d.items.get(`${d.id}!root`)!), selectFor(ctx, 'driveItem')));
      },
    },
    {
      method: 'GET',
      path: '/drives/{driveId}/items/{itemId}/children',
      ...files,
      handler(ctx) {
        const { d, item } = itemOf(ctx);
        const select = selectFor(ctx, 'driveItem');
        const { page, nextLink } = listPage(
          ctx,
          [...d.items.all()].filter((x) => x.parentId === item.id),
          { fallback: 200, max: 1000 },
        );
        return ok({
          ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
          value: page.map((x) => applySelect(itemJson(ctx.emulator, d, x), select)),
        });
      },
    },
    {
      method: 'POST',
      path: '/drives/{driveId}/items/{itemId}/children',
      ...filesWrite,
      async handler(ctx) {
        const d = driveOf(ctx);
        const body = await ctx.json<{
          name?: string;
          folder?: unknown;
          '@microsoft.graph.conflictBehavior'?: string;
        }>();
        if (!body.folder)
          throw new GraphError(
            400,
            'invalidRequest',
            'Only folders can be created here; upload files with PUT …/content.',
          );
        const r = place(
          ctx.tenant,
          d,
          ctx.params.itemId,
          body.name ?? '',
          conflictOf(body['@microsoft.graph.conflictBehavior']),
          ctx.emulator.clock.now(),
        );
        return { status: 201, json: itemJson(ctx.emulator, d, r.item) };
      },
    },
    {
      // To the recycle bin: the item and everything below it leave the drive, and delta reports each as deleted.
      method: 'DELETE',
      path: '/drives/{driveId}/items/{itemId}',
      ...filesWrite,
      handler(ctx) {
        const { d, item } = itemOf(ctx);
        if (item.root) throw new GraphError(403, 'accessDenied', 'The root of a drive cannot be deleted.');
        const ifMatch = ctx.headers['if-match'];
        if (
          typeof ifMatch === 'string' &&
          ifMatch !== '*' &&
          ifMatch !== eTagOf(item) &&
          ifMatch !== `"c:{${item.id}},${item.version}"`
        ) {
          throw new GraphError(412, 'resourceModified', "ETag does not match current item's value");
        }
        for (const gone of [...descendantsOf(d, item.id), item]) d.items.remove(gone.id);
        return { status: 204 };
      },
    },
    {
      method: 'PUT',
      path: '/drives/{driveId}/items/{*rest}',
      ...filesWrite,
      async handler(ctx) {
        const d = driveOf(ctx);
        const p = itemPath(ctx.params.rest);
        if (p.action.toLowerCase() !== 'content')
          throw new GraphError(400, 'invalidRequest', `Unsupported action '${p.action}'.`);
        const bytes = await ctx.body();
        if (bytes.length > 250 * 1024 * 1024)
          throw new GraphError(413, 'requestTooLarge', 'Simple upload is limited to 250 MB; use an upload session.');
        if (!p.name) {
          const item = d.items.get(p.parentId);
          if (!item || item.folder) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
          const next = {
            ...item,
            content: bytes,
            size: bytes.length,
            version: item.version + 1,
            lastModifiedDateTime: isoSeconds(ctx.emulator.clock.now()),
          };
          d.items.update(next, ['content']);
          return ok(itemJson(ctx.emulator, d, next));
        }
        const r = place(
          ctx.tenant,
          d,
          p.parentId,
          p.name,
          conflictOf(ctx.query.get('@microsoft.graph.conflictBehavior')),
          ctx.emulator.clock.now(),
          bytes,
        );
        return { status: r.status, json: itemJson(ctx.emulator, d, r.item) };
      },
    },
    {
      method: 'POST',
      path: '/drives/{driveId}/items/{*rest}',
      ...filesWrite,
      async handler(ctx) {
        const d = driveOf(ctx);
        const p = itemPath(ctx.params.rest);
        if (p.action !== 'createUploadSession' || !p.name)
          throw new GraphError(400, 'invalidRequest', `Unsupported action '${p.action}'.`);
        if (!d.items.get(p.parentId)?.folder)
          throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
        const body = await ctx.json<{
          item?: { '@microsoft.graph.conflictBehavior'?: string };
          deferCommit?: boolean;
        }>();
        const conflict = conflictOf(body.item?.['@microsoft.graph.conflictBehavior'] ?? 'fail');
        if (
          conflict === 'fail' &&
          [...d.items.all()].some((x) => x.parentId === p.parentId && x.name.toLowerCase() === p.name!.toLowerCase())
        )
          throw new GraphError(409, 'nameAlreadyExists', 'The specified item name already exists.');
        const id = guidOf(ctx.tenant.seed, 'session', `${ctx.emulator.clock.now()}|${++created}`);
        const expires = ctx.emulator.clock.now() + URL_SECONDS * 1000;
        uploadsOf(ctx.emulator).set(id, {
          tenant: ctx.tenant,
          driveId: d.id,
          parentId: p.parentId,
          name: p.name,
          size: -1,
          conflict,
          chunks: [],
          received: 0,
          expires,
        });
        return ok({
          uploadUrl: `${ctx.emulator.origin}/_files/uploads/${id}?authtoken=${ctx.emulator.signUrlToken({ u: id }, URL_SECONDS)}`,
          expirationDateTime: new Date(expires).toISOString(),
          nextExpectedRanges: ['0-'],
        });
      },
    },
  ]),
);

const uploadError = (status: number, code: string, message: string): GraphResult => ({
  status,
  json: { error: { code, message } },
});

registerHttpRoutes([
  {
    method: '*',
    path: '/_files/uploads/{id}',
    async handler(ctx) {
      const rt = ctx.emulator;
      const claims = rt.verifyUrlToken(ctx.query.get('authtoken') ?? '');
      const s = uploadsOf(rt).get(ctx.params.id);
      if (!claims || claims.u !== ctx.params.id)
        return uploadError(401, 'unauthenticated', 'The upload URL is invalid or has expired.');
      if (!s || s.expires < rt.clock.now())
        return uploadError(404, 'itemNotFound', 'The upload session was not found or has expired.');
      if (ctx.method === 'DELETE') {
        uploadsOf(rt).delete(ctx.params.id);
        return { status: 204 };
      }
      if (ctx.method === 'GET')
        return {
          status: 200,
          json: { expirationDateTime: new Date(s.expires).toISOString(), nextExpectedRanges: [`${s.received}-`] },
        };
      if (ctx.method !== 'PUT') return uploadError(405, 'invalidRequest', 'Use PUT to upload a range.');
      const chunk = await ctx.body();
      rt.counters.uploadBytes += chunk.length;
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(ctx.headers['content-range'] ?? ''));
      if (!range)
        return uploadError(400, 'invalidRequest', 'A Content-Range header (bytes start-end/total) is required.');
      const [start, end, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
      if (s.size >= 0 && total !== s.size)
        return uploadError(400, 'invalidRequest', 'The total size changed during the session.');
      s.size = total;
      if (start !== s.received)
        return uploadError(416, 'invalidRange', `Expected the range starting at byte ${s.received}.`);
      if (end - start + 1 !== chunk.length || end >= total)
        return uploadError(400, 'invalidRequest', 'The Content-Range does not match the body.');
      if (end + 1 < total && chunk.length % (320 * 1024) !== 0)
        return uploadError(400, 'invalidRequest', 'Ranges other than the last must be a multiple of 320 KiB.');
      if (chunk.length > 60 * 1024 * 1024) return uploadError(413, 'requestTooLarge', 'A range may not exceed 60 MiB.');
      s.chunks.push(chunk);
      s.received += chunk.length;
      if (s.received < total)
        return {
          status: 202,
          json: { expirationDateTime: new Date(s.expires).toISOString(), nextExpectedRanges: [`${s.received}-`] },
        };
      uploadsOf(rt).delete(ctx.params.id);
      const d = driveById(s.tenant, s.driveId)!;
      const r = place(s.tenant, d, s.parentId, s.name, s.conflict, rt.clock.now(), Buffer.concat(s.chunks));
      return { status: r.status, json: itemJson(rt, d, r.item) };
    },
  },
]);
