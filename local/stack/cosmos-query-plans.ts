// The @azure/cosmos SDK asks the gateway for a query plan alongside every query page (it uses the plan only when
// the gateway says a query needs one). The stand-in has no query planner: it runs such a request as the query
// itself, a second full scan per page competing for its one thread. Real Cosmos DB answers plan requests without
// reading documents; the stand-in now declines them at once (the SDK ignores a failed plan request, and the
// stand-in never asks it to use a plan), so a page costs one scan.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export function declineQueryPlans(server: Server): void {
  const handlers = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (String(req.headers['x-ms-cosmos-is-query-plan-request']).toLowerCase() !== 'true')
      return handlers.forEach((h) => h(req, res));
    req.resume();
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ code: 'BadRequest', message: 'the local Cosmos DB stand-in serves no query plans' }));
  });
}
