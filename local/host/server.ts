// The local Functions host: loads the app, serves its HTTP triggers under the route prefix, runs its timers, and
// hosts Durable Functions (engine + Durable HTTP API) on Azure Storage (Azurite locally).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { loadApp } from './app-loader';
import type { RegisteredFunction } from './core-shim';
import { fromTypedData, invokeFunction, runAppHook, RpcTypedData, toTypedData } from './invoke';
import { compileRoute, CompiledRoute, malformedPath } from './route-template';
import { parseNcrontab } from './ncrontab';
import { DurableEngine, OrchestratorState } from './durable/engine';
import { clientBindingData, DurableHttpApi } from './durable/http-api';
import { InstanceStore } from './durable/instance-store';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './durable/payload-limits';

export interface HostOptions {
  appDir: string;
  port?: number;
  storageConnectionString: string;
  /** Schedule timer triggers automatically (default true); tests fire them on demand instead. */
  timers?: boolean;
  /** The payload guard's limit in bytes of JSON (durable/payload-limits.ts): default 45 KB, 0 turns it off. */
  maxPayloadBytes?: number;
  log?: (line: string) => void;
}

export interface RunningHost {
  url: string;
  functions: string[];
  fireFunction(name: string, input?: unknown): Promise<void>;
  stop(): Promise<void>;
}

interface HttpFunction {
  fn: RegisteredFunction;
  route: CompiledRoute;
  methods: string[];
}

const DURABLE_PREFIXES = ['/runtime/webhooks/durabletask/', '/durabletask/'];

