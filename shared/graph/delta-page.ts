// One page of a Graph collection or delta round: `Prefer: odata.maxpagesize`, the page's items and its next or
// delta link (absolute, followed verbatim by the caller), and a delta token Graph no longer honours (410 Gone,
// SyncStateNotFound, resyncChanges*) raised as GraphResyncRequiredError with the Location to restart from.
import type { GraphOperation } from '../domain/graph-permissions';
import { GraphRequestError, GraphResyncRequiredError, isResync } from './graph-errors';
import type { HttpPipeline, Tally } from './http-pipeline';

export interface PageOptions {
  mailbox: string;
  operation: GraphOperation;
  deadline: number;
  /** Items per page Graph is asked for (it may send fewer, and empty pages that still carry a nextLink). */
  maxPageSize?: number;
  headers?: Record<string, string>;
  tally?: Tally;
}

export interface Page<T> {
  value: T[];
  nextLink?: string;
  deltaLink?: string;
}

interface ODataPage<T> {
  value?: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

export async function getPage<T>(p: HttpPipeline, urlOrPath: string, o: PageOptions): Promise<Page<T>> {
  // Several preferences share one Prefer header, comma-separated (RFC 7240).
  const { prefer, Prefer, ...rest } = o.headers ?? {};
  const preferences = [o.maxPageSize ? `odata.maxpagesize=${o.maxPageSize}` : undefined, prefer ?? Prefer].filter(
    Boolean,
  );
  const headers = { ...rest, ...(preferences.length ? { prefer: preferences.join(', ') } : {}) };
  let body: ODataPage<T>;
  try {
    body = await p.json<ODataPage<T>>({
      url: urlOrPath,
      mailbox: o.mailbox,
      operation: o.operation,
      deadline: o.deadline,
      headers,
      ...(o.tally ? { tally: o.tally } : {}),
    });
  } catch (e) {
    if (e instanceof GraphRequestError && isResync(e.status, e.code, e.innerCode))
      throw new GraphResyncRequiredError(e.location, e.code, e.innerCode, e.requestId);
    throw e;
  }
  return {
    value: body.value ?? [],
    ...(body['@odata.nextLink'] ? { nextLink: body['@odata.nextLink'] } : {}),
    ...(body['@odata.deltaLink'] ? { deltaLink: body['@odata.deltaLink'] } : {}),
  };
}
