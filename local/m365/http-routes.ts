// Endpoints outside Graph v1.0 on the emulator's origin: Entra ID (token, discovery, keys — F's auth module),
// pre-authenticated URLs (downloads, upload sessions) and the control API. Modules register them when imported;
// the server matches them after /v1.0 and before its 404.
import { compileRoute, CompiledRoute } from '../host/route-template';
import type { GraphContext, GraphResult } from './graph/router';

/** What a non-Graph handler gets: the request, without Graph's caller and tenant. */
export type HttpContext = Pick<
  GraphContext,
  'method' | 'path' | 'params' | 'query' | 'headers' | 'body' | 'json' | 'emulator'
>;

export interface HttpRouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | '*';
  /** Template, e.g. '/{tenant}/oauth2/v2.0/token' or '/_content/{token}'. */
  path: string;
  handler(ctx: HttpContext): Promise<GraphResult> | GraphResult;
}

const registry: Array<{ spec: HttpRouteSpec; route: CompiledRoute }> = [];

export function registerHttpRoutes(routes: HttpRouteSpec[]): void {
  for (const spec of routes) registry.push({ spec, route: compileRoute(spec.path) });
  registry.sort((a, b) => b.route.specificity - a.route.specificity);
}

/** The route for a request: 'method' when only the path matched, undefined when nothing did. */
export function matchHttpRoute(
  method: string,
  path: string,
): { spec: HttpRouteSpec; params: Record<string, string> } | 'method' | undefined {
  let pathOnly = false;
  for (const r of registry) {
    const params = r.route.match(path);
    if (!params) continue;
    if (r.spec.method === '*' || r.spec.method === method) return { spec: r.spec, params };
    pathOnly = true;
  }
  return pathOnly ? 'method' : undefined;
}
