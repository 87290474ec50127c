// Test helpers for the emulator's fidelity tests: start an emulator, trust its loopback CA, get app-only tokens with
// @azure/msal-node exactly as a product would, and make requests with a fetch that trusts that CA (Node's own fetch
// cannot be given a CA file at run time), for raw calls and as the transport of @microsoft/microsoft-graph-client.
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ConfidentialClientApplication, INetworkModule } from '@azure/msal-node';
import { Client, Context, Middleware, RetryHandler, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import { EmulatorOptions, M365Emulator, startM365Emulator } from '../../local/m365/server';

export type Fetch = (
  input: string | URL,
  init?: {
    method?: string;
    headers?: Record<string, string> | Headers;
    body?: string | Buffer | Uint8Array | ArrayBuffer;
  },
) => Promise<Response>;

export interface TestEmulator {
  em: M365Emulator;
  fetch: Fetch;
  /** An app-only Graph token for a demo app, through msal-node (`fresh`: not from msal's cache, e.g. after a role change). */
  token(app?: string, opts?: { tenantIndex?: number; fresh?: boolean }): Promise<string>;
  /** Raw Graph call: path relative to /v1.0 or an absolute link; JSON body when given an object. */
  graph(
    method: string,
    pathOrUrl: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** Control API call. */
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** @microsoft/microsoft-graph-client over this emulator (RetryHandler honouring Retry-After). */
  client(opts?: { app?: string; retry?: RetryHandlerOptions }): Client;
  stop(): Promise<void>;
}

export function caFetch(agent: https.Agent): Fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const headers =
        init.headers instanceof Headers ? Object.fromEntries(init.headers.entries()) : { ...(init.headers ?? {}) };
      const body =
        init.body === undefined
          ? undefined
          : typeof init.body === 'string'
            ? Buffer.from(init.body)
            : Buffer.from(init.body as Uint8Array);
      const req = https.request(
        String(input),
        {
          method: init.method ?? 'GET',
          agent,
          headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers))
              if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
            const status = res.statusCode ?? 0;
            resolve(
              new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: h }),
            );
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

function msalNetwork(fetch: Fetch): INetworkModule {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
  ) => {
    const res = await fetch(url, {
      method,
      headers: options?.headers ?? {},
      ...(options?.body ? { body: options.body } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers.entries()),
      body: (text ? JSON.parse(text) : {}) as T,
    };
  };
  return {
    sendGetRequestAsync: (url, o) => send('GET', url, o),
    sendPostRequestAsync: (url, o) => send('POST', url, o),
  };
}

/** The last middleware: sends the request with the CA-trusting fetch instead of the global one. */
class CaTransport implements Middleware {
  constructor(private readonly fetch: Fetch) {}
  async execute(context: Context): Promise<void> {
    const o = (context.options ?? {}) as {
      method?: string;
      headers?: Record<string, string> | Headers;
      body?: string | Buffer;
    };
    context.response = await this.fetch(typeof context.request === 'string' ? context.request : context.request.url, {
      ...(o.method ? { method: o.method } : {}),
      ...(o.headers ? { headers: o.headers } : {}),
      ...(o.body !== undefined ? { body: o.body } : {}),
    });
  }
}

/** A wrapper that adds the bearer token (the SDK's AuthenticationHandler needs an auth provider object). */
class Bearer implements Middleware {
  private next?: Middleware;
  constructor(private readonly token: () => Promise<string>) {}
  async execute(context: Context): Promise<void> {
    const o = (context.options ??= {}) as { headers?: Record<string, string> };
    o.headers = {
      ...(o.headers instanceof Headers ? Object.fromEntries((o.headers as Headers).entries()) : o.headers),
      Authorization: `Bearer ${await this.token()}`,
    };
    await this.next!.execute(context);
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

export async function startTestEmulator(opts: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const certDir = opts.certDir ?? path.join(os.tmpdir(), 'm365v-emulator-tests');
  const em = await startM365Emulator({ ...opts, certDir });
  const agent = new https.Agent({ ca: fs.readFileSync(em.caCertFile), keepAlive: true });
  const fetch = caFetch(agent);
  const tokens = new Map<string, ConfidentialClientApplication>();
  const token = async (
    app = 'm365-vault backup',
    o: { tenantIndex?: number; fresh?: boolean } = {},
  ): Promise<string> => {
    const t = em.tenants[o.tenantIndex ?? 0];
    const a = t.apps.find((x) => x.displayName === app);
    if (!a) throw new Error(`no app ${app}`);
    const key = `${t.tenantId}|${a.clientId}`;
    let cca = tokens.get(key);
    if (!cca) {
      const authority = `${em.authorityHost}/${t.tenantId}`;
      cca = new ConfidentialClientApplication({
        auth: {
          clientId: a.clientId,
          clientSecret: a.clientSecret!,
          authority,
          knownAuthorities: [new URL(authority).host],
        },
        system: { networkClient: msalNetwork(fetch) },
      });
      tokens.set(key, cca);
    }
    const r = await cca.acquireTokenByClientCredential({
      scopes: ['https://graph.microsoft.com/.default'],
      ...(o.fresh ? { skipCache: true } : {}),
    });
    return r!.accessToken;
  };
  const graph: TestEmulator['graph'] = async (method, pathOrUrl, o = {}) => {
    const url = /^https?:/.test(pathOrUrl) ? pathOrUrl : `${em.graphBaseUrl}${pathOrUrl}`;
    const json = o.body !== undefined && !Buffer.isBuffer(o.body) && typeof o.body !== 'string';
    return fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${o.token ?? (await token())}`,
        ...(json ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      ...(o.body !== undefined ? { body: json ? JSON.stringify(o.body) : (o.body as string | Buffer) } : {}),
    });
  };
  const control: TestEmulator['control'] = async <T>(method: string, p: string, body?: unknown) => {
    const res = await fetch(`${em.url}/_emulator/${p.replace(/^\//, '')}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const client: TestEmulator['client'] = (o = {}) => {
    const bearer = new Bearer(() => token(o.app));
    const retry = new RetryHandler(o.retry ?? new RetryHandlerOptions());
    const transport = new CaTransport(fetch);
    bearer.setNext(retry);
    retry.setNext(transport);
    return Client.initWithMiddleware({ middleware: bearer, baseUrl: em.url, customHosts: new Set(['127.0.0.1']) });
  };
  return {
    em,
    fetch,
    token,
    graph,
    control,
    client,
    stop: async () => {
      agent.destroy();
      await em.stop();
    },
  };
}

/** Response JSON with a loose type for assertions. */
export const json = async <T = Record<string, any>>(res: Response): Promise<T> => (await res.json()) as T;

/** Follows @odata.nextLink from `first` (a path or a link) to the last page; every page must answer 200. */
export async function followPages(
  t: TestEmulator,
  first: string,
  headers: Record<string, string> = {},
): Promise<Array<Record<string, any>>> {
  const pages: Array<Record<string, any>> = [];
  let url: string | undefined = first;
  while (url) {
    const res = await t.graph('GET', url, { headers });
    expect(res.status).toBe(200);
    const page = await json(res);
    pages.push(page);
    url = page['@odata.nextLink'];
  }
  return pages;
}
