// Control API for SharePoint: list the sites (with their lists and library drive ids), lock or archive a site,
// change or read back a generic list's items as its users would, and delete a generic list. Library files go through
// the drive control calls of files/control-routes.ts (`drive/{driveId}/files…`), which take a library's drive id.
import { z } from 'zod';
import { ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';
import { columnsOfList, createItem, GenericList, ListItemRecord, Site, unknownFields, updateFields } from './model';
import type { Tenant } from '../tenant/tenant';

/** A site by id, 'root', URL name or server-relative path. */
function siteNamed(t: Tenant, name: string): Site {
  const key = name.toLowerCase();
  const site =
    key === 'root'
      ? t.sites.root()
      : t.sites
          .all()
          .find((s) => s.id.toLowerCase() === key || s.name.toLowerCase() === key || s.path.toLowerCase() === key);
  if (!site) throw new ControlError(404, `no site '${name}'`);
  return site;
}

function genericList(t: Tenant, site: string, list: string): GenericList {
  const l = t.sites.listOf(siteNamed(t, site), list);
  if (!l?.items) throw new ControlError(404, `no generic list '${list}' on site '${site}'`);
  return l as GenericList;
}

const fieldsSchema = z.object({ fields: z.record(z.string(), z.unknown()) });

function checkedFields(fields: Record<string, unknown>, list: GenericList): Record<string, unknown> {
  const unknown = unknownFields(fields, list);
  if (unknown.length) throw new ControlError(400, `unknown fields: ${unknown.join(', ')}`);
  return fields;
}

const itemState = (i: ListItemRecord): Record<string, unknown> => ({
  id: i.id,
  version: i.version,
  fields: i.fields,
  lastModifiedDateTime: i.lastModifiedDateTime,
});

registerControlRoutes([
  {
    method: 'GET',
    path: '/sites',
    handler: (ctx) =>
      controlJson(
        200,
        ctx.tenant.sites.all().map((s) => ({
          id: s.id,
          kind: s.kind,
          name: s.name,
          displayName: s.displayName,
          webUrl: ctx.tenant.sites.webUrl(s),
          groupId: s.groupId ?? null,
          ...ctx.tenant.sites.state(s),
          lists: ctx.tenant.sites.listsOf(s).map((l) => ({
            id: l.id,
            name: l.name,
            displayName: l.displayName,
            template: l.template,
            driveId: l.drive?.id ?? null,
            items: l.items?.size ?? null,
            // A generic list's writable columns with their type facets.
            columns: l.items ? columnsOfList(l).map((c) => ({ name: c.name, ...c.facet })) : null,
          })),
        })),
      ),
  },
  {
    method: 'PUT',
    path: '/sites/{site}/lock',
    async handler(ctx) {
      const site = siteNamed(ctx.tenant, ctx.params.site);
      const change = await input(
        ctx,
        z.object({
          lockState: z.enum(['unlock', 'readOnly', 'noAccess']).optional(),
          archived: z.boolean().optional(),
        }),
      );
      ctx.tenant.sites.setState(site, change);
      return controlJson(200, ctx.tenant.sites.state(site));
    },
  },
  {
    method: 'DELETE',
    path: '/sites/{site}/lists/{list}',
    handler(ctx) {
      const list = genericList(ctx.tenant, ctx.params.site, ctx.params.list);
      ctx.tenant.sites.removeList(list.site, list);
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: '/sites/{site}/lists/{list}/items',
    handler: (ctx) =>
      controlJson(200, [...genericList(ctx.tenant, ctx.params.site, ctx.params.list).items.all()].map(itemState)),
  },
  {
    method: 'POST',
    path: '/sites/{site}/lists/{list}/items',
    async handler(ctx) {
      const list = genericList(ctx.tenant, ctx.params.site, ctx.params.list);
      const { fields } = await input(ctx, fieldsSchema);
      return controlJson(201, { id: createItem(list, checkedFields(fields, list), ctx.emulator.clock.now()).id });
    },
  },
  {
    method: 'PATCH',
    path: '/sites/{site}/lists/{list}/items/{id}',
    async handler(ctx) {
      const list = genericList(ctx.tenant, ctx.params.site, ctx.params.list);
      const item = list.items.get(ctx.params.id);
      if (!item) throw new ControlError(404, `no item '${ctx.params.id}'`);
      const { fields } = await input(ctx, fieldsSchema);
      return controlJson(
        200,
        itemState(updateFields(list, item, checkedFields(fields, list), ctx.emulator.clock.now())),
      );
    },
  },
  {
    method: 'DELETE',
    path: '/sites/{site}/lists/{list}/items/{id}',
    handler(ctx) {
      if (!genericList(ctx.tenant, ctx.params.site, ctx.params.list).items.remove(ctx.params.id))
        throw new ControlError(404, `no item '${ctx.params.id}'`);
      return { status: 204 };
    },
  },
]);
