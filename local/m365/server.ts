// The Microsoft 365 emulator's HTTPS server: Entra ID endpoints (token, discovery, keys), Graph v1.0 with the faults
// a real tenant throws (throttling, 503/504, expired delta tokens, missing permissions, access policies), $batch,
// pre-authenticated download URLs, and a control API for tests and demos.
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { ensureLoopbackCert } from '../stack/loopback-cert';
import { AppRegistration, demoApps } from './auth/apps';
import { issueToken, SigningKey } from './auth/token-endpoint';
import { envelope, GraphError, newRequestId } from './graph/errors';
import { createContentSigner, GraphRequest, GraphResult, Route, ROUTES, Workload } from './graph/routes';
import { EXCHANGE_LIMITS, Throttle, ThrottleSettings } from './graph/throttle';
import { compileRoute, CompiledRoute } from '../host/route-template';
import { Drive, DriveItem, PROFILES, Profile, Tenant } from './tenant/legacy-tenant';
import { handleControl } from './control';
import { fileBytes } from './tenant/file-content';

export interface EmulatorOptions {
  port?: number;
  seed?: string;
  profile?: 'demo' | 'bench' | Profile;
  throttle?: Partial<ThrottleSettings>;
  /** Folder holding the loopback TLS certificate (shared with the local stack so clients trust one CA). */
  certDir: string;
}

export interface Counters {
  requests: number;
  byStatus: Record<string, number>;
  byWorkload: Record<string, number>;
  throttled: number;
  byMailbox: Record<string, number>;
}

export interface EmulatorState {
  tenant: Tenant;
  apps: AppRegistration[];
  throttle: Throttle;
  faults: { rate503: number; rate504: number };
  /** App id → user ids the app may not open (Exchange application access policy). */
  denied: Map<string, Set<string>>;
  counters: Counters;
}

export interface M365Emulator {
  url: string;
  graphBaseUrl: string;
  authorityHost: string;
  caCertFile: string;
  tenantId: string;
  state: EmulatorState;
  stop(): Promise<void>;
}

const FORBIDDEN: Record<Workload, { code: string; message: string }> = {
  directory: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
  mail: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
  calendar: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
  contacts: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
  files: { code: 'accessDenied', message: 'Either scp or roles claim need to be present in the token.' },
};

const emptyCounters = (): Counters => ({ requests: 0, byStatus: {}, byWorkload: {}, throttled: 0, byMailbox: {} });

