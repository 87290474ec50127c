// Site pages as Graph v1.0 serves them (sitePage, canvasLayout): every site has a home page (a text web part and a
// standard "Quick links" web part) and a news article (text only), generated from the seed. Routes: list
// (`/pages`, `/pages/microsoft.graph.sitePage`), get (`/pages/{id}/microsoft.graph.sitePage`, `$expand=canvasLayout`),
// create (`POST /pages`, a draft), update (PATCH title / canvasLayout), publish, delete. Control: edit a page's text,
// delete a page. Page eTags move with each change; published pages carry publishingState.level "published".
import { z } from 'zod';
import { SITES_READ, SITES_WRITE } from '../files/model';
import { ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';
import { GraphError } from '../graph/errors';
import { option } from '../graph/odata';
import { GraphContext, ok, registerRoutes } from '../graph/router';
import { isoSeconds } from '../mail/message';
import { chargingResourceUnits } from '../resource-units';
import { guidOf } from '../tenant/seeded';
import type { Tenant } from '../tenant/tenant';
import { siteKey, siteOf } from './graph-routes';
import type { Site } from './model';

export interface SitePage {
  id: string;
  name: string;
  title: string;
  pageLayout: 'article' | 'home';
  createdDateTime: string;
  lastModifiedDateTime: string;
  version: number;
  published: boolean;
  canvasLayout: { horizontalSections: Array<Record<string, unknown>> };
}

const pagesOfTenant = new WeakMap<Tenant, Map<string, Map<string, SitePage>>>();
/** The standard "Quick links" web part (a first-party web part type id). */
export const QUICK_LINKS = 'c70391ea-0b10-4ee9-b2b4-006d3fcad0cd';

const section = (seed: string, siteId: string, page: string, webparts: Array<Record<string, unknown>>) => ({
  layout: 'oneColumn',
  id: '1',
  emphasis: 'none',
  columns: [
    { id: '1', width: 12, webparts: webparts.map((w, i) => ({ id: guidOf(seed, siteId, page, `${i}`), ...w })) },
  ],
});

/** The site's pages, generated on first use. */
export function pagesOf(t: Tenant, site: Site): Map<string, SitePage> {
  let bySite = pagesOfTenant.get(t);
  if (!bySite) pagesOfTenant.set(t, (bySite = new Map<string, Map<string, SitePage>>()));
  let pages = bySite.get(site.id);
  if (!pages) {
    const at = isoSeconds(t.created);
    const page = (
      name: string,
      title: string,
      layout: SitePage['pageLayout'],
      webparts: Array<Record<string, unknown>>,
    ): SitePage => ({
      id: guidOf(t.seed, 'page', site.id, name),
      name,
      title,
      pageLayout: layout,
      createdDateTime: at,
      lastModifiedDateTime: at,
      version: 1,
      published: true,
      canvasLayout: { horizontalSections: [section(t.seed, site.id, name, webparts)] },
    });
    pages = new Map(
      [
        page('Home.aspx', site.displayName, 'home', [
          {
            '@odata.type': '#microsoft.graph.textWebPart',
            innerHtml: `<h2>Welcome to ${site.displayName}</h2><p>${site.description}</p>`,
          },
          {
            '@odata.type': '#microsoft.graph.standardWebPart',
            webPartType: QUICK_LINKS,
            data: {
              dataVersion: '2.2',
              title: 'Quick links',
              properties: { items: [{ title: 'Policies', url: '/sites/policies' }], layoutId: 'CompactCard' },
              serverProcessedContent: { searchablePlainTexts: [{ key: 'items[0].title', value: 'Policies' }] },
            },
          },
        ]),
        page('Quarterly-update.aspx', `${site.displayName}: quarterly update`, 'article', [
          { '@odata.type': '#microsoft.graph.textWebPart', innerHtml: '<p>What changed this quarter, in brief.</p>' },
        ]),
      ].map((p) => [p.id, p]),
    );
    bySite.set(site.id, pages);
  }
  return pages;
}

function pageJson(site: Site, p: SitePage, withCanvas: boolean): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.sitePage',
    id: p.id,
    name: p.name,
    title: p.title,
    pageLayout: p.pageLayout,
    eTag: `"{${p.id}},${p.version}"`,
    webUrl: `SitePages/${encodeURIComponent(p.name)}`,
    createdDateTime: p.createdDateTime,
    lastModifiedDateTime: p.lastModifiedDateTime,
    publishingState: { level: p.published ? 'published' : 'checkout', versionId: `${p.version}.0` },
    parentReference: { siteId: site.id },
    ...(withCanvas ? { canvasLayout: p.canvasLayout } : {}),
  };
}

const read = { workload: 'sites' as const, permissions: SITES_READ, mailbox: siteKey };
const write = { workload: 'sites' as const, permissions: SITES_WRITE, mailbox: siteKey };
const expands = (ctx: GraphContext): boolean => /canvasLayout/i.test(option(ctx.query, '$expand') ?? '');

function pageOf(ctx: GraphContext): { site: Site; page: SitePage } {
  const site = siteOf(ctx);
  const page = pagesOf(ctx.tenant, site).get(ctx.params.pageId);
  if (!page) throw new GraphError(404, 'itemNotFound', 'The specified page was not found.');
  return { site, page };
}

