// What the product asked of the Cosmos DB stand-in, per container and operation, for benchmarks: Cosmos DB bills
// per request (request units), and the stand-in, which charges nothing, is the one place that sees every request.
// `GET /_standin/stats` reads the counts, `DELETE /_standin/stats` resets them. Local only.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type Operation =
  'read' | 'readFeed' | 'query' | 'queryPlan' | 'create' | 'upsert' | 'replace' | 'patch' | 'delete' | 'batch';

export interface OperationStats {
  requests: number;
  /** Documents the query pages returned (queries and feeds only). */
  documents: number;
  /** Bytes of request bodies (writes) and of responses (reads, queries). */
  bytes: number;
}
export type CosmosStats = Record<string, Partial<Record<Operation, OperationStats>>>;

export const STATS_PATH = '/_standin/stats';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;
const header = (req: IncomingMessage, name: string): boolean => String(req.headers[name]).toLowerCase() === 'true';

/** The container and operation of a document request, or undefined for anything else (databases, containers, …). */
export function classify(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>): [string, Operation] | undefined {
  const m = /^\/dbs\/[^/]+\/colls\/([^/]+)\/docs(\/[^/?]+)?\/?(\?|$)/.exec(req.url ?? '');
  if (!m) return undefined;
  const [, container, doc] = m;
  const r = req as IncomingMessage;
  const op: Operation | undefined = doc
    ? ({ GET: 'read', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' } as const)[req.method ?? '']
    : req.method === 'GET'
      ? 'readFeed'
      : header(r, 'x-ms-cosmos-is-query-plan-request')
        ? 'queryPlan'
        : header(r, 'x-ms-documentdb-isquery')
          ? 'query'
          : header(r, 'x-ms-cosmos-is-batch-request')
            ? 'batch'
            : header(r, 'x-ms-documentdb-is-upsert')
              ? 'upsert'
              : 'create';
  return op ? [decodeURIComponent(container), op] : undefined;
}

export function countRequests(server: Server): void {
  let stats: CosmosStats = {};
  const handlers = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if ((req.url ?? '').startsWith(STATS_PATH)) {
      req.resume();
      if (req.method === 'DELETE') stats = {};
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    const kind = classify(req);
    if (kind) {
      const [container, op] = kind;
      const s = ((stats[container] ??= {})[op] ??= { requests: 0, documents: 0, bytes: 0 });
      s.requests++;
      if (op !== 'read' && op !== 'query' && op !== 'readFeed') s.bytes += Number(req.headers['content-length'] ?? 0);
      // Counted as the response leaves: the item count header, and the body's length for reads.
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => {
        s.documents += Number(res.getHeader('x-ms-item-count') ?? 0);
        const body = args[0];
        if (op === 'read' || op === 'query' || op === 'readFeed')
          s.bytes += typeof body === 'string' || Buffer.isBuffer(body) ? Buffer.byteLength(body) : 0;
        return end(...args);
      }) as ServerResponse['end'];
    }
    handlers.forEach((h) => h(req, res));
  });
}
