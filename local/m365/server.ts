// The Microsoft 365 emulator's HTTPS server (MSAL refuses non-https authorities): Graph v1.0 under /v1.0 (the router
// pipeline, $batch), then the registered non-Graph endpoints (Entra ID, pre-authenticated URLs, the control API).
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ensureLoopbackCert } from '../stack/loopback-cert';
import { dispatchBatch } from './graph/batch';
import { emptyCounters } from './graph/counters';
import { GraphError } from './graph/errors';
import {
  ConnectionFault,
  FaultSettings,
  faultSettingsSchema,
  Holds,
  parseThrottle,
  scriptedFault,
  Throttle,
} from './graph/faults';
import { dispatchGraph, GraphResult, RouterDeps, ValidateToken } from './graph/router';
import { ServiceTime, serviceTimeSettings, ServiceTimeSettings, Sleep } from './graph/service-time';
import './service-time-control';
import { matchHttpRoute } from './http-routes';
import { validateGraphToken } from './auth/routes';
import { Clock, EmulatorRuntime, systemClock, urlSigner } from './runtime';
import { ProfileInput, resolveProfile } from './tenant/profile';
import { rng } from './tenant/seeded';
import { Tenant } from './tenant/tenant';
import { TenantDirectory } from './tenant/tenants';
import './workloads';

export interface EmulatorOptions {
  port?: number;
  /** Seed of the (first) tenant: same seed, same tenant, ids and bytes. Default 'contoso'. */
  seed?: string;
  profile?: 'demo' | 'bench' | ProfileInput;
  /** mailboxConcurrency / mailboxRequestsPerWindow / windowSeconds (aliases: concurrency, budget). */
  throttle?: Record<string, number>;
  faults?: Partial<FaultSettings>;
  /** More tenants, each from its own seed (multi-tenant tests). */
  extraTenants?: Array<{ seed: string; profile?: 'demo' | 'bench' | ProfileInput }>;
  /** Folder of the loopback TLS certificate (share the stack's so clients trust one CA). Default: a temp folder. */
  certDir?: string;
  clock?: Clock;
  /**
   * The service-time model (graph/service-time.ts): on by default with the bench profile only; `{ enabled: true }`
   * turns it on with the README's defaults.
   */
  serviceTime?: Partial<ServiceTimeSettings>;
  /** How the service-time model waits (tests: a virtual sleep). Default: setTimeout. */
  sleep?: Sleep;
  /** Graph token validation; default: the auth module's. */
  validate?: ValidateToken;
}

export interface EmulatorTenantInfo {
  tenantId: string;
  domain: string;
  apps: Array<{ clientId: string; displayName: string; clientSecret?: string; roles: string[] }>;
}

export interface M365Emulator {
  url: string;
  graphBaseUrl: string;
  authorityHost: string;
  caCertFile: string;
  /** The first tenant's id. */
  tenantId: string;
  tenants: EmulatorTenantInfo[];
  tenant(idOrDomain?: string): Tenant;
  runtime: EmulatorRuntime;
  stop(): Promise<void>;
}

function send(res: ServerResponse, r: GraphResult): Promise<void> {
  const headers: Record<string, string> = {
    ...(r.json !== undefined
      ? {
          'content-type':
            'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8',
        }
      : {}),
    ...r.headers,
  };
  if (r.stream) {
    res.writeHead(r.status, headers);
    return pipeline(r.stream, res).catch(() => {
      res.destroy();
    });
  }
  const payload = r.bytes ?? (r.json !== undefined ? Buffer.from(JSON.stringify(r.json)) : Buffer.alloc(0));
  res.writeHead(r.status, { ...headers, 'content-length': String(payload.length) });
  res.end(payload);
  return Promise.resolve();
}

function bodyReader(req: IncomingMessage): { read(): Promise<Buffer>; drain(): void } {
  let reading: Promise<Buffer> | undefined;
  return {
    read: () =>
      (reading ??= new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
      })),
    // An unread body must still be consumed for the connection to be reused.
    drain: () => {
      if (!reading) req.resume();
    },
  };
}

