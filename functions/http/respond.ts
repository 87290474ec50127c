// HTTP plumbing shared by the API functions: Graph-style error bodies, zod input parsing, and one place that turns
// known failures into 4xx so nothing unexpected leaks as a 500 with internals.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { ConfigurationError } from '../../shared/config/settings';
import { InvalidRecoveryPoint } from '../../shared/catalog/usable-point';
import { NotFound, PreconditionFailed } from '../../shared/inventory/inventory-store';
import { OperationBusy } from '../../shared/operations/operation-store';
import type { UnknownSelection } from '../../shared/restore/restore-plan';
import { Principal, Role, SigningKeysUnavailable, Unauthorized } from '../../shared/api-auth/authorizer';
import { PRODUCT_ID } from '../../shared/api/ids';
import { clientIpOf } from '../../shared/audit/audit-log';
import { services } from '../../shared/runtime/services';
import { textOf } from '../../shared/domain/text';
import { readCapped } from '../../shared/storage/read-all';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResponseInit => ({
  status,
  jsonBody: body,
  ...(headers ? { headers } : {}),
});
export const errorBody = (code: string, message: string) => ({ error: { code, message } });

/**
 * The API's JSON bodies are small (a selection of 10,000 item ids is under 2 MB): a larger one is refused with a 413
 * before it is read whole, not parsed into memory.
 */
export const MAX_JSON_BODY_BYTES = 4 * 1024 * 1024;

/** Parses a JSON body with a schema; the 400 names every bad field. */
export async function body<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.infer<S>> {
  const tooLarge = (): HttpError =>
    new HttpError(413, 'payloadTooLarge', `body: larger than the ${MAX_JSON_BODY_BYTES} bytes this API accepts.`);
  if (Number(request.headers.get('content-length') ?? 0) > MAX_JSON_BODY_BYTES) throw tooLarge();
  const read = request.body
    ? await readCapped(request.body, MAX_JSON_BODY_BYTES)
    : { bytes: Buffer.alloc(0), truncated: false };
  if (read.truncated) throw tooLarge();
  let raw: unknown;
  try {
    raw = JSON.parse(read.bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalidRequest', 'body: must be JSON.');
  }
  return parse(schema, raw, 'body');
}

/**
 * A PATCH body: the top-level fields given, each checked by `schema`'s own rules (unknown ones refused), none filled
 * in with a default. Each replaces its field whole; the caller validates the merged document with `schema` again.
 */
export async function patchBody<S extends z.ZodObject>(request: HttpRequest, schema: S): Promise<Partial<z.infer<S>>> {
  const raw = await body(request, z.record(z.string(), z.unknown()));
  const checked = parse(schema.partial().strict(), raw, 'body') as Record<string, unknown>;
  return Object.fromEntries(Object.keys(raw).map((k) => [k, checked[k]])) as Partial<z.infer<S>>;
}

/** The `If-Match` ETag a conditional write must match; `*` (or none) matches any version. */
export function ifMatch(request: HttpRequest): string | undefined {
  const v = request.headers.get('if-match')?.trim();
  return v && v !== '*' ? v : undefined;
}

/** `body.selection.items[3]`: where a bad value is, as a caller would write it. */
const fieldPath = (where: string, path: readonly PropertyKey[]): string =>
  path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${String(key)}`), where);

/** zod's messages say what was expected, never the value received: the caller's input is not echoed. */
export function parse<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new HttpError(
    400,
    'invalidRequest',
    r.error.issues
      .slice(0, 20)
      .map((i) => `${fieldPath(where, i.path)}: ${i.message}`)
      .join('; '),
  );
}

/** A selection naming folders or items a recovery point does not hold: the 400 says where they are, not what. */
export function unknownSelection(
  e: UnknownSelection,
  selection: { folders: readonly string[]; items: readonly string[] },
  where: string,
): HttpError {
  const fields = e.fields(selection);
  const more = e.folders.length + e.items.length - fields.length;
  return new HttpError(
    400,
    'invalidRequest',
    `${fields.map((f) => `${where}.${f}: not in this recovery point`).join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
  );
}

/**
 * The route's own parameters. With HTTP streaming, `request.params` is built from the host's binding data, which
 * also holds every query parameter and the top-level string fields of a JSON body; only the route's names are path.
 */
export function routeParams(request: HttpRequest, context: InvocationContext): Record<string, string> {
  const route = textOf([(context.options.trigger as { route?: unknown }).route]);
  const names = [...route.matchAll(/\{\*?([A-Za-z_]\w*)[^}]*\}/g)].map((m) => m[1]);
  return Object.fromEntries(names.filter((n) => request.params[n] !== undefined).map((n) => [n, request.params[n]]));
}

/** Ids in the path are ids the product issues (GUIDs, `<account>.<kind>.<user>`): anything else names no document. */
function checkPathIds(params: Record<string, string>): void {
  const bad = Object.entries(params).filter(([name, value]) => name.endsWith('Id') && !PRODUCT_ID.test(value));
  if (bad.length)
    throw new HttpError(
      400,
      'invalidRequest',
      bad.map(([name]) => `path.${name}: not an id this API issues`).join('; '),
    );
}

/** The caller's address as the platform's front end (and the deployment's own trusted proxies) recorded it. */
export function clientIp(request: HttpRequest): { clientIp?: string } {
  const ip = clientIpOf(request.headers.get('x-forwarded-for'), services().settings.M365V_TRUSTED_PROXY_HOPS);
  return ip ? { clientIp: ip } : {};
}

type Handler = (request: HttpRequest, context: InvocationContext, principal: Principal) => Promise<HttpResponseInit>;

export interface HandleOptions {
  /**
   * 'account' (default): the app role, or a grant on the path's account (an operation on no account needs the app
   * role); 'global': the app role even on an account (managing grants); 'listing': any verified caller, the
   * handler showing only what the caller may see.
   */
  access?: 'account' | 'global' | 'listing';
}

/**
 * Wraps a handler: the caller must hold `role` (checked before anything else runs); known failures become their
 * 4xx/503; anything else is logged and answered without details.
 */
export function handle(role: Role, fn: Handler, opts: HandleOptions = {}) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const s = services();
      if (!s.authorizer)
        throw new ConfigurationError([
          'M365V_API_TENANT_ID and M365V_API_AUDIENCE must be set: the API refuses every request without them',
        ]);
      const principal = await s.authorizer.authenticate(request.headers.get('authorization'));
      const params = routeParams(request, context);
      checkPathIds(params);
      if (opts.access !== 'listing') {
        const accountId = params.accountId;
        await s.access.require(principal, role, {
          ...(accountId ? { accountId } : {}),
          scope: opts.access === 'global' ? 'global' : 'account',
          operation: context.functionName,
          method: request.method,
          ...clientIp(request),
        });
      }
      return await fn(request, context, principal);
    } catch (e) {
      if (e instanceof Unauthorized) {
        return json(
          e.status,
          errorBody(e.status === 401 ? 'unauthenticated' : 'forbidden', e.message),
          e.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : undefined,
        );
      }
      if (e instanceof SigningKeysUnavailable) {
        context.error(e.message);
        return json(503, errorBody('unavailable', 'The access token cannot be checked right now; retry later.'), {
          'retry-after': '30',
        });
      }
      if (e instanceof HttpError) return json(e.status, errorBody(e.code, e.message));
      if (e instanceof NotFound) return json(404, errorBody('notFound', e.message));
      if (e instanceof PreconditionFailed) return json(412, errorBody('preconditionFailed', e.message));
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
