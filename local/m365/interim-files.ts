// Interim OneDrive emulation (the first cut's behaviour on the new router and change log) so the product's OneDrive
// backups keep working until F's files workload (tenant/drives*.ts, graph/routes-files.ts) lands; then this file and
// its line in workloads.ts go. Drives of licensed users: a root, two folders and `filesPerDrive` files whose bytes
// are a function of (seed, drive, item, version); root delta with `token=` links, deletions as a `deleted` facet,
// 410 + Location; /content → 302 to a pre-authenticated, Range-capable URL.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { ControlError, controlJson, registerControlRoutes } from './control/registry';
import { input } from './control/routes-core';
import { deltaResponse } from './graph/delta';
import { GraphError } from './graph/errors';
import { GraphContext, GraphResult, ok, registerRoutes } from './graph/router';
import { registerHttpRoutes } from './http-routes';
import type { EmulatorRuntime } from './runtime';
import { arrayBase, ChangeLog } from './tenant/change-log';
import { isoSeconds } from './tenant/message';
import { bytesOf, guidOf, pick, rng } from './tenant/seeded';
import { registerTenantExtension, Tenant } from './tenant/tenant';

interface DriveItem {
  id: string;
  name: string;
  size: number;
  version: number;
  createdDateTime: string;
  lastModifiedDateTime: string;
  parentId?: string;
  folder?: boolean;
  root?: boolean;
  mimeType?: string;
  content?: Buffer;
}

interface Drive {
  id: string;
  ownerId: string;
  items: ChangeLog<DriveItem>;
}

const drives = new WeakMap<Tenant, Map<string, Drive>>();
const READ_FILES = ['Files.Read.All', 'Files.ReadWrite.All', 'Sites.Read.All', 'Sites.ReadWrite.All'];
const URL_SECONDS = 3600;

const driveIdOf = (t: Tenant, userId: string): string => `b!${guidOf(t.seed, 'drive', userId).replace(/-/g, '')}`;

function driveOfUser(t: Tenant, userId: string): Drive | undefined {
  const user = t.user(userId);
  if (!user?.oneDriveProvisioned) return undefined;
  const all = drives.get(t)!;
  const id = driveIdOf(t, user.id);
  let d = all.get(id);
  if (!d) {
    const n = t.profile.filesPerDrive;
    const at = isoSeconds(t.created);
    const base = arrayBase<DriveItem>(() => Array.from({ length: 3 + n }, (_, i): DriveItem => {
      if (i === 0) return { id: `${id}!root`, name: 'root', size: 0, version: 1, createdDateTime: at, lastModifiedDateTime: at, folder: true, root: true };
      if (i <= 2) return { id: `${id}!f${i}`, name: i === 1 ? 'Documents' : 'Übersicht 2026', size: 0, version: 1, createdDateTime: at, lastModifiedDateTime: at, parentId: `${id}!root`, folder: true };
      const r = rng(t.seed, id, 'file', i);
      const ext = pick(r, ['docx', 'xlsx', 'pdf', 'txt', 'pptx']);
      const { min, max } = t.profile.fileBytes;
      return {
        id: `${id}!${i}`, name: `${pick(r, ['Plan', 'Report', 'Notes', 'Budget', 'Design'])} ${i}.${ext}`, size: Math.floor(min + r() * (max - min)), version: 1,
        createdDateTime: at, lastModifiedDateTime: at, parentId: i % 3 === 0 ? `${id}!root` : `${id}!f${1 + (i % 2)}`, mimeType: ext === 'txt' ? 'text/plain' : 'application/octet-stream',
      };
    }));
    d = { id, ownerId: user.id, items: new ChangeLog(`drives/${id}`, base, t.changes) };
    all.set(id, d);
  }
  return d;
}

function driveById(t: Tenant, driveId: string): Drive | undefined {
  const known = drives.get(t)!.get(driveId);
  if (known) return known;
  const owner = [...t.directory.users.all()].find((u) => driveIdOf(t, u.id) === driveId);
  return owner ? driveOfUser(t, owner.id) : undefined;
}