export async function startM365Emulator(opts: EmulatorOptions): Promise<M365Emulator> {
  const clock = opts.clock ?? systemClock();
  const seed = opts.seed ?? 'contoso';
  const tenants = new TenantDirectory();
  for (const spec of [{ seed, profile: opts.profile }, ...(opts.extraTenants ?? [])]) {
    tenants.add(new Tenant({ seed: spec.seed, profile: resolveProfile(spec.profile), now: clock.now.bind(clock) }));
  }
  const faultRandom = rng(seed, 'faults');
  const runtime: EmulatorRuntime = {
    clock,
    random: faultRandom,
    tenants,
    throttle: new Throttle(parseThrottle(opts.throttle ?? {}), clock),
    serviceTime: new ServiceTime(
      serviceTimeSettings({ enabled: opts.profile === 'bench' }, opts.serviceTime),
      opts.sleep,
    ),
    faults: faultSettingsSchema.parse(opts.faults ?? {}),
    holds: new Holds(),
    counters: emptyCounters(),
    origin: '',
    ...urlSigner(clock),
  };
  const deps: RouterDeps = { runtime, validate: opts.validate ?? validateGraphToken };
  const certDir = opts.certDir ?? path.join(os.tmpdir(), 'm365v-emulator');
  const { certFile, keyFile } = await ensureLoopbackCert(certDir);

  /**
   * Scripted faults at pre-authenticated URLs (upload sessions, downloads): only rules that name a path apply there,
   * and never to the control API. Returns the error answer, or throws a connection fault after waiting out a hold.
   */
  async function httpFault(
    method: string,
    path: string,
    template: string,
    closed: Promise<void>,
    read: () => Promise<Buffer>,
  ): Promise<GraphResult | 'lose' | undefined> {
    if (path.startsWith('/_emulator/')) return undefined;
    const fault = scriptedFault(runtime.faults, { method, path, template, connection: true, pathRequired: true });
    if (!fault) return undefined;
    runtime.counters.faulted++;
    // A range refused or dropped still crossed the wire: the upload counter counts what the client sent.
    if (method === 'PUT' && (fault instanceof GraphError || fault.action === 'drop'))
      runtime.counters.uploadBytes += (await read()).length;
    if (fault instanceof GraphError)
      return {
        status: fault.status,
        headers: fault.options.headers ?? {},
        json: { error: { code: fault.code, message: fault.message } },
      };
    if (fault.action === 'hold') {
      runtime.counters.held++;
      if (await runtime.holds.wait(closed)) return undefined;
    }
    if (fault.action === 'lose') return 'lose';
    throw new ConnectionFault('drop');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', runtime.origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const body = bodyReader(req);
    const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    let result: GraphResult;
    if (/^\/v1\.0(\/|$)/i.test(url.pathname)) {
      const incoming = { method, url, headers: req.headers, body: body.read.bind(body), closed };
      const batch = method === 'POST' && /^\/v1\.0\/\$batch\/?$/i.test(url.pathname);
      if (batch) await runtime.serviceTime.serve('batch');
      result = batch ? await dispatchBatch(incoming, deps) : await dispatchGraph(incoming, deps);
    } else {
      const hit = matchHttpRoute(method, url.pathname);
      if (hit === undefined)
        result = {
          status: 404,
          json: { error: { code: 'NotFound', message: `No emulated endpoint at ${url.pathname}.` } },
        };
      else if (hit === 'method')
        result = {
          status: 405,
          json: { error: { code: 'MethodNotAllowed', message: `${method} is not allowed at ${url.pathname}.` } },
        };
      else {
        const fault = await httpFault(method, url.pathname, hit.spec.path, closed, body.read.bind(body));
        result =
          fault && fault !== 'lose'
            ? fault
            : await hit.spec.handler({
                method,
                path: url.pathname,
                params: hit.params,
                query: url.searchParams,
                headers: req.headers,
                body: body.read.bind(body),
                json: async <T>() => JSON.parse((await body.read()).toString('utf8')) as T,
                emulator: runtime,
              });
        if (fault === 'lose') result.lost = true;
        // Downloads at pre-authenticated URLs stream at the service's rate (the control API is not Graph).
        if (method === 'GET' && !url.pathname.startsWith('/_emulator/') && (result.stream || result.bytes))
          result = await runtime.serviceTime.deliver('content', result);
      }
    }
    body.drain();
    if (result.lost) res.destroy();
    else await send(res, result);
  }

  const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (req, res) => {
    handle(req, res).catch((e: Error) => {
      if (e instanceof ConnectionFault) return void res.destroy();
      console.error('[m365] request failed', e);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'generalException', message: 'General exception while processing.' } }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  runtime.origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: runtime.origin,
    graphBaseUrl: `${runtime.origin}/v1.0`,
    authorityHost: runtime.origin,
    caCertFile: certFile,
    tenantId: tenants.primary.id,
    tenants: tenants.list().map((t) => ({
      tenantId: t.id,
      domain: t.domain,
      apps: t.apps.map((a) => ({
        clientId: a.clientId,
        displayName: a.displayName,
        ...(a.secrets[0] ? { clientSecret: a.secrets[0].value } : {}),
        roles: [...a.graphRoles],
      })),
    })),
    tenant(idOrDomain) {
      const t = idOrDomain ? tenants.get(idOrDomain) : tenants.primary;
      if (!t) throw new Error(`no tenant ${idOrDomain}`);
      return t;
    },
    runtime,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
