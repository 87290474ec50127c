// The local Functions host: loads the app, serves its HTTP triggers under the route prefix, runs its timers, and
// hosts Durable Functions (engine + Durable HTTP API) on Azure Storage (Azurite locally).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { context as otelContext, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { LoadedApp, loadApp } from './app-loader';
import type { RegisteredFunction } from './core-shim';
import { fromTypedData, invokeFunction, runAppHook, RpcTypedData, toTypedData, workerCapabilities } from './invoke';
import {
  BodyTooLarge,
  DEFAULT_BUFFERED_LIMIT,
  DEFAULT_REQUEST_LIMIT,
  HttpCall,
  HttpLimits,
  invokeBuffered,
  invokeStreamed,
  readBody,
  reply,
} from './http-trigger';
import { compileRoute, CompiledRoute, malformedPath } from './route-template';
import { parseNcrontab } from './ncrontab';
import { DurableEngine, OrchestratorState } from './durable/engine';
import { clientBindingData, DurableEndpoints, DurableHttpApi, hasSystemKey, WEBHOOKS_PATH } from './durable/http-api';
import { InstanceStore } from './durable/instance-store';
import { textOf } from '../../shared/domain/text';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './durable/payload-limits';
import { advanceVirtualClock } from './virtual-clock';
import { z } from 'zod';

export interface HostOptions {
  appDir: string;
  port?: number;
  storageConnectionString: string;
  /** Schedule timer triggers automatically (default true); tests fire them on demand instead. */
  timers?: boolean;
  /** The payload guard's limit in bytes of JSON (durable/payload-limits.ts): default 45 KB, 0 turns it off. */
  maxPayloadBytes?: number;
  /** The Durable extension's system key, required on its public webhooks; a random one when omitted. */
  durableSystemKey?: string;
  /** Request and buffered-body limits (http-trigger.ts); Azure's 100 MB request limit and the same buffered guard by default. */
  http?: Partial<HttpLimits>;
  log?: (line: string) => void;
  /**
   * Serve `POST /admin/clock` ({ advanceMs }): moves the process's clock forward (virtual-clock.ts, installed by
   * main.ts before the app loads) and re-arms durable timers. Local tests only; Azure has no such thing.
   */
  virtualClock?: boolean;
}

export interface RunningHost {
  url: string;
  durableSystemKey: string;
  /** Whether the app enabled HTTP streaming (the worker reported its proxy's URL). */
  httpStream: boolean;
  functions: string[];
  fireFunction(name: string, input?: unknown): Promise<void>;
  stop(): Promise<void>;
}

interface HttpFunction {
  fn: RegisteredFunction;
  route: CompiledRoute;
  methods: string[];
}

const ClockAdvance = z.object({ advanceMs: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) });

function jsonOrUndefined(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The extension's public webhooks; its rpc API (`/durabletask/`) is served only on a loopback listener of its own. */
const WEBHOOKS = WEBHOOKS_PATH;
const RPC = '/durabletask/';

export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const app = loadApp(opts.appDir);
  // In Azure the host is another process, whose own storage traffic never shows in the app's telemetry: everything
  // the host does from here on runs with tracing suppressed, and each invocation starts afresh (invoke.ts).
  return otelContext.with(suppressTracing(ROOT_CONTEXT), () => startLoadedHost(opts, app));
}