registerTenantExtension((t) => {
  drives.set(t, new Map());
  t.tokenExpiryHooks.push((userId) => {
    for (const d of drives.get(t)!.values()) if (!userId || d.ownerId === userId) d.items.expire();
  });
});

const itemBytes = (t: Tenant, d: Drive, item: DriveItem): Iterable<Buffer> => item.content ? [item.content] : bytesOf(`${t.seed}|${d.id}|${item.id}|v${item.version}`, item.size);

function itemJson(rt: EmulatorRuntime, d: Drive, item: DriveItem): Record<string, unknown> {
  return {
    id: item.id, name: item.name, eTag: `"{${item.id}},${item.version}"`, cTag: `"c:{${item.id}},${item.version}"`, size: item.size,
    createdDateTime: item.createdDateTime, lastModifiedDateTime: item.lastModifiedDateTime,
    parentReference: { driveId: d.id, driveType: 'business', ...(item.parentId ? { id: item.parentId } : {}) },
    ...(item.root ? { root: {} } : {}),
    ...(item.folder ? { folder: { childCount: [...d.items.all()].filter((x) => x.parentId === item.id).length } } : { file: { mimeType: item.mimeType } }),
    ...(item.folder ? {} : { '@microsoft.graph.downloadUrl': `${rt.origin}/_content/${rt.signUrlToken({ d: d.id, i: item.id, v: item.version }, URL_SECONDS)}` }),
  };
}

function driveOf(ctx: GraphContext): Drive {
  const d = driveById(ctx.tenant, ctx.params.driveId!);
  if (!d) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
  return d;
}

function itemOf(ctx: GraphContext): { d: Drive; item: DriveItem } {
  const d = driveOf(ctx);
  const item = d.items.get(ctx.params.itemId!);
  if (!item) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
  return { d, item };
}

const files = { workload: 'files' as const, permissions: READ_FILES };

registerRoutes([
  {
    method: 'GET', path: '/users/{userId}/drive', ...files, mailbox: (ctx) => ctx.params.userId!,
    handler(ctx) {
      const user = ctx.tenant.user(ctx.params.userId!);
      const d = user && driveOfUser(ctx.tenant, user.id);
      if (!user || !d) throw new GraphError(404, 'ResourceNotFound', "User's mysite not found.");
      return ok({ id: d.id, driveType: 'business', name: 'OneDrive', owner: { user: { id: user.id, displayName: user.displayName } } });
    },
  },
  {
    method: 'GET', path: '/drives/{driveId}/root/delta', ...files, mailbox: (ctx) => ctx.params.driveId!,
    handler(ctx) {
      const d = driveOf(ctx);
      const linkPath = `/drives/${d.id}/root/delta`;
      return deltaResponse(ctx, {
        log: d.items, linkPath, tokenStyle: 'token', context: 'Collection(driveItem)', pageSize: { fallback: 200, max: 1000 }, latest: true,
        expired: () => new GraphError(410, 'resyncRequired', 'Resync required. Replace any local items with the server\'s version (including deletes) if you\'re sure that the service was up to date with your local changes when you last sync\'d.', { headers: { Location: `${ctx.baseUrl}${linkPath}` }, innerCode: 'resyncChangesApplyDifferences' }),
        // OneDrive for Business marks deletions with a `deleted` facet, not @removed, and without the name.
        render: (c) => [c.kind === 'removed' ? { id: c.id, deleted: { state: 'deleted' }, parentReference: { driveId: d.id } } : itemJson(ctx.emulator, d, c.item)],
      });
    },
  },
  { method: 'GET', path: '/drives/{driveId}/items/{itemId}', ...files, mailbox: (ctx) => ctx.params.driveId!, handler: (ctx) => { const { d, item } = itemOf(ctx); return ok(itemJson(ctx.emulator, d, item)); } },
  {
    method: 'GET', path: '/drives/{driveId}/items/{itemId}/content', ...files, mailbox: (ctx) => ctx.params.driveId!,
    handler(ctx) {
      const { d, item } = itemOf(ctx);
      if (item.folder) throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
      return { status: 302, headers: { Location: `${ctx.emulator.origin}/_content/${ctx.emulator.signUrlToken({ d: d.id, i: item.id, v: item.version }, URL_SECONDS)}` } };
    },
  },
]);

