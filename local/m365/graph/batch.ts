// JSON batching (POST /v1.0/$batch): at most 20 requests with unique ids (else 400 for the whole batch); each inner
// request runs through the full pipeline (auth, permissions, throttling: several can get their own 429 with
// Retry-After in their headers); up to 4 run at once; dependsOn orders them and a failed dependency gives 424;
// responses come back in completion order, to be matched by id.
import type { IncomingHttpHeaders } from 'node:http';
import { count } from './counters';
import { envelope, errorResult, GraphError, newRequestId } from './errors';
import { dispatchGraph, GraphResult, IncomingGraphRequest, RouterDeps } from './router';

const MAX_REQUESTS = 20;
const PARALLEL = 4;

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

interface ItemResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

function parse(text: string): BatchItem[] {
  let parsed: { requests?: unknown };
  try {
    parsed = JSON.parse(text) as { requests?: unknown };
  } catch {
    throw new GraphError(400, 'BadRequest', 'Invalid batch payload format.');
  }
  if (!Array.isArray(parsed.requests) || parsed.requests.length === 0)
    throw new GraphError(400, 'BadRequest', 'Invalid batch payload format: requests must be a non-empty array.');
  if (parsed.requests.length > MAX_REQUESTS)
    throw new GraphError(
      400,
      'BadRequest',
      `The number of batch requests ${parsed.requests.length} exceeds the limit of ${MAX_REQUESTS}.`,
    );
  const items = parsed.requests as BatchItem[];
  const ids = new Set<string>();
  for (const r of items) {
    if (typeof r?.id !== 'string' || !r.id || typeof r.method !== 'string' || typeof r.url !== 'string')
      throw new GraphError(400, 'BadRequest', 'Each batch request needs an id, a method and a url.');
    const key = r.id.toLowerCase();
    if (ids.has(key)) throw new GraphError(400, 'BadRequest', `Batch request contains duplicate request id '${r.id}'.`);
    ids.add(key);
    if (r.body !== undefined && !Object.keys(r.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')) {
      throw new GraphError(
        400,
        'BadRequest',
        `Request '${r.id}': a Content-Type header is required when a body is present.`,
      );
    }
  }
  for (const r of items) {
    for (const d of r.dependsOn ?? [])
      if (!ids.has(String(d).toLowerCase()))
        throw new GraphError(400, 'BadRequest', `Request '${r.id}' depends on unknown request '${d}'.`);
  }
  return items;
}

/** The inner request's path and query, whatever form the client used (relative, with or without /v1.0, absolute). */
function innerUrl(url: string, origin: string): URL {
  const relative = url.replace(/^https?:\/\/[^/]+/i, '').replace(/^\/?(v1\.0\/)?/i, '/');
  return new URL(`/v1.0${relative}`, origin);
}

async function readAll(result: GraphResult): Promise<Buffer | undefined> {
  if (result.bytes) return result.bytes;
  if (!result.stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of result.stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Header names as Graph writes them inside batch responses (SDKs look up "Content-Type" case-sensitively). */
const CANONICAL: Record<string, string> = {
  'content-type': 'Content-Type',
  'retry-after': 'Retry-After',
  location: 'Location',
  'content-length': 'Content-Length',
};
const canonical = (h: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [CANONICAL[k.toLowerCase()] ?? k, v]));

async function runOne(item: BatchItem, outer: IncomingGraphRequest, deps: RouterDeps): Promise<ItemResponse> {
  // The batch's authorization carries over; its body headers and preferences do not (Prefer applies to the request
  // that carries it, so each item names its own: outlook-immutable-id, json-batching).
  const { 'content-length': _length, 'content-type': _type, prefer: _prefer, ...inherited } = outer.headers;
  void _length;
  void _type;
  void _prefer;
  const headers: IncomingHttpHeaders = {
    ...inherited,
    ...Object.fromEntries(Object.entries(item.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const type = String(headers['content-type'] ?? '');
  const body =
    item.body === undefined
      ? Buffer.alloc(0)
      : typeof item.body === 'string' && !type.includes('json')
        ? Buffer.from(item.body, type.startsWith('text/plain') ? 'utf8' : 'base64')
        : Buffer.from(typeof item.body === 'string' ? item.body : JSON.stringify(item.body));
  const res = await dispatchGraph(
    {
      method: item.method.toUpperCase(),
      url: innerUrl(item.url, deps.runtime.origin),
      headers,
      body: async () => body,
    },
    deps,
  );
  const bytes = res.json === undefined ? await readAll(res) : undefined;
  const outHeaders = canonical({
    ...(res.json !== undefined
      ? {
          'content-type':
            'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8',
        }
      : {}),
    ...res.headers,
  });
  return {
    id: item.id,
    status: res.status,
    headers: outHeaders,
    ...(res.json !== undefined ? { body: res.json } : bytes?.length ? { body: bytes.toString('base64') } : {}),
  };
}

/** POST /$batch: the outer request is authenticated first; a malformed batch is a 400 for all of it. */
export async function dispatchBatch(req: IncomingGraphRequest, deps: RouterDeps): Promise<GraphResult> {
  const rt = deps.runtime;
  const requestId = newRequestId();
  const clientRequestId = String(req.headers['client-request-id'] ?? requestId);
  let result: GraphResult;
  try {
    deps.validate(
      typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined,
      rt.tenants,
      rt.clock.now(),
    );
    const items = parse((await req.body()).toString('utf8'));
    const done = new Map<string, ItemResponse>();
    const order: ItemResponse[] = [];
    const pending = [...items];
    const running = new Set<Promise<void>>();
    const ready = (r: BatchItem): boolean => (r.dependsOn ?? []).every((d) => done.has(d.toLowerCase()));
    while (pending.length || running.size) {
      let started = false;
      for (let i = 0; i < pending.length && running.size < PARALLEL; i++) {
        const r = pending[i];
        if (!ready(r)) continue;
        pending.splice(i--, 1);
        started = true;
        const failed = (r.dependsOn ?? []).map((d) => done.get(d.toLowerCase())!).find((d) => d.status >= 400);
        const p: Promise<void> = (
          failed
            ? Promise.resolve<ItemResponse>({
                id: r.id,
                status: 424,
                headers: {},
                body: envelope(
                  new GraphError(
                    424,
                    'FailedDependency',
                    `The request depends on request '${failed.id}', which failed.`,
                  ),
                  { requestId: newRequestId(), clientRequestId },
                  rt.clock.now(),
                ),
              })
            : runOne(r, req, deps)
        )
          .then((res) => {
            done.set(r.id.toLowerCase(), res);
            order.push(res);
          })
          .finally(() => running.delete(p));
        running.add(p);
      }
      if (running.size) await Promise.race(running);
      else if (!started) break;
    }
    result = { status: 200, json: { responses: order } };
  } catch (e) {
    const err =
      e instanceof GraphError ? e : new GraphError(500, 'generalException', 'General exception while processing.');
    result = errorResult(err, { requestId, clientRequestId }, rt.clock.now());
  }
  count(rt.counters, { status: result.status, route: 'POST /$batch' });
  result.headers = { ...result.headers, 'request-id': requestId, 'client-request-id': clientRequestId };
  return result;
}
