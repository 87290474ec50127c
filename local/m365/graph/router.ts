// Graph v1.0 routing and the request pipeline every route goes through, in Graph's order: bearer token, route match
// (400 unknown segment / 405 method), the permission check with the workload's real 403 code, the Exchange
// application access policy, injected faults, per app+mailbox throttling, the handler, and Graph's error envelope
// with request-id/client-request-id, with counters for all of it. Handlers only produce results or throw GraphError.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { compileRoute, CompiledRoute, pathSegments } from '../../host/route-template';
import type { EmulatorRuntime } from '../runtime';
import type { Tenant, TenantDirectory } from '../tenant/tenants';
import { count } from './counters';
import { errorResult, FORBIDDEN, GraphError, newRequestId } from './errors';
import { ConnectionFault, injectedFault, throttled } from './faults';
import { requestKind } from './service-time';

export type Workload = 'directory' | 'mail' | 'calendar' | 'contacts' | 'files' | 'sites' | 'teams' | 'groupMailbox';

export interface Caller {
  tenantId: string;
  appId: string;
  roles: ReadonlySet<string>;
  token: string;
}

export interface GraphContext {
  method: string;
  /** Path after /v1.0, OData key syntax normalised: /users('x') == /users/x. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body(): Promise<Buffer>;
  json<T = unknown>(): Promise<T>;
  caller: Caller;
  tenant: Tenant;
  requestId: string;
  /** Like https://127.0.0.1:PORT/v1.0 */
  baseUrl: string;
  emulator: EmulatorRuntime;
}

export interface GraphResult {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  bytes?: Buffer;
  stream?: Readable;
  /** Handled, but the answer is lost: the server closes the connection instead (an injected fault). */
  lost?: boolean;
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Template, e.g. '/users/{userId}/mailFolders/{folderId}/messages/delta'; literal segments match case-insensitively. */
  path: string;
  workload: Workload;
  /** Any of these application roles allows the call. */
  permissions: string[];
  /** Throttling key (per app + mailbox/drive/site) when the workload has one. */
  mailbox?: (ctx: GraphContext) => string;
  handler(ctx: GraphContext): Promise<GraphResult> | GraphResult;
}

interface Registered {
  spec: RouteSpec;
  route: CompiledRoute;
}

const registry: Registered[] = [];

/** Adds routes to the emulator (module-level: workload modules register when imported). */
export function registerRoutes(routes: RouteSpec[]): void {
  for (const spec of routes) {
    if (registry.some((r) => r.spec.method === spec.method && r.spec.path.toLowerCase() === spec.path.toLowerCase()))
      throw new Error(`route registered twice: ${spec.method} ${spec.path}`);
    registry.push({ spec, route: compileRoute(spec.path) });
  }
  registry.sort((a, b) => b.route.specificity - a.route.specificity);
  byFirstSegment = undefined;
}

/** Rewrites a tenant-specific alias to its canonical path (e.g. /sites/root/drive → /drives/{id}), or returns undefined. */
export type PathRewrite = (path: string, tenant: Tenant) => string | undefined;

const rewrites: PathRewrite[] = [];

/** Adds an alias rewrite: Graph addresses one resource by several paths (site by path, group drive, site drive). */
export function registerPathRewrite(rewrite: PathRewrite): void {
  rewrites.push(rewrite);
}

/** Applies rewrites until none matches (an alias may lead to another: group drive → site drive → drive). */
function canonicalPath(path: string, tenant: Tenant): string {
  for (let hops = 0; hops < 8; hops++) {
    const next = rewrites.reduce<string | undefined>((found, r) => found ?? r(path, tenant), undefined);
    if (next === undefined) return path;
    path = next;
  }
  return path;
}

/** /users('x')/mailFolders('inbox') → /users/x/mailFolders/inbox; a trailing () on a function is dropped. */
export function normalisePath(rawPath: string): string {
  return (
    rawPath
      .replace(/^\/v1\.0(?=\/|$)/i, '')
      .replace(/\('([^']*)'\)/g, '/$1')
      .replace(/\(\)(?=\/|$)/g, '') || '/'
  );
}

/** Routes that can match a path by its first segment (that literal, or a parameter), in registry order; '{' holds
 * the routes that start with a parameter, for any other first segment. Built once per registration. */
let byFirstSegment: Map<string, Registered[]> | undefined;

function candidates(first: string): Registered[] {
  if (!byFirstSegment) {
    const head = (r: Registered): string => (pathSegments(r.spec.path)[0] ?? '').toLowerCase();
    const heads = new Set(registry.map(head).map((h) => (h.startsWith('{') ? '{' : h)));
    byFirstSegment = new Map(
      [...heads].map((h) => [h, registry.filter((r) => head(r) === h || head(r).startsWith('{'))]),
    );
  }
  return byFirstSegment.get(first) ?? byFirstSegment.get('{') ?? [];
}

export function matchRoute(
  method: string,
  path: string,
): { spec: RouteSpec; params: Record<string, string> } | GraphError {
  let pathMatched = false;
  const parts = pathSegments(path);
  for (const r of candidates(parts[0]?.toLowerCase() ?? '')) {
    const params = r.route.matchSegments(parts);
    if (!params) continue;
    if (r.spec.method === method) return { spec: r.spec, params };
    pathMatched = true;
  }
  if (pathMatched)
    return new GraphError(
      405,
      'Request_BadRequest',
      `The HTTP method '${method}' is not allowed for the requested resource.`,
    );
  const last = path.split('/').filter(Boolean).pop() ?? '';
  return new GraphError(400, 'BadRequest', `Resource not found for the segment '${decodeURIComponent(last)}'.`);
}