async function startLoadedHost(opts: HostOptions, { registry, config, files }: LoadedApp): Promise<RunningHost> {
  const log = opts.log ?? ((line: string) => console.log(line));
  registry.logSink = (level, category, message) => log(`[${category}] ${level}: ${message}`);
  const invokeLog = (level: string, fnName: string, message: string): void =>
    log(`[${fnName}] ${level === 'information' ? '' : `${level}: `}${message}`);

  const fns = [...registry.functions.values()];
  const byType = (type: string): RegisteredFunction[] => fns.filter((f) => f.triggerType === type);
  const orchestrators = new Map(byType('orchestrationTrigger').map((f) => [f.metadata.name, f]));
  const activities = new Map(byType('activityTrigger').map((f) => [f.metadata.name, f]));
  const httpFns: HttpFunction[] = byType('httpTrigger')
    .map((fn) => {
      const trigger = fn.metadata.bindings[fn.triggerName];
      return {
        fn,
        route: compileRoute(
          `${config.routePrefix ? `${config.routePrefix}/` : ''}${textOf([trigger.route], fn.metadata.name)}`,
        ),
        methods: ((trigger.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
      };
    })
    .sort((a, b) => b.route.specificity - a.route.specificity);
  const timerFns = byType('timerTrigger');
  for (const f of fns) {
    if (!['orchestrationTrigger', 'activityTrigger', 'httpTrigger', 'timerTrigger'].includes(f.triggerType))
      log(`[host] ${f.metadata.name}: ${f.triggerType} is not supported by the local host; skipped`);
  }

  const hub = config.hubName.replace(/[^A-Za-z0-9]/g, '') || 'TestHubName';
  const service = BlobServiceClient.fromConnectionString(opts.storageConnectionString);
  const store = new InstanceStore(
    service.getContainerClient(`${hub.toLowerCase()}-history`.slice(0, 63)),
    TableClient.fromConnectionString(opts.storageConnectionString, `${hub}Instances`, {
      allowInsecureConnection: true,
    }),
  );
  await store.init();

  let baseUrl = '';
  const endpoints: DurableEndpoints = {
    baseUrl: '',
    systemKey: opts.durableSystemKey || randomBytes(32).toString('base64url'),
    rpcBaseUrl: '',
  };
  const clientInputs = (fn: RegisteredFunction): Array<{ name: string; data: RpcTypedData }> =>
    Object.entries(fn.metadata.bindings)
      .filter(([, b]) => b.direction === 'in' && b.type === 'durableClient')
      .map(([name]) => ({ name, data: { string: JSON.stringify(clientBindingData(endpoints, hub)) } }));
  const limits: HttpLimits = {
    maxRequestBodyBytes: opts.http?.maxRequestBodyBytes ?? DEFAULT_REQUEST_LIMIT,
    maxBufferedBodyBytes: opts.http?.maxBufferedBodyBytes ?? DEFAULT_BUFFERED_LIMIT,
  };
  const httpUri = (await workerCapabilities(registry)).HttpUri;

  const engine = new DurableEngine({
    store,
    log: (m) => log(`[durable] ${m}`),
    activityConcurrency: config.maxConcurrentActivityFunctions,
    orchestratorConcurrency: config.maxConcurrentOrchestratorFunctions,
    maxPayloadBytes: opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    hasOrchestrator: (name) => orchestrators.has(name),
    async runOrchestrator(name, binding) {
      const fn = orchestrators.get(name);
      if (!fn)
        throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
      const result = await invokeFunction(
        registry,
        fn,
        [{ name: fn.triggerName, data: { string: binding } }],
        invokeLog,
      );
      return fromTypedData(result.returnValue) as OrchestratorState;
    },
    async runActivity(name, input) {
      const fn = activities.get(name);
      if (!fn) throw new Error(`The function '${name}' doesn't exist, is disabled, or is not an activity function.`);
      const result = await invokeFunction(
        registry,
        fn,
        [{ name: fn.triggerName, data: toTypedData(input) }, ...clientInputs(fn)],
        invokeLog,
      );
      return fromTypedData(result.returnValue);
    },
  });
  const durableApi = new DurableHttpApi(
    engine,
    hub,
    (name) => orchestrators.has(name),
    () => endpoints,
  );

  async function fireTimer(
    fn: RegisteredFunction,
    last: Date | null,
    next: Date | null,
    isPastDue = false,
  ): Promise<void> {
    const payload = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: (last ?? new Date(0)).toISOString(),
        Next: (next ?? new Date()).toISOString(),
        LastUpdated: new Date().toISOString(),
      },
      IsPastDue: isPastDue,
    };
    await invokeFunction(
      registry,
      fn,
      [{ name: fn.triggerName, data: { json: JSON.stringify(payload) } }, ...clientInputs(fn)],
      invokeLog,
    );
  }

  async function fireFunction(name: string, input?: unknown): Promise<void> {
    const fn = registry.functions.get(name);
    if (!fn) throw new Error(`no function named ${name}`);
    if (fn.triggerType === 'timerTrigger') return fireTimer(fn, null, null);
    await invokeFunction(
      registry,
      fn,
      [{ name: fn.triggerName, data: toTypedData(input) }, ...clientInputs(fn)],
      invokeLog,
    );
  }

  const failed =
    (req: http.IncomingMessage, res: http.ServerResponse) =>
    (e: Error): void => {
      log(`[host] ${req.method} ${req.url} failed: ${e.stack ?? e.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    };

  async function durable(req: http.IncomingMessage, res: http.ServerResponse, path: string, url: URL): Promise<void> {
    const query = new URLSearchParams(url.searchParams);
    const token = req.headers['x-ms-continuation-token'];
    if (typeof token === 'string') query.set('continuationToken', token);
    const r = await durableApi.handle(
      (req.method ?? 'GET').toUpperCase(),
      path,
      query,
      await readBody(req, limits.maxRequestBodyBytes),
    );
    reply(
      res,
      r.status,
      { ...(r.body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...r.headers },
      r.body !== undefined ? JSON.stringify(r.body) : undefined,
    );
  }

  const server = http.createServer((req, res) => void serve(req, res).catch(failed(req, res)));
  // A request the HTTP parser refuses (headers over Node's 16 KiB limit, a malformed request line) gets its 431/400
  // and a clean close, as from Azure's front end. Node's default destroys the socket at once, which can reset the
  // connection before the client has read the answer.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: import('node:stream').Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.on('data', () => undefined);
    socket.end(
      `HTTP/1.1 ${err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  });
  // The worker's own channel to the extension (rpcBaseUrl): reachable from this machine only, without a key, like
  // the loopback endpoint the extension opens beside the Functions host in Azure.
  const rpcServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', endpoints.rpcBaseUrl);
    const run = url.pathname.startsWith(RPC)
      ? durable(req, res, url.pathname.slice(RPC.length), url)
      : Promise.resolve(reply(res, 404));
    void run.catch(failed(req, res));
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const method = (req.method ?? 'GET').toUpperCase();
    if (malformedPath(url.pathname)) {
      req.resume();
      return reply(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'Bad Request - Invalid URL');
    }
    try {
      if (url.pathname.startsWith(WEBHOOKS)) {
        if (!hasSystemKey(url.searchParams, req.headers['x-functions-key'], endpoints.systemKey)) {
          req.resume();
          return reply(res, 401);
        }
        return await durable(req, res, url.pathname.slice(WEBHOOKS.length), url);
      }
      if (opts.virtualClock && url.pathname === '/admin/clock' && method === 'POST') {
        const asked = ClockAdvance.safeParse(jsonOrUndefined(await readBody(req, limits.maxRequestBodyBytes)));
        if (!asked.success)
          return reply(res, 400, { 'content-type': 'text/plain; charset=utf-8' }, 'advanceMs: a whole number >= 0');
        const now = advanceVirtualClock(asked.data.advanceMs);
        engine.rearmTimers();
        return reply(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ now: new Date(now) }));
      }
      const admin = /^\/admin\/functions\/([^/]+)$/.exec(url.pathname);
      if (admin && method === 'POST') {
        const name = decodeURIComponent(admin[1]);
        const body = await readBody(req, limits.maxRequestBodyBytes);
        if (!registry.functions.has(name)) return reply(res, 404);
        const parsed = body.length ? (JSON.parse(body.toString('utf8')) as { input?: unknown }) : {};
        void fireFunction(name, parsed.input).catch((e: Error) => log(`[host] ${name} failed: ${e.message}`));
        return reply(res, 202);
      }
    } catch (e) {
      if (e instanceof BodyTooLarge) return reply(res, 413);
      throw e;
    }
    const path = url.pathname.replace(/^\/+/, '');
    const candidates = httpFns.map((h) => ({ h, params: h.route.match(path) })).filter((c) => c.params !== null);
    if (candidates.length === 0 || !candidates.some((c) => c.h.methods.includes(method))) {
      req.resume();
      if (candidates.length === 0) return reply(res, 404);
      return reply(res, 405, { Allow: [...new Set(candidates.flatMap((c) => c.h.methods))].join(', ') });
    }
    const hit = candidates.find((c) => c.h.methods.includes(method))!;
    const call: HttpCall = {
      registry,
      fn: hit.h.fn,
      params: hit.params!,
      url,
      method,
      extraInputs: clientInputs(hit.h.fn),
      limits,
      log: invokeLog,
      hostLog: log,
    };
    await (httpUri ? invokeStreamed(call, req, res, httpUri) : invokeBuffered(call, req, res));
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => rpcServer.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  endpoints.baseUrl = baseUrl;
  endpoints.rpcBaseUrl = `http://127.0.0.1:${(rpcServer.address() as AddressInfo).port}${RPC}`;
  process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;

  await runAppHook(registry, 'appStart', opts.appDir);
  const recovered = await engine.recover();

  const timers: NodeJS.Timeout[] = [];
  if (opts.timers !== false) {
    for (const fn of timerFns) {
      const trigger = fn.metadata.bindings[fn.triggerName];
      const expression = String(trigger.schedule).replace(/^%([^%]+)%$/, (_, n: string) => process.env[n] ?? '');
      const schedule = parseNcrontab(expression);
      let last: Date | null = null;
      const arm = (): void => {
        const next = schedule.next(new Date());
        timers.push(
          setTimeout(
            () => {
              void fireTimer(fn, last, schedule.next(next)).catch((e: Error) =>
                log(`[host] timer ${fn.metadata.name} failed: ${e.message}`),
              );
              last = next;
              arm();
            },
            Math.min(next.getTime() - Date.now(), 2 ** 31 - 1),
          ),
        );
      };
      arm();
      if (trigger.runOnStartup)
        void fireTimer(fn, null, schedule.next(new Date())).catch((e: Error) =>
          log(`[host] timer ${fn.metadata.name} failed: ${e.message}`),
        );
    }
  }

  log(
    `[host] loaded ${files.length} file(s), ${fns.length} function(s): ${fns.map((f) => `${f.metadata.name} (${f.triggerType})`).join(', ')}`,
  );
  if (recovered) log(`[host] resumed ${recovered} unfinished orchestration(s)`);
  log(
    httpUri
      ? `[host] HTTP streaming on: requests and responses go through the worker's proxy at ${httpUri}`
      : `[host] HTTP streaming off: bodies cross the worker boundary whole (at most ${limits.maxBufferedBodyBytes || limits.maxRequestBodyBytes} bytes)`,
  );
  for (const h of httpFns) log(`[host] ${h.methods.join(',')} ${baseUrl}/${h.route.template}`);

  return {
    url: baseUrl,
    durableSystemKey: endpoints.systemKey,
    httpStream: httpUri !== undefined,
    functions: fns.map((f) => f.metadata.name),
    fireFunction,
    async stop() {
      timers.forEach(clearTimeout);
      engine.stop();
      await runAppHook(registry, 'appTerminate', opts.appDir);
      await Promise.all([server, rpcServer].map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
    },
  };
}
