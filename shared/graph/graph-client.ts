// The product's one Microsoft Graph client: JSON reads and writes, delta/collection pages, streamed content
// (message MIME, file downloads via their pre-authenticated URL), $batch, the token's granted roles for alarms,
// and request/throttling counters for run reports and benchmarks. Built on the pipeline's throttling discipline.
import { Readable } from 'node:stream';
import { contentChanged } from '../domain/content-changed';
import type { GraphOperation } from '../domain/graph-permissions';
import type { DeltaPage, RangedBody } from '../backup/ports';
import type { GraphSession } from './graph-session';
import { runBatch } from './batch';
import type { BatchRequest, BatchResult } from './batch-plan';
import { getPage, Page, PageOptions } from './delta-page';
import { Download, download, DownloadOptions } from './download';
import { GraphStats, HttpPipeline, PipelineOptions, Tally } from './http-pipeline';
import type { AppTokenSource } from './token-provider';

export interface CallOptions {
  /** Throttling key: the mailbox, drive or site the request touches. */
  mailbox: string;
  operation: GraphOperation;
  /** Epoch ms by which the caller must return. */
  deadline: number;
  headers?: Record<string, string>;
  /** Counts this caller's requests apart (see GraphCall.tally). */
  tally?: Tally;
  /** A pre-authenticated URL (upload session): no bearer token is sent. */
  anonymous?: boolean;
  /** Whether a request that may have reached the server can be sent again (see GraphCall). */
  idempotent?: boolean;
}

export interface GraphClientOptions extends Omit<PipelineOptions, 'tokens'> {
  tokens: AppTokenSource;
  /** Page size asked for by page() (delta rounds of the backup). */
  pageSize?: number;
}

/** Graph's traffic decoration: ISV|Company|App/Version (decorated traffic is preferred when throttling). */
export const userAgent = (version: string): string => `ISV|m365-vault|m365-vault/${version}`;

export class GraphClient implements GraphSession {
  private readonly pipeline: HttpPipeline;

  constructor(private readonly opts: GraphClientOptions) {
    this.pipeline = new HttpPipeline(opts);
  }

  /** One resource as JSON. */
  get<T>(path: string, o: CallOptions): Promise<T> {
    return this.pipeline.json<T>({ ...o, url: path });
  }

  /** A write (restore): JSON body unless given bytes or a string with its own Content-Type. */
  send<T>(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body: unknown, o: CallOptions): Promise<T> {
    const raw = typeof body === 'string' || Buffer.isBuffer(body);
    return this.pipeline.json<T>({
      ...o,
      method,
      url: path,
      ...(body === undefined ? {} : { body: raw ? body : JSON.stringify(body) }),
      headers: { ...(body === undefined || raw ? {} : { 'content-type': 'application/json' }), ...o.headers },
    });
  }

  /** One page of a collection or delta round. */
  getPage<T>(urlOrPath: string, o: PageOptions): Promise<Page<T>> {
    return getPage<T>(this.pipeline, urlOrPath, o);
  }

  /** A delta page for the sync engine, at the configured page size. */
  page(url: string, o: CallOptions): Promise<DeltaPage> {
    return this.getPage(url, { ...o, maxPageSize: this.opts.pageSize ?? 100 });
  }

  /** Lists a collection, following nextLink to the end (small collections only: it collects them in memory). */
  async all<T>(path: string, o: CallOptions): Promise<T[]> {
    const out: T[] = [];
    for (let next: string | undefined = path; next;) {
      const page: Page<T> = await this.getPage<T>(next, o);
      out.push(...page.value);
      next = page.nextLink;
    }
    return out;
  }

  /** Content with its status and headers: `$value`, or `/content` through its pre-authenticated URL. */
  download(pathOrUrl: string, o: DownloadOptions): Promise<Download> {
    return download(this.pipeline, pathOrUrl, o);
  }

  /** The content bytes only, streaming (the sync engine's port). */
  async stream(url: string, o: CallOptions): Promise<Readable> {
    return (await this.download(url, o)).body;
  }

  /** A file's bytes from byte `from` on, with the download's ETag (the sync engine's ranged reads). */
  async streamFrom(url: string, o: CallOptions, from: number): Promise<RangedBody> {
    const d = await this.download(url, { ...o, ...(from > 0 ? { range: { start: from } } : {}) });
    const etag = typeof d.headers.etag === 'string' ? { etag: d.headers.etag } : {};
    if (from === 0 || d.status === 206) {
      const served = /^bytes (\d+)-/.exec(String(d.headers['content-range'] ?? ''));
      if (from === 0 || Number(served?.[1]) === from) return { body: d.body, ...etag };
      d.body.destroy();
      throw contentChanged(
        `asked for bytes from ${from}, the download host served '${String(d.headers['content-range'])}'`,
      );
    }
    // A host that ignores Range answers 200 with the whole file: the bytes before `from` are dropped.
    return { body: Readable.from(dropFirst(d.body, from)), ...etag };
  }

  /** JSON batching; per-item results in request order (see batch.ts for what a throttled item returns). */
  batch(requests: readonly BatchRequest[], o: CallOptions & { maxAttempts?: number }): Promise<BatchResult[]> {
    return runBatch(this.pipeline, requests, o);
  }

  /** The application permissions in the current token, for naming a missing one in alarms. */
  grantedRoles(): Promise<string[]> {
    return this.opts.tokens.roles();
  }

  stats(): GraphStats & { tokenRequests: number } {
    return { ...this.pipeline.stats(), ...this.opts.tokens.stats() };
  }
}

async function* dropFirst(body: AsyncIterable<Buffer>, bytes: number): AsyncGenerator<Buffer> {
  let left = bytes;
  for await (const chunk of body) {
    if (left >= chunk.length) left -= chunk.length;
    else {
      yield left > 0 ? chunk.subarray(left) : chunk;
      left = 0;
    }
  }
}