/** What Graph takes to create or update a page: its type, name, title, layout and the canvas, as it serves them. */
const PAGE_BODY = z.object({
  '@odata.type': z.literal('#microsoft.graph.sitePage').optional(),
  name: z
    .string()
    .regex(/^[^\\/:*?"<>|#%]+\.aspx$/i)
    .optional(),
  title: z.string().max(255).optional(),
  pageLayout: z.enum(['article', 'home']).optional(),
  canvasLayout: z.object({ horizontalSections: z.array(z.looseObject({})) }).optional(),
});

async function body(ctx: GraphContext): Promise<z.infer<typeof PAGE_BODY>> {
  const parsed = PAGE_BODY.safeParse(await ctx.json());
  if (!parsed.success)
    throw new GraphError(400, 'invalidRequest', `Invalid request: ${parsed.error.issues[0]?.path.join('.') || 'body'}`);
  return parsed.data;
}

const list = (ctx: GraphContext) => {
  const site = siteOf(ctx);
  return ok({ value: [...pagesOf(ctx.tenant, site).values()].map((p) => pageJson(site, p, false)) });
};

registerRoutes(
  chargingResourceUnits([
    { method: 'GET', path: '/sites/{siteId}/pages', ...read, handler: list },
    { method: 'GET', path: '/sites/{siteId}/pages/microsoft.graph.sitePage', ...read, handler: list },
    ...['/sites/{siteId}/pages/{pageId}', '/sites/{siteId}/pages/{pageId}/microsoft.graph.sitePage'].map((path) => ({
      method: 'GET' as const,
      path,
      ...read,
      handler(ctx: GraphContext) {
        const { site, page } = pageOf(ctx);
        return ok(pageJson(site, page, expands(ctx)));
      },
    })),
    {
      method: 'POST',
      path: '/sites/{siteId}/pages',
      ...write,
      async handler(ctx) {
        const site = siteOf(ctx);
        const b = await body(ctx);
        if (b['@odata.type'] !== '#microsoft.graph.sitePage' || !b.name)
          throw new GraphError(
            400,
            'invalidRequest',
            'A sitePage needs @odata.type #microsoft.graph.sitePage and a name.',
          );
        const pages = pagesOf(ctx.tenant, site);
        if ([...pages.values()].some((p) => p.name.toLowerCase() === b.name!.toLowerCase()))
          throw new GraphError(409, 'nameAlreadyExists', `A page named '${b.name}' already exists.`);
        const at = isoSeconds(ctx.emulator.clock.now());
        const page: SitePage = {
          id: guidOf(ctx.tenant.seed, 'page', site.id, `${b.name}:${ctx.tenant.changes.next()}`),
          name: b.name,
          title: b.title ?? b.name.replace(/\.aspx$/i, ''),
          pageLayout: b.pageLayout ?? 'article',
          createdDateTime: at,
          lastModifiedDateTime: at,
          version: 1,
          published: false,
          canvasLayout: b.canvasLayout ?? { horizontalSections: [] },
        };
        pages.set(page.id, page);
        return { status: 201, json: pageJson(site, page, true) };
      },
    },
    {
      method: 'PATCH',
      path: '/sites/{siteId}/pages/{pageId}/microsoft.graph.sitePage',
      ...write,
      async handler(ctx) {
        const { site, page } = pageOf(ctx);
        const b = await body(ctx);
        Object.assign(page, {
          ...(b.title !== undefined ? { title: b.title } : {}),
          ...(b.canvasLayout ? { canvasLayout: b.canvasLayout } : {}),
          version: page.version + 1,
          published: false,
          lastModifiedDateTime: isoSeconds(ctx.emulator.clock.now()),
        });
        return ok(pageJson(site, page, true));
      },
    },
    {
      method: 'POST',
      path: '/sites/{siteId}/pages/{pageId}/microsoft.graph.sitePage/publish',
      ...write,
      handler(ctx) {
        const { page } = pageOf(ctx);
        page.published = true;
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      path: '/sites/{siteId}/pages/{pageId}',
      ...write,
      handler(ctx) {
        const { site, page } = pageOf(ctx);
        pagesOf(ctx.tenant, site).delete(page.id);
        return { status: 204 };
      },
    },
  ]),
);

registerControlRoutes([
  {
    method: 'GET',
    path: '/sites/{site}/pages',
    handler(ctx) {
      const site = ctx.tenant.sites.byId(ctx.params.site);
      if (!site) throw new ControlError(404, `no site '${ctx.params.site}'`);
      return controlJson(200, [...pagesOf(ctx.tenant, site).values()]);
    },
  },
  {
    // An edit in the browser: the page's title and its first text web part's HTML, a new version, published.
    method: 'PATCH',
    path: '/sites/{site}/pages/{id}',
    async handler(ctx) {
      const site = ctx.tenant.sites.byId(ctx.params.site);
      const page = site && pagesOf(ctx.tenant, site).get(ctx.params.id);
      if (!site || !page) throw new ControlError(404, `no page '${ctx.params.id}'`);
      const b = await input(ctx, z.object({ title: z.string().optional(), html: z.string().optional() }));
      if (b.html !== undefined) {
        const text = page.canvasLayout.horizontalSections
          .flatMap((s) => (s.columns as Array<{ webparts: Array<Record<string, unknown>> }>) ?? [])
          .flatMap((c) => c.webparts)
          .find((w) => w['@odata.type'] === '#microsoft.graph.textWebPart');
        if (!text) throw new ControlError(400, 'the page has no text web part');
        text.innerHtml = b.html;
      }
      Object.assign(page, {
        ...(b.title !== undefined ? { title: b.title } : {}),
        version: page.version + 1,
        lastModifiedDateTime: isoSeconds(ctx.emulator.clock.now()),
      });
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/sites/{site}/pages/{id}',
    handler(ctx) {
      const site = ctx.tenant.sites.byId(ctx.params.site);
      if (!site || !pagesOf(ctx.tenant, site).delete(ctx.params.id))
        throw new ControlError(404, `no page '${ctx.params.id}'`);
      return { status: 204 };
    },
  },
]);
