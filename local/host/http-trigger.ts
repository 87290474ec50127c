// Invokes an HTTP-triggered function the two ways the Functions host does, chosen by what the worker reported at
// init (as the real host does from the `HttpUri` capability):
// - buffered (the app did not call `app.setup({ enableHttpStream: true })`): the request body goes to the worker whole
//   inside the gRPC invocation (RpcHttp), and @azure/functions reads the response body whole (`arrayBuffer()`)
//   before it returns it the same way. Every byte is in worker memory at once, so bodies over a limit are refused.
// - streamed (the worker runs @azure/functions' HTTP proxy and reported its URL): the invocation carries an empty
//   RpcHttp plus the HTTP binding data as trigger metadata (bindingData below), and the request itself is forwarded to
//   the worker's proxy with `x-ms-invocation-id`, as the host's YARP forwarder does; the proxy's response streams back.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { CoreRegistry, RegisteredFunction } from './core-shim';
import { invokeFunction, Logger, RpcHttpResponse, RpcTypedData } from './invoke';

/** Azure's own limit on request bodies (the host answers 413), in both modes: `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`. */
export const REQUEST_LIMIT_SETTING = 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT';
export const DEFAULT_REQUEST_LIMIT = 104_857_600;
/** The local host's guard on bodies that cross the worker boundary whole (buffered mode only). */
export const BUFFERED_LIMIT_SETTING = 'M365V_HOST_MAX_BUFFERED_BODY_BYTES';
export const DEFAULT_BUFFERED_LIMIT = 104_857_600;

/** A byte count from a setting: unset gives the default; anything but a whole number names the setting. */
export function byteSetting(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(
      `${name} must be a whole number of bytes${min === 0 ? ' (0 turns the guard off)' : ''}, not '${value}'`,
    );
  return n;
}

/** The limits from the environment, as main.ts starts the host. */
export const httpLimitsFrom = (env: NodeJS.ProcessEnv): HttpLimits => ({
  maxRequestBodyBytes: byteSetting(REQUEST_LIMIT_SETTING, env[REQUEST_LIMIT_SETTING], DEFAULT_REQUEST_LIMIT, 1),
  maxBufferedBodyBytes: byteSetting(BUFFERED_LIMIT_SETTING, env[BUFFERED_LIMIT_SETTING], DEFAULT_BUFFERED_LIMIT),
});

export interface HttpLimits {
  maxRequestBodyBytes: number;
  /** 0: no guard. */
  maxBufferedBodyBytes: number;
}

export interface HttpCall {
  registry: CoreRegistry;
  fn: RegisteredFunction;
  params: Record<string, string>;
  url: URL;
  method: string;
  /** Other input bindings (durableClient). */
  extraInputs: Array<{ name: string; data: RpcTypedData }>;
  limits: HttpLimits;
  log: Logger;
  hostLog: (line: string) => void;
}

export class BodyTooLarge extends Error {}

/** The request's body, or BodyTooLarge past `limit` (the rest is read and dropped, so the client gets the 413). */
export async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const chunks: Buffer[] = [];
  let size = 0;
  let over = declared > limit;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (over) continue;
    size += chunk.length;
    if (size > limit) over = true;
    else chunks.push(chunk);
  }
  if (over) throw new BodyTooLarge(`the request body is over ${limit} bytes`);
  return Buffer.concat(chunks);
}

/** As App Service's front end does: the connection's address (ip:port) appended to whatever the caller sent. */
const forwardedFor = (req: http.IncomingMessage): string => {
  const peer = req.socket.remoteAddress ?? '';
  const sent = req.headers['x-forwarded-for'];
  return [
    Array.isArray(sent) ? sent.join(', ') : sent,
    `${peer.includes(':') ? `[${peer}]` : peer}:${req.socket.remotePort ?? 0}`,
  ]
    .filter(Boolean)
    .join(', ');
};

const flatHeaders = (req: http.IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  out['x-forwarded-for'] = forwardedFor(req);
  return out;
};

export function reply(
  res: http.ServerResponse,
  status: number,
  headers: http.OutgoingHttpHeaders = {},
  body?: Buffer | string,
): void {
  res.writeHead(status, headers);
  res.end(body);
}

