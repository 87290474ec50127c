// Restores SharePoint site pages (Graph v1.0 sitePage) from the backed-up page JSON with its canvas: the page is
// created as a draft with its name, title, layout, title area and canvas, then published. What round-trips is what
// v1.0 serves: text web parts (their HTML) and standard web parts (their type id and data, e.g. Quick links, Image,
// Hero), in their sections and columns. Not in v1.0's sitePage, so not kept: comments, likes, page translations,
// the page's version history, and web parts Graph serves without data (some third-party ones).
// A page of the same name in the site: skipped, overwritten (title and canvas PATCHed, published again) or kept
// beside a restored copy ("Name (1).aspx"); in another site a conflict always makes a copy. Page names are unique per
// site, so a retried batch finds its own earlier create by name: a page of that name created since the job started.
import type { GraphClient } from '../graph/graph-client';
import type { VersionDoc } from '../catalog/version-doc';
import type { ItemResult } from '../operations/operation-store';
import type { OverwriteBehavior } from './restore-request';
import { freeName } from './conflict-names';
import { textOf } from '../domain/text';

export interface PageTarget {
  graph: GraphClient;
  siteId: string;
  original: boolean;
  overwrite: OverwriteBehavior;
  startedAt: Date;
  deadline: number;
}

/** A backed-up page as stored: Graph's sitePage with `$expand=canvasLayout`. */
export type SitePageJson = Record<string, unknown> & { id: string; name?: string };

interface ListedPage {
  id: string;
  name: string;
  createdDateTime?: string;
}

/** What a create or an update may carry: the page's own writable properties. */
const WRITABLE = ['title', 'pageLayout', 'showComments', 'showRecommendedPages', 'titleArea', 'canvasLayout'];

const seg = encodeURIComponent;

export class PageRestorer {
  private listed: Promise<ListedPage[]> | undefined;

  constructor(private readonly t: PageTarget) {}

  private get base(): string {
    return `/sites/${seg(this.t.siteId)}/pages`;
  }

  private opts(write: boolean) {
    return {
      mailbox: this.t.siteId,
      operation: write ? ('files.write' as const) : ('files.read' as const),
      deadline: this.t.deadline,
    };
  }

  /** The site's pages, read once per restore batch (kept up to date with the creates). */
  private pages(): Promise<ListedPage[]> {
    return (this.listed ??= this.t.graph.all<ListedPage>(
      `${this.base}/microsoft.graph.sitePage?$select=id,name,createdDateTime`,
      this.opts(false),
    ));
  }

  private async put(pageId: string | undefined, name: string, page: SitePageJson): Promise<string> {
    const body = Object.fromEntries(WRITABLE.filter((k) => page[k] !== undefined).map((k) => [k, page[k]]));
    const id =
      pageId ??
      (
        await this.t.graph.send<{ id: string }>(
          'POST',
          this.base,
          { '@odata.type': '#microsoft.graph.sitePage', name, ...body },
          this.opts(true),
        )
      ).id;
    if (pageId)
      await this.t.graph.send('PATCH', `${this.base}/${seg(id)}/microsoft.graph.sitePage`, body, this.opts(true));
    await this.t.graph.send(
      'POST',
      `${this.base}/${seg(id)}/microsoft.graph.sitePage/publish`,
      undefined,
      this.opts(true),
    );
    return id;
  }

  async item(doc: VersionDoc, page: SitePageJson): Promise<ItemResult> {
    const name = textOf([page.name, doc.props.name], `${doc.itemId}.aspx`);
    const base = { itemId: doc.itemId, name };
    const pages = await this.pages();
    const existing = pages.find((p) => p.name.toLowerCase() === name.toLowerCase());
    // Graph's times are whole seconds: the second the job started in counts.
    const since = Math.floor(this.t.startedAt.getTime() / 1000) * 1000;
    const mine = existing && Date.parse(textOf([existing.createdDateTime], '')) >= since;
    if (!existing || mine) {
      const id = await this.put(existing?.id, name, page);
      if (!existing) pages.push({ id, name, createdDateTime: new Date().toISOString() });
      return { ...base, outcome: 'restored', newId: id };
    }
    if (this.t.original && this.t.overwrite === 'skip')
      return { ...base, outcome: 'skipped', reason: 'a page of that name still exists' };
    if (this.t.original && this.t.overwrite === 'overwrite')
      return { ...base, outcome: 'overwritten', newId: await this.put(existing.id, name, page) };
    const copy = freeName(name, (n) => pages.some((p) => p.name.toLowerCase() === n.toLowerCase()));
    const id = await this.put(undefined, copy, page);
    pages.push({ id, name: copy, createdDateTime: new Date().toISOString() });
    return { ...base, name: copy, outcome: 'renamed', newId: id };
  }
}
