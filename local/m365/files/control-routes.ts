// Control API for drives, as a user would change their OneDrive or a library: files added, renamed, rewritten,
// deleted; the bytes read back with their SHA-256 to verify restores.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';
import { isoSeconds } from '../mail/message';
import type { Tenant } from '../tenant/tenant';
import {
  Drive,
  DriveItem,
  driveById,
  driveOfUser,
  GrantedPermission,
  hashAhead,
  itemBytes,
  withNewContent,
} from './model';
import { guidOf } from '../tenant/seeded';

/** A control call's drive: a user's OneDrive (id or UPN) or any drive by id (e.g. a site's library). */
function userDrive(t: Tenant, owner: string): Drive {
  const d = driveOfUser(t, t.user(owner)?.id ?? owner) ?? driveById(t, owner);
  if (!d) throw new ControlError(404, `no drive for '${owner}'`);
  return d;
}

/** The control call's drive and the item it names. */
function itemOf(ctx: { tenant: Tenant; params: Record<string, string> }): { d: Drive; item: DriveItem } {
  const d = userDrive(ctx.tenant, ctx.params.user);
  const item = d.items.get(ctx.params.id);
  if (!item) throw new ControlError(404, `no item '${ctx.params.id}'`);
  return { d, item };
}

registerControlRoutes([
  {
    method: 'GET',
    path: '/drive/{user}/items',
    handler: (ctx) =>
      controlJson(
        200,
        [...userDrive(ctx.tenant, ctx.params.user).items.all()].map((x) => ({
          id: x.id,
          name: x.name,
          parentId: x.parentId ?? null,
          size: x.size,
          folder: !!x.folder,
          root: !!x.root,
        })),
      ),
  },
  {
    method: 'POST',
    path: '/drive/{user}/files',
    async handler(ctx) {
      const d = userDrive(ctx.tenant, ctx.params.user);
      const { name, content, size } = await input(
        ctx,
        z.object({ name: z.string().min(1), content: z.string().optional(), size: z.number().int().min(0).optional() }),
      );
      const bytes = content !== undefined ? Buffer.from(content, 'base64') : undefined;
      const now = isoSeconds(ctx.emulator.clock.now());
      const id = `${d.id}!n${ctx.tenant.changes.current() + 1}`;
      const item: DriveItem = {
        id,
        name,
        size: bytes?.length ?? size ?? 1024,
        version: 1,
        createdDateTime: now,
        lastModifiedDateTime: now,
        parentId: `${d.id}!root`,
        mimeType: 'application/octet-stream',
        ...(bytes ? { content: bytes } : {}),
      };
      if (!bytes) await hashAhead(d, item);
      d.items.create(item);
      return controlJson(201, { id });
    },
  },
  {
    method: 'PATCH',
    path: '/drive/{user}/files/{id}',
    async handler(ctx) {
      const { d, item } = itemOf(ctx);
      const { name, content } = await input(
        ctx,
        z.object({ name: z.string().optional(), content: z.string().optional() }),
      );
      const bytes = content !== undefined ? Buffer.from(content, 'base64') : undefined;
      const at = isoSeconds(ctx.emulator.clock.now());
      d.items.update(
        {
          ...(bytes ? withNewContent(item, bytes, at) : item),
          ...(name ? { name, meta: (item.meta ?? 0) + 1 } : {}),
          lastModifiedDateTime: at,
        },
        [...(name ? ['name'] : []), ...(bytes ? ['content'] : [])],
      );
      return { status: 204 };
    },
  },
  {
    // Shares an item with a person or through a link: its permissions change, its eTag does not (as in SharePoint).
    method: 'POST',
    path: '/drive/{user}/files/{id}/permissions',
    async handler(ctx) {
      const { d, item } = itemOf(ctx);
      const body = await input(
        ctx,
        z.object({
          roles: z.array(z.enum(['read', 'write'])).min(1),
          user: z.string().optional(),
          link: z.object({ type: z.enum(['view', 'edit']), scope: z.enum(['anonymous', 'organization']) }).optional(),
        }),
      );
      if (!body.user === !body.link) throw new ControlError(400, 'give either user or link');
      const person = body.user ? ctx.tenant.user(body.user) : undefined;
      if (body.user && !person) throw new ControlError(404, `no user '${body.user}'`);
      const id = guidOf(ctx.tenant.seed, 'permission', `${item.id}:${ctx.tenant.changes.current()}`);
      const granted: GrantedPermission = {
        id,
        roles: body.roles,
        ...(person
          ? { user: { id: person.id, displayName: person.displayName, email: person.mail ?? person.userPrincipalName } }
          : {}),
        ...(body.link ? { link: body.link } : {}),
      };
      d.items.update({ ...item, granted: [...(item.granted ?? []), granted] }, ['permissions']);
      return controlJson(201, { id });
    },
  },
  {
    method: 'DELETE',
    path: '/drive/{user}/files/{id}/permissions/{permission}',
    handler(ctx) {
      const d = userDrive(ctx.tenant, ctx.params.user);
      const item = d.items.get(ctx.params.id);
      if (!item?.granted?.some((p) => p.id === ctx.params.permission))
        throw new ControlError(404, `no permission '${ctx.params.permission}' on '${ctx.params.id}'`);
      d.items.update({ ...item, granted: item.granted.filter((p) => p.id !== ctx.params.permission) }, ['permissions']);
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/drive/{user}/files/{id}',
    handler(ctx) {
      const d = userDrive(ctx.tenant, ctx.params.user);
      if (!d.items.remove(ctx.params.id)) throw new ControlError(404, `no item '${ctx.params.id}'`);
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: '/drive/{user}/files/{id}/content',
    handler(ctx) {
      const { d, item } = itemOf(ctx);
      const bytes = Buffer.concat([...itemBytes(ctx.tenant, d, item)]);
      return { status: 200, headers: { 'x-sha256': createHash('sha256').update(bytes).digest('hex') }, bytes };
    },
  },
]);
