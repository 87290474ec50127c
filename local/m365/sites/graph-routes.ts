// SharePoint sites in Graph v1.0: /sites/root, /sites/{id}, path addressing (/sites/{hostname}:/sites/{path}),
// /groups/{id}/sites/root, search, getAllSites, subsites, and a site's drives. Aliases become canonical paths before
// routing (path-addressed site → /sites/{id}, site or group drive → /drives/{id}), so a library is served by
// files/graph-routes.ts whichever way it is addressed. Every site call checks the site's lock state; SharePoint's
// limits are keyed per site.
import { driveJson, FILES_READ, SITES_READ } from '../files/model';
import { GraphError } from '../graph/errors';
import { applySelect, listPage, option } from '../graph/odata';
import { selectFor } from '../graph/schema';
import { GraphContext, GraphResult, ok, registerPathRewrite, registerRoutes } from '../graph/router';
import { chargingResourceUnits } from '../resource-units';
import type { Site } from './model';
import './model'; // registers `tenant.sites` and the resolver of library drives
import type { Tenant } from '../tenant/tenant';

const siteNotFound = (): GraphError => new GraphError(404, 'itemNotFound', 'Requested site could not be found');

/** The route's site, refused as its lock state demands (`write` for anything but GET). */
export function siteOf(ctx: GraphContext): Site {
  const site = ctx.tenant.sites.byId(ctx.params.siteId);
  if (!site) throw siteNotFound();
  ctx.tenant.sites.guard(site, ctx.method !== 'GET');
  return site;
}

/** Throttling key of a site route: the site (its canonical id, whatever the casing). */
export const siteKey = (ctx: GraphContext): string => ctx.tenant.sites.byId(ctx.params.siteId)?.id ?? ctx.params.siteId;

export const sitesRead = { workload: 'sites' as const, permissions: SITES_READ, mailbox: siteKey };

/** A site as Graph renders it, with the request's $select. */
function siteJson(ctx: GraphContext, s: Site): Record<string, unknown> {
  const store = ctx.tenant.sites;
  const collectionRoot = s.kind !== 'subsite';
  return applySelect(
    {
      createdDateTime: s.createdDateTime,
      description: s.description,
      id: s.id,
      lastModifiedDateTime: s.createdDateTime,
      name: s.name,
      webUrl: store.webUrl(s),
      displayName: s.displayName,
      isPersonalSite: false,
      ...(collectionRoot
        ? { root: {}, siteCollection: { hostname: store.host, ...(s.kind === 'root' ? { root: {} } : {}) } }
        : {}),
    },
    selectFor(ctx, 'site'),
  );
}

/** One page of sites (search, getAllSites). */
function sitesPage(ctx: GraphContext, sites: Site[]): GraphResult {
  const { page, nextLink } = listPage(ctx, sites, { fallback: 200, max: 500 });
  return ok({ ...(nextLink ? { '@odata.nextLink': nextLink } : {}), value: page.map((s) => siteJson(ctx, s)) });
}

// ---- aliases ---------------------------------------------------------------------------------------------------

const siteById = (t: Tenant, raw: string): Site | undefined =>
  raw.toLowerCase() === 'root' ? t.sites.root() : t.sites.byId(decodeURIComponent(raw));

