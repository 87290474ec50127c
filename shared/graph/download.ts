// Content downloads: a message's `$value` streams straight from Graph; a driveItem's `/content` answers 302 with a
// short-lived pre-authenticated URL, which is fetched WITHOUT the Authorization header (the token must never reach
// the download host). Bodies stream; nothing is buffered. A byte range goes on the download URL, as Graph documents.
import type { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { GraphOperation } from '../domain/graph-permissions';
import { GraphRequestError } from './graph-errors';
import type { HttpPipeline, Tally } from './http-pipeline';

export interface DownloadOptions {
  mailbox: string;
  operation: GraphOperation;
  deadline: number;
  /** Inclusive byte range; the download host answers 206 (or 200 with the whole file when it cannot). */
  range?: { start: number; end?: number };
  tally?: Tally;
}

export interface Download {
  /** 200, or 206 for a served range. */
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** Whether the bytes came from a pre-authenticated URL Graph redirected to. */
  redirected: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function download(p: HttpPipeline, pathOrUrl: string, o: DownloadOptions): Promise<Download> {
  const call = {
    mailbox: o.mailbox,
    operation: o.operation,
    deadline: o.deadline,
    ...(o.tally ? { tally: o.tally } : {}),
  };
  const first = await p.send({ ...call, url: pathOrUrl });
  if (!REDIRECTS.has(first.status))
    return { status: first.status, headers: first.headers, body: first.body, redirected: false };
  first.body.resume();
  const location = first.headers.location;
  if (!location)
    throw new GraphRequestError({
      status: first.status,
      code: 'redirectWithoutLocation',
      graphMessage: 'Graph redirected without a Location.',
      requestId: first.requestId,
      operation: o.operation,
    });
  const range = o.range ? { range: `bytes=${o.range.start}-${o.range.end ?? ''}` } : undefined;
  const res = await p.send({
    ...call,
    url: new URL(location, p.url(pathOrUrl)).href,
    anonymous: true,
    ...(range ? { headers: range } : {}),
  });
  return { status: res.status, headers: res.headers, body: res.body, redirected: true };
}