export async function startM365Emulator(opts: EmulatorOptions): Promise<M365Emulator> {
  const seed = opts.seed ?? 'contoso';
  const profile = typeof opts.profile === 'object' ? opts.profile : PROFILES[opts.profile ?? 'demo'];
  const tenant = new Tenant(seed, profile);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
  const key: SigningKey = { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, kty: 'RSA', use: 'sig', alg: 'RS256', x5t: kid } };
  const state: EmulatorState = {
    tenant, apps: demoApps(seed), throttle: new Throttle({ ...EXCHANGE_LIMITS, ...opts.throttle }), faults: { rate503: 0, rate504: 0 }, denied: new Map(), counters: emptyCounters(),
  };
  const signer = createContentSigner(randomBytes(32).toString('hex'));
  const routes: Array<{ route: Route; compiled: CompiledRoute }> = ROUTES.map((route) => ({ route, compiled: compileRoute(route.template) })).sort((a, b) => b.compiled.specificity - a.compiled.specificity);
  const { certFile, keyFile } = await ensureLoopbackCert(opts.certDir);
  let base = '';

  const contentUrl = (drive: Drive, item: DriveItem): string => `${base}/_content/${signer.sign({ d: drive.id, i: item.id, v: item.version, e: Date.now() + 3600_000 })}`;

  function authenticate(authorization: string | undefined): { appId: string; roles: Set<string> } {
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
    const invalid = (message: string): GraphError => new GraphError(401, 'InvalidAuthenticationToken', message, { headers: { 'WWW-Authenticate': 'Bearer realm="", error="invalid_token"' } });
    if (!token) throw invalid('Access token is empty.');
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) throw invalid('IDX14100: JWT is not well formed, there are no dots (.).');
    if (!verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), Buffer.from(s, 'base64url'))) throw invalid('Access token validation failure. Invalid signature.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud?: string; exp?: number; tid?: string; appid?: string; roles?: string[] };
    if (claims.aud !== 'https://graph.microsoft.com') throw invalid('Access token validation failure. Invalid audience.');
    if (!claims.exp || claims.exp * 1000 < Date.now()) throw invalid('Lifetime validation failed, the token is expired.');
    if (claims.tid !== tenant.id) throw invalid('Access token validation failure. Invalid tenant.');
    return { appId: claims.appid ?? '', roles: new Set(claims.roles ?? []) };
  }

  async function graph(method: string, url: URL, headers: Record<string, string | undefined>, body: Buffer): Promise<GraphResult> {
    const path = url.pathname.replace(/^\/v1\.0/, '').replace(/\('([^']+)'\)/g, '/$1');
    const candidates = routes.map((r) => ({ ...r, params: r.compiled.match(path) })).filter((r) => r.params !== null);
    const hit = candidates.find((c) => c.route.method === method);
    const caller = authenticate(headers.authorization);
    if (!hit) throw candidates.length ? new GraphError(405, 'Request_BadRequest', `The HTTP method '${method}' is not allowed for ${path}.`) : new GraphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').filter(Boolean).pop() ?? ''}'.`);
    const { route, params } = hit;
    state.counters.byWorkload[route.workload] = (state.counters.byWorkload[route.workload] ?? 0) + 1;
    if (!route.permissions.some((p) => caller.roles.has(p))) throw new GraphError(403, FORBIDDEN[route.workload].code, FORBIDDEN[route.workload].message);
    const mailbox = route.mailbox?.(params!);
    if (mailbox) {
      const userId = tenant.user(mailbox)?.id ?? mailbox;
      if (state.denied.get(caller.appId)?.has(userId)) throw new GraphError(403, 'ErrorAccessDenied', 'Access to OData is disabled: the application access policy does not allow this mailbox.');
      state.counters.byMailbox[userId] = (state.counters.byMailbox[userId] ?? 0) + 1;
    }
    const roll = Math.random();
    if (roll < state.faults.rate503) throw new GraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable.', { headers: { 'Retry-After': '1' } });
    if (roll < state.faults.rate503 + state.faults.rate504) throw new GraphError(504, 'UnknownError', 'Gateway timeout.');
    const lane = state.throttle.admit(`${caller.appId}|${mailbox ?? 'tenant'}`);
    if (!lane.admitted) {
      state.counters.throttled++;
      throw new GraphError(429, 'TooManyRequests', 'Please retry again later.', { headers: { 'Retry-After': String(lane.retryAfterSeconds) }, innerCode: 'ApplicationThrottled' });
    }
    try {
      const req: GraphRequest = { method, path, params: params!, query: url.searchParams, headers, body, tenant, baseUrl: `${base}/v1.0`, contentUrl };
      return await route.handle(req);
    } finally {
      lane.release();
    }
  }

  async function batch(headers: Record<string, string | undefined>, body: Buffer): Promise<GraphResult> {
    let parsed: { requests?: Array<{ id: string; method: string; url: string; headers?: Record<string, string>; body?: unknown; dependsOn?: string[] }> };
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new GraphError(400, 'BadRequest', 'Invalid batch payload format.');
    }
    const requests = parsed.requests ?? [];
    if (requests.length === 0 || requests.length > 20) throw new GraphError(400, 'BadRequest', 'Invalid batch payload format: a batch holds 1 to 20 requests.');
    const ids = requests.map((r) => String(r.id).toLowerCase());
    if (new Set(ids).size !== ids.length) throw new GraphError(400, 'BadRequest', 'Batch request contains duplicate request ids.');
    const results = new Map<string, { id: string; status: number; headers: Record<string, string>; body?: unknown }>();
    const run = async (r: (typeof requests)[number]): Promise<void> => {
      for (const dep of r.dependsOn ?? []) {
        const d = results.get(dep.toLowerCase());
        if (!d || d.status >= 400) {
          results.set(r.id.toLowerCase(), { id: r.id, status: 424, headers: {}, body: { error: { code: 'FailedDependency', message: `Depends on request ${dep}, which failed.` } } });
          return;
        }
      }
      const inner = { ...headers, ...Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) };
      const innerBody = r.body === undefined ? Buffer.alloc(0) : Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
      const res = await respond(r.method.toUpperCase(), new URL(`/v1.0${r.url.startsWith('/') ? '' : '/'}${r.url}`, base), inner, innerBody);
      results.set(r.id.toLowerCase(), {
        id: r.id, status: res.status, headers: res.headers ?? {},
        ...(res.json !== undefined ? { body: res.json } : res.bytes ? { body: res.bytes.toString('base64') } : {}),
      });
    };
    // Independent requests run concurrently (the service runs up to 4 at once); dependency chains run in order.
    const pending = [...requests];
    while (pending.length) {
      const ready = pending.filter((r) => (r.dependsOn ?? []).every((d) => results.has(d.toLowerCase())));
      const wave = (ready.length ? ready : pending).slice(0, 4);
      await Promise.all(wave.map(run));
      for (const r of wave) pending.splice(pending.indexOf(r), 1);
    }
    return { status: 200, json: { responses: [...results.values()].reverse() } };
  }

  /** One Graph request through the whole pipeline, errors rendered as Graph does. */
  async function respond(method: string, url: URL, headers: Record<string, string | undefined>, body: Buffer): Promise<GraphResult> {
    const requestId = newRequestId();
    const clientRequestId = headers['client-request-id'] ?? requestId;
    let result: GraphResult;
    try {
      result = url.pathname === '/v1.0/$batch' && method === 'POST' ? await batch(headers, body) : await graph(method, url, headers, body);
    } catch (e) {
      const err = e instanceof GraphError ? e : new GraphError(500, 'generalException', 'General exception while processing.');
      if (!(e instanceof GraphError)) console.error('[m365] handler failed', e);
      result = { status: err.status, headers: err.options.headers ?? {}, json: envelope(err, { requestId, clientRequestId }, Date.now()) };
    }
    state.counters.requests++;
    state.counters.byStatus[result.status] = (state.counters.byStatus[result.status] ?? 0) + 1;
    result.headers = { ...result.headers, 'request-id': requestId, 'client-request-id': clientRequestId };
    return result;
  }

  function identity(url: URL, method: string, headers: Record<string, string | undefined>, body: Buffer): GraphResult | undefined {
    const m = /^\/([^/]+)\/(oauth2\/v2\.0\/token|v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|discovery\/keys|discovery\/instance)$/.exec(url.pathname);
    if (!m) return undefined;
    const [, segment, what] = m as unknown as [string, string, string];
    const known = segment === tenant.id || segment.toLowerCase() === tenant.domain ? { id: tenant.id, domain: tenant.domain, apps: state.apps } : undefined;
    if (what.startsWith('discovery/v2.0/keys') || what === 'discovery/keys') return { status: 200, json: { keys: [key.publicJwk] } };
    if (what === 'discovery/instance') {
      const host = url.host;
      return { status: 200, json: { tenant_discovery_endpoint: `${base}/${segment}/v2.0/.well-known/openid-configuration`, 'api-version': '1.1', metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }] } };
    }
    if (what.endsWith('openid-configuration')) {
      const tid = known?.id ?? segment;
      return { status: 200, json: { token_endpoint: `${base}/${tid}/oauth2/v2.0/token`, authorization_endpoint: `${base}/${tid}/oauth2/v2.0/authorize`, issuer: `${base}/${tid}/v2.0`, jwks_uri: `${base}/${tid}/discovery/v2.0/keys`, end_session_endpoint: `${base}/${tid}/oauth2/v2.0/logout`, token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'], response_types_supported: ['code', 'id_token', 'token'], subject_types_supported: ['pairwise'], id_token_signing_alg_values_supported: ['RS256'], tenant_region_scope: 'EU' } };
    }
    if (method !== 'POST') return { status: 405 };
    const basic = /^Basic (.+)$/i.exec(headers.authorization ?? '')?.[1];
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [];
    const reply = issueToken(known, segment, new URLSearchParams(body.toString('utf8')), id ? { id, secret: secret ?? '' } : undefined, key, `${base}/${segment}/oauth2/v2.0/token`);
    return { status: reply.status, json: reply.body, headers: { 'cache-control': 'no-store' } };
  }

  function content(url: URL, headers: Record<string, string | undefined>): GraphResult {
    const claims = signer.verify(url.pathname.slice('/_content/'.length));
    if (!claims || Number(claims.e) < Date.now()) return { status: 401, json: { error: { code: 'unauthenticated', message: 'The download URL has expired or is invalid.' } } };
    const drive = tenant.driveById(String(claims.d));
    const item = drive?.items.get(String(claims.i));
    if (!drive || !item?.file) return { status: 404, json: { error: { code: 'itemNotFound', message: 'The resource could not be found.' } } };
    const bytes = fileBytes(tenant.seed, item);
    const range = /^bytes=(\d+)-(\d*)$/.exec(headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
      return { status: 206, headers: { 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-type': 'application/octet-stream' }, bytes: bytes.subarray(start, end + 1) };
    }
    return { status: 200, headers: { 'content-type': 'application/octet-stream' }, bytes };
  }

  const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const work: Promise<GraphResult> = url.pathname.startsWith('/v1.0/')
        ? respond(method, url, headers, body)
        : url.pathname.startsWith('/_content/')
          ? Promise.resolve(content(url, headers))
          : url.pathname.startsWith('/_emulator/')
            ? handleControl(state, method, url, body)
            : Promise.resolve(identity(url, method, headers, body) ?? { status: 404, json: { error: 'not_found' } });
      void work.then((r) => {
        const payload = r.bytes ?? (r.json !== undefined ? Buffer.from(JSON.stringify(r.json)) : Buffer.alloc(0));
        res.writeHead(r.status, { ...(r.json !== undefined ? { 'content-type': 'application/json; odata.metadata=minimal; charset=utf-8' } : {}), ...r.headers, 'content-length': String(payload.length) });
        res.end(payload);
      }).catch((e: Error) => {
        console.error('[m365] request failed', e);
        res.writeHead(500);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base, graphBaseUrl: `${base}/v1.0`, authorityHost: base, caCertFile: certFile, tenantId: tenant.id, state,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