export type ValidateToken = (authorization: string | undefined, tenants: TenantDirectory, nowMs: number) => Caller;

export interface IncomingGraphRequest {
  method: string;
  /** Path and query, starting at /v1.0 */
  url: URL;
  headers: IncomingHttpHeaders;
  body(): Promise<Buffer>;
  /** Settles when the client's connection closes; absent for the inner requests of a $batch. */
  closed?: Promise<void>;
}

export interface RouterDeps {
  runtime: EmulatorRuntime;
  validate: ValidateToken;
}

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** One Graph request through the whole pipeline; never throws (errors become Graph's envelope). */
export async function dispatchGraph(req: IncomingGraphRequest, deps: RouterDeps): Promise<GraphResult> {
  const rt = deps.runtime;
  const requestId = newRequestId();
  const clientRequestId = header(req.headers, 'client-request-id') ?? requestId;
  const path = normalisePath(req.url.pathname);
  const counted: Parameters<typeof count>[1] = { status: 0 };
  let result: GraphResult;
  try {
    result = await pipeline(req, deps, path, requestId, counted);
  } catch (e) {
    if (e instanceof ConnectionFault) {
      count(rt.counters, counted);
      throw e;
    }
    const err =
      e instanceof GraphError ? e : new GraphError(500, 'generalException', 'General exception while processing.');
    if (!(e instanceof GraphError)) console.error('[m365] handler failed', e);
    result = errorResult(err, { requestId, clientRequestId }, rt.clock.now());
  }
  counted.status = result.status;
  count(rt.counters, counted);
  result.headers = { ...result.headers, 'request-id': requestId, 'client-request-id': clientRequestId };
  return result;
}

async function pipeline(
  req: IncomingGraphRequest,
  deps: RouterDeps,
  rawPath: string,
  requestId: string,
  counted: Parameters<typeof count>[1],
): Promise<GraphResult> {
  const rt = deps.runtime;
  const caller = deps.validate(header(req.headers, 'authorization'), rt.tenants, rt.clock.now());
  if (/^\/me(\/|$)/i.test(rawPath))
    throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  const tenant = rt.tenants.get(caller.tenantId);
  if (!tenant)
    throw new GraphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
  const method = req.method.toUpperCase();
  const path = canonicalPath(rawPath, tenant);
  const hit = matchRoute(method, path);
  if (hit instanceof GraphError) throw hit;
  const { spec, params } = hit;
  counted.workload = spec.workload;
  counted.route = `${spec.method} ${spec.path}`;
  let bodyOnce: Promise<Buffer> | undefined;
  const body = (): Promise<Buffer> => (bodyOnce ??= req.body());
  const ctx: GraphContext = {
    method,
    path,
    params,
    query: req.url.searchParams,
    headers: req.headers,
    body,
    async json<T>() {
      const text = (await body()).toString('utf8');
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new GraphError(
          400,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        );
      }
    },
    caller,
    tenant,
    requestId,
    baseUrl: `${rt.origin}/v1.0`,
    emulator: rt,
  };
  if (!spec.permissions.some((p) => caller.roles.has(p)))
    throw new GraphError(403, FORBIDDEN[spec.workload].code, FORBIDDEN[spec.workload].message);
  const mailbox = spec.mailbox ? tenant.mailboxKey(spec.mailbox(ctx)) : undefined;
  if (mailbox) counted.mailbox = mailbox;
  if (
    mailbox &&
    (spec.workload === 'mail' || spec.workload === 'calendar' || spec.workload === 'contacts') &&
    tenant.accessPolicy.denies(caller.appId, mailbox)
  ) {
    throw new GraphError(
      403,
      'ErrorAccessDenied',
      "Access to OData is disabled: your organization's application access policy blocks this mailbox.",
    );
  }
  const fault = injectedFault(rt.faults, rt.random.bind(rt), {
    method,
    path,
    template: spec.path,
    connection: !!req.closed,
    ...(mailbox ? { mailbox } : {}),
  });
  if (fault) {
    counted.faulted = true;
    if (!(fault instanceof ConnectionFault) || fault.action === 'drop') throw fault;
    if (fault.action === 'hold') {
      rt.counters.held++;
      if (!(await rt.holds.wait(req.closed!))) throw new ConnectionFault('drop');
    }
  }
  // Exchange-style limits apply per app + mailbox; calls without a mailbox (directory) are not throttled here.
  const lane = mailbox
    ? rt.throttle.admit(caller.appId, mailbox)
    : { admitted: true as const, release: () => undefined };
  if (!lane.admitted) {
    counted.throttled = true;
    throw throttled(lane.retryAfterSeconds, lane.reason);
  }
  let result: GraphResult;
  try {
    // The service time is spent holding the slot, as a real request occupies one of the mailbox's 4.
    result = await rt.serviceTime.deliver(requestKind(method, path), await spec.handler(ctx));
  } catch (e) {
    lane.release();
    throw e;
  }
  if (fault instanceof ConnectionFault && fault.action === 'lose') result.lost = true;
  if (result.stream) {
    result.stream.once('close', () => lane.release());
    result.stream.once('error', () => lane.release());
  } else {
    lane.release();
  }
  return result;
}

// ---- small result helpers shared by the workload modules ---------------------------------------------------------

export const ok = (json: unknown, headers?: Record<string, string>): GraphResult => ({
  status: 200,
  json,
  ...(headers ? { headers } : {}),
});
export const created = (json: unknown, headers?: Record<string, string>): GraphResult => ({
  status: 201,
  json,
  ...(headers ? { headers } : {}),
});
export const noContent = (): GraphResult => ({ status: 204 });
