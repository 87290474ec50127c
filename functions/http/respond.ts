// HTTP plumbing shared by the API functions: Graph-style error bodies, zod input parsing, and one place that turns
// known failures into 4xx so nothing unexpected leaks as a 500 with internals.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { ConfigurationError } from '../../shared/config/settings';
import { InvalidRecoveryPoint } from '../../shared/catalog/usable-point';
import { NotFound } from '../../shared/inventory/inventory-store';
import { OperationBusy } from '../../shared/operations/operation-store';
import { Principal, Role, Unauthorized } from '../../shared/api-auth/authorizer';
import { services } from '../../shared/runtime/services';

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResponseInit => ({ status, jsonBody: body, ...(headers ? { headers } : {}) });
export const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** Parses a JSON body with a schema; the 400 names every bad field. */
export async function body<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await request.text());
  } catch {
    throw new HttpError(400, 'invalidRequest', 'The request body must be JSON.');
  }
  return parse(schema, raw, 'body');
}

export function parse<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new HttpError(400, 'invalidRequest', r.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`).join('; '));
}

/** Ids the product issues (GUIDs, `<account>.<kind>.<user>`): anything else cannot name a document, so say so. */
const PATH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/**
 * The route's own parameters. With HTTP streaming, `request.params` is built from the host's binding data, which
 * also holds every query parameter and the top-level string fields of a JSON body; only the route's names are path.
 */
export function routeParams(request: HttpRequest, context: InvocationContext): Record<string, string> {
  const route = String((context.options.trigger as { route?: unknown }).route ?? '');
  const names = [...route.matchAll(/\{\*?([A-Za-z_]\w*)[^}]*\}/g)].map((m) => m[1]!);
  return Object.fromEntries(names.filter((n) => request.params[n] !== undefined).map((n) => [n, request.params[n]!]));
}

function checkPathIds(params: Record<string, string>): void {
  const bad = Object.entries(params).filter(([name, value]) => name.endsWith('Id') && !PATH_ID.test(value));
  if (bad.length) throw new HttpError(400, 'invalidRequest', bad.map(([name]) => `path.${name}: not an id this API issues`).join('; '));
}

type Handler = (request: HttpRequest, context: InvocationContext, principal: Principal) => Promise<HttpResponseInit>;

/**
 * Wraps a handler: the caller must hold `role` (checked before anything else runs); known failures become their
 * 4xx/503; anything else is logged and answered without details.
 */
export function handle(role: Role, fn: Handler) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const authorizer = services().authorizer;
      if (!authorizer) throw new ConfigurationError(['M365V_API_TENANT_ID and M365V_API_AUDIENCE must be set: the API refuses every request without them']);
      const principal = await authorizer.authorize(request.headers.get('authorization'), role);
      checkPathIds(routeParams(request, context));
      return await fn(request, context, principal);
    } catch (e) {
      if (e instanceof Unauthorized) {
        return json(e.status, errorBody(e.status === 401 ? 'unauthenticated' : 'forbidden', e.message), e.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : undefined);
      }
      if (e instanceof HttpError) return json(e.status, errorBody(e.code, e.message));
      if (e instanceof NotFound) return json(404, errorBody('notFound', e.message));
      if (e instanceof InvalidRecoveryPoint) return json(404, errorBody('invalidRecoveryPoint', e.message));
      if (e instanceof OperationBusy) return json(409, errorBody('operationRunning', e.message));
      if (e instanceof ConfigurationError) {
        context.error(e.message);
        return json(503, errorBody('misconfigured', 'The service is not configured correctly; see its logs.'));
      }
      context.error(`unhandled error in ${context.functionName}: ${(e as Error).stack ?? String(e)}`);
      return json(500, errorBody('internalError', `Unexpected error; invocation id ${context.invocationId}.`));
    }
  };
}