const tooLarge = (
  res: http.ServerResponse,
  call: HttpCall,
  what: string,
  size: string,
  limit: number,
  setting: string,
): void => {
  call.hostLog(
    `[host] ${call.method} ${call.url.pathname} (${call.fn.metadata.name}): ${what} is ${size}, over ${limit} bytes (${setting}); answered 413`,
  );
  reply(res, 413, { 'content-type': 'text/plain; charset=utf-8' }, `Request body too large (over ${limit} bytes).`);
};

export async function invokeBuffered(
  call: HttpCall,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const { maxRequestBodyBytes, maxBufferedBodyBytes } = call.limits;
  const bufferedLimit =
    maxBufferedBodyBytes > 0 ? Math.min(maxBufferedBodyBytes, maxRequestBodyBytes) : maxRequestBodyBytes;
  let body: Buffer;
  try {
    body = await readBody(req, bufferedLimit);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    const setting =
      bufferedLimit < maxRequestBodyBytes
        ? `${BUFFERED_LIMIT_SETTING}: without app.setup({ enableHttpStream: true }) it would reach the worker whole`
        : REQUEST_LIMIT_SETTING;
    return tooLarge(res, call, 'the request body', `over ${bufferedLimit} bytes`, bufferedLimit, setting);
  }
  const { url, method, fn } = call;
  const rpcHttp = {
    method,
    url: url.href,
    headers: flatHeaders(req),
    query: Object.fromEntries(url.searchParams),
    params: call.params,
    body: { bytes: body },
  };
  const result = await invokeFunction(
    call.registry,
    fn,
    [{ name: fn.triggerName, data: { http: rpcHttp } }, ...call.extraInputs],
    call.log,
  );
  const out =
    result.returnValue?.http ??
    (result.outputData?.find((o) => o.data?.http)?.data as { http?: RpcHttpResponse } | undefined)?.http;
  if (!out) return reply(res, 204);
  const bytes = out.body?.bytes
    ? Buffer.from(out.body.bytes)
    : out.body?.string !== undefined
      ? Buffer.from(out.body.string)
      : Buffer.alloc(0);
  if (maxBufferedBodyBytes > 0 && bytes.length > maxBufferedBodyBytes) {
    call.hostLog(
      `[host] ${method} ${url.pathname} (${fn.metadata.name}): the response body is ${bytes.length} bytes, over the local host's limit of ${maxBufferedBodyBytes} (${BUFFERED_LIMIT_SETTING}). ` +
        'Without app.setup({ enableHttpStream: true }), @azure/functions reads a response body whole into worker memory and sends it to the host in one gRPC message; stream it instead. Answered 500.',
    );
    return reply(res, 500);
  }
  const headers: http.OutgoingHttpHeaders = { ...(out.headers ?? {}) };
  const cookies = (out.cookies ?? []).map(cookieHeader);
  if (cookies.length) headers['set-cookie'] = cookies;
  reply(res, Number(out.statusCode ?? 200), headers, bytes);
}

/** Hop-by-hop headers a forwarding proxy does not pass on (RFC 9110 §7.6.1), as YARP drops them. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  return Object.fromEntries(
    Object.entries(headers).filter(([k, v]) => v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)),
  );
}

/**
 * The trigger metadata the host sends with a proxied invocation: its HTTP binding data, which holds the top-level
 * properties of a JSON body, every query parameter but `code` and the route parameters (in that order, later ones
 * winning), and the `Query` and `Headers` collections (WebJobs.Extensions.Http, GetRequestBindingData). Strings travel
 * as strings, anything else as JSON. @azure/functions builds `request.params` from every string among them, so with
 * streaming on a handler sees query parameters and JSON body fields in `params` too, not only route parameters.
 */
export function bindingData(
  url: URL,
  params: Record<string, string>,
  headers: Record<string, string>,
  body: Buffer,
): Record<string, RpcTypedData> {
  const typed = (v: unknown): RpcTypedData => (typeof v === 'string' ? { string: v } : { json: JSON.stringify(v) });
  const out: Record<string, RpcTypedData> = {};
  if (body.length > 0) {
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        for (const [k, v] of Object.entries(parsed)) out[k] = typed(v);
    } catch {
      // not JSON: no binding data from the body
    }
  }
  for (const [k, v] of url.searchParams) if (k.toLowerCase() !== 'code') out[k] = { string: v };
  for (const [k, v] of Object.entries(params)) out[k] = { string: v };
  out.Query = { json: JSON.stringify(Object.fromEntries(url.searchParams)) };
  out.Headers = { json: JSON.stringify(headers) };
  return out;
}