registerPathRewrite((path, t) => {
  // /sites/{hostname}:/{server-relative path}[:/rest] and /sites/{hostname}[/rest] (the root site).
  const byPath = /^\/sites\/([^/,:]+):(\/[^:]*)?(?::(\/.*)?)?$/.exec(path.replace(/%3A/gi, ':'));
  if (byPath) {
    const [, host, sitePath = '', rest = ''] = byPath;
    const site = t.sites.byPath(decodeURIComponent(host), decodeURIComponent(sitePath));
    // An unknown path keeps a site id that resolves to nothing: the route answers 404 after the permission check.
    return `/sites/${encodeURIComponent(site?.id ?? `${host},${sitePath}`)}${rest}`;
  }
  const byHost = /^\/sites\/([^/,:]+\.sharepoint\.com)(\/.*)?$/i.exec(path);
  if (byHost?.[1]!.toLowerCase() === t.sites.host)
    return `/sites/${encodeURIComponent(t.sites.root().id)}${byHost[2] ?? ''}`;
  const root = /^\/sites\/root(\/.*)?$/i.exec(path);
  if (root) return `/sites/${encodeURIComponent(t.sites.root().id)}${root[1] ?? ''}`;
  const group = /^\/groups\/([^/]+)\/(sites\/root|drive)(\/.*)?$/i.exec(path);
  const groupSite = group && t.sites.ofGroup(decodeURIComponent(group[1]));
  if (groupSite)
    return `/sites/${encodeURIComponent(groupSite.id)}${group[2].toLowerCase() === 'drive' ? '/drive' : ''}${group[3] ?? ''}`;
  // A site's default library, or a library list's drive, is a drive of files/model.ts.
  const drive = /^\/sites\/([^/]+)(?:\/lists\/([^/]+))?\/drive(\/.*)?$/i.exec(path);
  const site = drive && siteById(t, drive[1]);
  if (!site) return undefined;
  const list = drive[2] ? t.sites.listOf(site, decodeURIComponent(drive[2])) : t.sites.listsOf(site)[0];
  return list?.drive ? `/drives/${encodeURIComponent(list.drive.id)}${drive[3] ?? ''}` : undefined;
});

// ---- routes ----------------------------------------------------------------------------------------------------

/** `search=` as SharePoint's search matches it: title, URL name or description containing the words; `*` is all. */
function matchesSearch(s: Site, query: string | undefined): boolean {
  const q = (query ?? '*').replace(/^"|"$/g, '').trim().toLowerCase();
  return q === '*' || q === '' || [s.displayName, s.name, s.description].some((v) => v.toLowerCase().includes(q));
}

registerRoutes(
  chargingResourceUnits([
    {
      method: 'GET',
      path: '/sites',
      workload: 'sites',
      permissions: SITES_READ,
      handler: (ctx) =>
        sitesPage(
          ctx,
          ctx.tenant.sites.all().filter((s) => matchesSearch(s, option(ctx.query, 'search'))),
        ),
    },
    {
      // Site collections only (subsites are reached through /sites/{id}/sites), as getAllSites lists them.
      method: 'GET',
      path: '/sites/getAllSites',
      workload: 'sites',
      permissions: SITES_READ,
      handler: (ctx) =>
        sitesPage(
          ctx,
          ctx.tenant.sites.all().filter((s) => s.kind !== 'subsite'),
        ),
    },
    { method: 'GET', path: '/sites/{siteId}', ...sitesRead, handler: (ctx) => ok(siteJson(ctx, siteOf(ctx))) },
    {
      method: 'GET',
      path: '/sites/{siteId}/sites',
      ...sitesRead,
      handler(ctx) {
        const site = siteOf(ctx);
        return ok({
          value: ctx.tenant.sites
            .all()
            .filter((s) => s.parentId === site.id)
            .map((s) => siteJson(ctx, s)),
        });
      },
    },
    {
      method: 'GET',
      path: '/sites/{siteId}/drives',
      workload: 'files',
      permissions: FILES_READ,
      mailbox: siteKey,
      handler(ctx) {
        const site = siteOf(ctx);
        return ok({ value: ctx.tenant.sites.listsOf(site).flatMap((l) => (l.drive ? [driveJson(l.drive)] : [])) });
      },
    },
    // Reached only when an alias found nothing to point at: an unknown site, a group without a site (e.g. a security
    // group), a list that is no library.
    ...[
      '/groups/{groupId}/sites/root/{*rest}',
      '/groups/{groupId}/drive/{*rest}',
      '/sites/{siteId}/drive/{*rest}',
      '/sites/{siteId}/lists/{listId}/drive/{*rest}',
    ].flatMap((path) =>
      (['GET', 'POST', 'PUT'] as const).map((method) => ({
        method,
        path,
        workload: 'sites' as const,
        permissions: SITES_READ,
        handler(): never {
          throw new GraphError(404, 'itemNotFound', 'The resource could not be found.');
        },
      })),
    ),
  ]),
);