export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const { registry, config, files } = loadApp(opts.appDir);
  registry.logSink = (level, category, message) => log(`[${category}] ${level}: ${message}`);
  const invokeLog = (level: string, fnName: string, message: string): void => log(`[${fnName}] ${level === 'information' ? '' : `${level}: `}${message}`);

  const fns = [...registry.functions.values()];
  const byType = (type: string): RegisteredFunction[] => fns.filter((f) => f.triggerType === type);
  const orchestrators = new Map(byType('orchestrationTrigger').map((f) => [f.metadata.name, f]));
  const activities = new Map(byType('activityTrigger').map((f) => [f.metadata.name, f]));
  const httpFns: HttpFunction[] = byType('httpTrigger').map((fn) => {
    const trigger = fn.metadata.bindings[fn.triggerName]!;
    return {
      fn,
      route: compileRoute(`${config.routePrefix ? `${config.routePrefix}/` : ''}${String(trigger.route ?? fn.metadata.name)}`),
      methods: ((trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
    };
  }).sort((a, b) => b.route.specificity - a.route.specificity);
  const timerFns = byType('timerTrigger');
  for (const f of fns) {
    if (!['orchestrationTrigger', 'activityTrigger', 'httpTrigger', 'timerTrigger'].includes(f.triggerType)) log(`[host] ${f.metadata.name}: ${f.triggerType} is not supported by the local host; skipped`);
  }

  const hub = config.hubName.replace(/[^A-Za-z0-9]/g, '') || 'TestHubName';
  const service = BlobServiceClient.fromConnectionString(opts.storageConnectionString);
  const store = new InstanceStore(service.getContainerClient(`${hub.toLowerCase()}-history`.slice(0, 63)), TableClient.fromConnectionString(opts.storageConnectionString, `${hub}Instances`, { allowInsecureConnection: true }));
  await store.init();

  let baseUrl = '';
  const clientInputs = (fn: RegisteredFunction): Array<{ name: string; data: RpcTypedData }> =>
    Object.entries(fn.metadata.bindings)
      .filter(([, b]) => b.direction === 'in' && b.type === 'durableClient')
      .map(([name]) => ({ name, data: { string: JSON.stringify(clientBindingData(baseUrl, hub)) } }));

  const engine = new DurableEngine({
    store,
    log: (m) => log(`[durable] ${m}`),
    activityConcurrency: config.maxConcurrentActivityFunctions,
    orchestratorConcurrency: config.maxConcurrentOrchestratorFunctions,
    maxPayloadBytes: opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    hasOrchestrator: (name) => orchestrators.has(name),
    async runOrchestrator(name, binding) {
      const fn = orchestrators.get(name);
      if (!fn) throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
      const result = await invokeFunction(registry, fn, [{ name: fn.triggerName, data: { string: binding } }], invokeLog);
      return fromTypedData(result.returnValue) as OrchestratorState;
    },
    async runActivity(name, input) {
      const fn = activities.get(name);
      if (!fn) throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an activity function.`);
      const result = await invokeFunction(registry, fn, [{ name: fn.triggerName, data: toTypedData(input) }, ...clientInputs(fn)], invokeLog);
      return fromTypedData(result.returnValue);
    },
  });
  const durableApi = new DurableHttpApi(engine, hub, (name) => orchestrators.has(name));

  async function fireTimer(fn: RegisteredFunction, last: Date | null, next: Date | null, isPastDue = false): Promise<void> {
    const payload = { Schedule: { AdjustForDST: true }, ScheduleStatus: { Last: (last ?? new Date(0)).toISOString(), Next: (next ?? new Date()).toISOString(), LastUpdated: new Date().toISOString() }, IsPastDue: isPastDue };
    await invokeFunction(registry, fn, [{ name: fn.triggerName, data: { json: JSON.stringify(payload) } }, ...clientInputs(fn)], invokeLog);
  }

  async function fireFunction(name: string, input?: unknown): Promise<void> {
    const fn = registry.functions.get(name);
    if (!fn) throw new Error(`no function named ${name}`);
    if (fn.triggerType === 'timerTrigger') return fireTimer(fn, null, null);
    await invokeFunction(registry, fn, [{ name: fn.triggerName, data: toTypedData(input) }, ...clientInputs(fn)], invokeLog);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void route(req, Buffer.concat(chunks))
        .then((r) => {
          res.writeHead(r.status, r.headers);
          res.end(r.body);
        })
        .catch((e: Error) => {
          log(`[host] ${req.method} ${req.url} failed: ${e.stack ?? e.message}`);
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
    });
  });

  // A request the HTTP parser refuses (headers over Node's 16 KiB limit, a malformed request line) gets its 431/400
  // and a clean close, as from Azure's front end. Node's default destroys the socket at once, which can reset the
  // connection before the client has read the answer.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: import('node:stream').Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.on('data', () => undefined);
    socket.end(`HTTP/1.1 ${err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  interface Reply {
    status: number;
    headers: http.OutgoingHttpHeaders;
    body?: Buffer | string;
  }

  async function route(req: http.IncomingMessage, body: Buffer): Promise<Reply> {
    const url = new URL(req.url ?? '/', baseUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    if (malformedPath(url.pathname)) return { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Bad Request - Invalid URL' };
    const durable = DURABLE_PREFIXES.find((p) => url.pathname.startsWith(p));
    if (durable) {
      const query = new URLSearchParams(url.searchParams);
      const token = req.headers['x-ms-continuation-token'];
      if (typeof token === 'string') query.set('continuationToken', token);
      const r = await durableApi.handle(method, url.pathname.slice(durable.length), query, body, baseUrl);
      return { status: r.status, headers: { ...(r.body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...r.headers }, ...(r.body !== undefined ? { body: JSON.stringify(r.body) } : {}) };
    }
    const admin = /^\/admin\/functions\/([^/]+)$/.exec(url.pathname);
    if (admin && method === 'POST') {
      const name = decodeURIComponent(admin[1]!);
      if (!registry.functions.has(name)) return { status: 404, headers: {} };
      const parsed = body.length ? (JSON.parse(body.toString('utf8')) as { input?: unknown }) : {};
      void fireFunction(name, parsed.input).catch((e: Error) => log(`[host] ${name} failed: ${e.message}`));
      return { status: 202, headers: {} };
    }
    const path = url.pathname.replace(/^\/+/, '');
    const candidates = httpFns.map((h) => ({ h, params: h.route.match(path) })).filter((c) => c.params !== null);
    if (candidates.length === 0) return { status: 404, headers: {} };
    const hit = candidates.find((c) => c.h.methods.includes(method));
    if (!hit) return { status: 405, headers: { Allow: [...new Set(candidates.flatMap((c) => c.h.methods))].join(', ') } };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    // As App Service's front end does: the connection's address (ip:port) appended to whatever the caller sent.
    const peer = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = [headers['x-forwarded-for'], `${peer.includes(':') ? `[${peer}]` : peer}:${req.socket.remotePort ?? 0}`].filter(Boolean).join(', ');
    const rpcHttp = { method, url: url.href, headers, query: Object.fromEntries(url.searchParams), params: hit.params, body: { bytes: body } };
    const fn = hit.h.fn;
    const result = await invokeFunction(registry, fn, [{ name: fn.triggerName, data: { http: rpcHttp } }, ...clientInputs(fn)], invokeLog);
    const out = (result.returnValue as { http?: import('./invoke').RpcHttpResponse } | undefined)?.http ?? (result.outputData?.find((o) => (o.data as { http?: unknown } | null)?.http)?.data as { http?: import('./invoke').RpcHttpResponse } | undefined)?.http;
    if (!out) return { status: 204, headers: {} };
    const responseHeaders: http.OutgoingHttpHeaders = { ...(out.headers ?? {}) };
    const cookies = (out.cookies ?? []).map(cookieHeader);
    if (cookies.length) responseHeaders['set-cookie'] = cookies;
    const bytes = out.body?.bytes ? Buffer.from(out.body.bytes) : out.body?.string !== undefined ? Buffer.from(out.body.string) : Buffer.alloc(0);
    return { status: Number(out.statusCode ?? 200), headers: responseHeaders, body: bytes };
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;

  await runAppHook(registry, 'appStart', opts.appDir);
  const recovered = await engine.recover();

  const timers: NodeJS.Timeout[] = [];
  if (opts.timers !== false) {
    for (const fn of timerFns) {
      const trigger = fn.metadata.bindings[fn.triggerName]!;
      const expression = String(trigger.schedule).replace(/^%([^%]+)%$/, (_, n: string) => process.env[n] ?? '');
      const schedule = parseNcrontab(expression);
      let last: Date | null = null;
      const arm = (): void => {
        const next = schedule.next(new Date());
        timers.push(setTimeout(() => {
          void fireTimer(fn, last, schedule.next(next)).catch((e: Error) => log(`[host] timer ${fn.metadata.name} failed: ${e.message}`));
          last = next;
          arm();
        }, Math.min(next.getTime() - Date.now(), 2 ** 31 - 1)));
      };
      arm();
      if (trigger.runOnStartup) void fireTimer(fn, null, schedule.next(new Date())).catch((e: Error) => log(`[host] timer ${fn.metadata.name} failed: ${e.message}`));
    }
  }

  log(`[host] loaded ${files.length} file(s), ${fns.length} function(s): ${fns.map((f) => `${f.metadata.name} (${f.triggerType})`).join(', ')}`);
  if (recovered) log(`[host] resumed ${recovered} unfinished orchestration(s)`);
  for (const h of httpFns) log(`[host] ${h.methods.join(',')} ${baseUrl}/${h.route.template}`);

  return {
    url: baseUrl,
    functions: fns.map((f) => f.metadata.name),
    fireFunction,
    async stop() {
      timers.forEach(clearTimeout);
      engine.stop();
      await runAppHook(registry, 'appTerminate', opts.appDir);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function cookieHeader(c: Record<string, unknown>): string {
  const v = (x: unknown): unknown => (x && typeof x === 'object' && 'value' in (x as object) ? (x as { value: unknown }).value : x);
  const parts = [`${String(c.name)}=${String(c.value)}`];
  if (v(c.domain)) parts.push(`Domain=${String(v(c.domain))}`);
  if (v(c.path)) parts.push(`Path=${String(v(c.path))}`);
  const expires = v(c.expires) as { seconds?: number } | undefined;
  if (expires && typeof expires === 'object' && expires.seconds) parts.push(`Expires=${new Date(Number(expires.seconds) * 1000).toUTCString()}`);
  if (v(c.maxAge)) parts.push(`Max-Age=${String(v(c.maxAge))}`);
  if (v(c.secure)) parts.push('Secure');
  if (v(c.httpOnly)) parts.push('HttpOnly');
  const sameSite = ['', 'Lax', 'Strict', 'None'][Number(c.sameSite ?? 0)];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}