export async function invokeStreamed(
  call: HttpCall,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  httpUri: string,
): Promise<void> {
  const { url, method, fn, limits } = call;
  // The host reads a request body whole to compute the binding data, then forwards it: an upload is held by the
  // host (up to its limit), never by the worker.
  let body: Buffer;
  try {
    body = await readBody(req, limits.maxRequestBodyBytes);
  } catch (e) {
    if (!(e instanceof BodyTooLarge)) throw e;
    return tooLarge(
      res,
      call,
      'the request body',
      `over ${limits.maxRequestBodyBytes} bytes`,
      limits.maxRequestBodyBytes,
      REQUEST_LIMIT_SETTING,
    );
  }
  const invocationId = randomUUID();
  const headers = flatHeaders(req);
  const forwarded = http.request(new URL(`${url.pathname}${url.search}`, httpUri), {
    method,
    headers: {
      ...forwardable(req.headers),
      ...(body.length || req.headers['content-length'] !== undefined ? { 'content-length': String(body.length) } : {}),
      'x-ms-invocation-id': invocationId,
      'x-forwarded-host': req.headers.host ?? url.host,
      'x-forwarded-proto': url.protocol.replace(':', ''),
      'x-forwarded-for': forwardedFor(req),
    },
  });
  // The client going away cancels the forwarded request, as the host's forwarder does.
  res.once('close', () => {
    if (!res.writableFinished) forwarded.destroy();
  });
  const responded = new Promise<void>((resolve, reject) => {
    forwarded.once('error', reject);
    forwarded.once('response', (proxied) => {
      res.writeHead(proxied.statusCode ?? 500, forwardable(proxied.headers));
      pipeline(proxied, res).then(resolve, reject);
    });
  });
  forwarded.end(body);
  const triggerMetadata = bindingData(url, call.params, headers, body);
  const invoked = invokeFunction(
    call.registry,
    fn,
    [{ name: fn.triggerName, data: { http: {} } }, ...call.extraInputs],
    call.log,
    triggerMetadata,
    invocationId,
  );
  // A failed invocation ends the forwarded request at once: @azure/functions leaves its proxy response open when a
  // body fails mid-stream, and the client must see the transfer cut rather than wait for the rest for ever.
  invoked.catch(() => forwarded.destroy());
  const [invocation, response] = await Promise.allSettled([invoked, responded]);
  if (invocation.status === 'fulfilled' && response.status === 'fulfilled') return;
  forwarded.destroy();
  // The invocation's own error says most (a body that failed also cuts the response); a response that failed while
  // the invocation ended well is the client going away.
  const failed = invocation.status === 'rejected' ? invocation : response;
  if (invocation.status === 'fulfilled' && res.destroyed && !res.writableFinished)
    return call.hostLog(
      `[host] ${method} ${url.pathname} (${fn.metadata.name}): the client went away before the response ended`,
    );
  call.hostLog(
    `[host] ${method} ${url.pathname} (${fn.metadata.name}) failed: ${String(((failed as PromiseRejectedResult).reason as Error)?.stack ?? (failed as PromiseRejectedResult).reason)}`,
  );
  // Before the response started: a 500, as for a failed buffered invocation. After: the client sees the transfer cut.
  if (!res.headersSent) reply(res, 500);
  else res.destroy();
}

export function cookieHeader(c: Record<string, unknown>): string {
  const v = (x: unknown): unknown => (x && typeof x === 'object' && 'value' in x ? x.value : x);
  const parts = [`${String(c.name)}=${String(c.value)}`];
  if (v(c.domain)) parts.push(`Domain=${String(v(c.domain))}`);
  if (v(c.path)) parts.push(`Path=${String(v(c.path))}`);
  const expires = v(c.expires) as { seconds?: number } | undefined;
  if (expires && typeof expires === 'object' && expires.seconds)
    parts.push(`Expires=${new Date(Number(expires.seconds) * 1000).toUTCString()}`);
  if (v(c.maxAge)) parts.push(`Max-Age=${String(v(c.maxAge))}`);
  if (v(c.secure)) parts.push('Secure');
  if (v(c.httpOnly)) parts.push('HttpOnly');
  const sameSite = ['', 'Lax', 'Strict', 'None'][Number(c.sameSite ?? 0)];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}