registerHttpRoutes([
  {
    method: 'GET', path: '/_content/{token}',
    handler(ctx): GraphResult {
      const claims = ctx.emulator.verifyUrlToken(ctx.params.token!);
      if (!claims) return { status: 401, json: { error: { code: 'unauthenticated', message: 'The download URL has expired or is invalid.' } } };
      const t = ctx.emulator.tenants.list().find((x) => driveById(x, String(claims.d)));
      const d = t && driveById(t, String(claims.d));
      const item = d?.items.get(String(claims.i));
      if (!t || !d || !item || item.folder) return { status: 404, json: { error: { code: 'itemNotFound', message: 'The resource could not be found.' } } };
      const range = /^bytes=(\d+)-(\d*)$/.exec(String(ctx.headers.range ?? ''));
      if (range) {
        const all = Buffer.concat([...itemBytes(t, d, item)]);
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), all.length - 1) : all.length - 1;
        return { status: 206, headers: { 'content-range': `bytes ${start}-${end}/${all.length}`, 'content-type': 'application/octet-stream' }, bytes: all.subarray(start, end + 1) };
      }
      return { status: 200, headers: { 'content-type': 'application/octet-stream', 'content-length': String(item.size) }, stream: Readable.from(itemBytes(t, d, item)) };
    },
  },
]);

function userDrive(t: Tenant, user: string): Drive {
  const d = driveOfUser(t, t.user(user)?.id ?? user);
  if (!d) throw new ControlError(404, `no drive for '${user}'`);
  return d;
}

registerControlRoutes([
  {
    method: 'POST', path: '/drive/{user}/files',
    async handler(ctx) {
      const d = userDrive(ctx.tenant, ctx.params.user!);
      const { name, content, size } = await input(ctx, z.object({ name: z.string().min(1), content: z.string().optional(), size: z.number().int().min(0).optional() }));
      const bytes = content !== undefined ? Buffer.from(content, 'base64') : undefined;
      const now = isoSeconds(ctx.emulator.clock.now());
      const id = `${d.id}!n${ctx.tenant.changes.current() + 1}`;
      d.items.create({ id, name, size: bytes?.length ?? size ?? 1024, version: 1, createdDateTime: now, lastModifiedDateTime: now, parentId: `${d.id}!root`, mimeType: 'application/octet-stream', ...(bytes ? { content: bytes } : {}) });
      return controlJson(201, { id });
    },
  },
  {
    method: 'PATCH', path: '/drive/{user}/files/{id}',
    async handler(ctx) {
      const d = userDrive(ctx.tenant, ctx.params.user!);
      const item = d.items.get(ctx.params.id!);
      if (!item) throw new ControlError(404, `no item '${ctx.params.id}'`);
      const { name, content } = await input(ctx, z.object({ name: z.string().optional(), content: z.string().optional() }));
      const bytes = content !== undefined ? Buffer.from(content, 'base64') : undefined;
      d.items.update({ ...item, ...(name ? { name } : {}), ...(bytes ? { content: bytes, size: bytes.length, version: item.version + 1 } : {}), lastModifiedDateTime: isoSeconds(ctx.emulator.clock.now()) }, [...(name ? ['name'] : []), ...(bytes ? ['content'] : [])]);
      return { status: 204 };
    },
  },
  {
    method: 'DELETE', path: '/drive/{user}/files/{id}',
    handler(ctx) {
      const d = userDrive(ctx.tenant, ctx.params.user!);
      if (!d.items.remove(ctx.params.id!)) throw new ControlError(404, `no item '${ctx.params.id}'`);
      return { status: 204 };
    },
  },
  {
    method: 'GET', path: '/drive/{user}/files/{id}/content',
    handler(ctx) {
      const d = userDrive(ctx.tenant, ctx.params.user!);
      const item = d.items.get(ctx.params.id!);
      if (!item) throw new ControlError(404, `no item '${ctx.params.id}'`);
      const bytes = Buffer.concat([...itemBytes(ctx.tenant, d, item)]);
      return { status: 200, headers: { 'x-sha256': createHash('sha256').update(bytes).digest('hex') }, bytes };
    },
  },
]);
