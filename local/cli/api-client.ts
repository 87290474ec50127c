// A small client for the product's HTTP API as an administrator uses it: bearer token from Entra ID (here the
// emulator's token endpoint, whose certificate is trusted through `ca`), JSON in and out, and a started run followed
// through the product's own run route to its end.
import http from 'node:http';
import https from 'node:https';
import type { Alarm } from '../../shared/domain/alarms';
import type { RunSummary } from '../../shared/backup/run-steps';

/** A run as GET …/runs/{runId} shows it. */
export interface RunState {
  id: string;
  status: string;
  summary?: Omit<RunSummary, 'status'>;
  alarms: Alarm[];
  reason?: string;
}

/** How a run ended: its id, status, alarms and summary figures side by side. */
export type RunOutcome = Partial<Omit<RunSummary, 'status'>> & { runId: string; status: string; alarms: Alarm[] };
export const outcomeOf = (run: RunState): RunOutcome => ({
  runId: run.id,
  status: run.status,
  alarms: run.alarms,
  ...run.summary,
});

function postForm(
  url: string,
  form: URLSearchParams,
  ca?: Buffer,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = form.toString();
    const req = https.request(
      url,
      {
        method: 'POST',
        ...(ca ? { ca } : {}),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface TokenSource {
  token(): Promise<string>;
}

/** Client-credentials token for the product's API, cached until shortly before expiry. */
export function clientCredentials(opts: {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  ca?: Buffer;
  /** The clock the token's lifetime is read on: the emulator's, when a test moves it. */
  now?: () => number;
}): TokenSource {
  const now = opts.now ?? Date.now;
  let cached: { value: string; until: number } | undefined;
  return {
    async token() {
      if (cached && now() < cached.until) return cached.value;
      const url = `${opts.authorityHost.replace(/\/$/, '')}/${opts.tenantId}/oauth2/v2.0/token`;
      const res = await postForm(
        url,
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: opts.clientId,
          client_secret: opts.clientSecret,
          scope: opts.scope,
        }),
        opts.ca,
      );
      const body = res.body as { access_token?: string; expires_in?: number; error_description?: string };
      if (res.status !== 200 || !body.access_token)
        throw new Error(`token request failed: ${body.error_description?.split('\r\n')[0] ?? res.status}`);
      cached = { value: body.access_token, until: now() + ((body.expires_in ?? 3600) - 300) * 1000 };
      return cached.value;
    },
  };
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
  /** The body's exact bytes (downloads). */
  raw: Buffer;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly tokens?: TokenSource,
  ) {}

  /** The response as it arrives, its body unread (downloads to stream). */
  async request(
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const token = opts.token === undefined ? await this.tokens?.token() : opts.token;
    return fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  }

  /**
   * The response as a Node stream, for bodies of hundreds of MiB read slower than they arrive (hashed, written to
   * disk). Node 20's fetch (undici) handles that badly: each read copies the whole of what the socket has buffered
   * (Readable `fromList` under undici's `resume`), so the client's CPU and memory grow with the body and a 386 MiB
   * zip took over ten minutes. node:http reads with the socket's own backpressure.
   */
  async download(method: string, path: string, body?: unknown): Promise<http.IncomingMessage> {
    const token = await this.tokens?.token();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? https : http).request(
        url,
        {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(payload !== undefined
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        resolve,
      );
      req.once('error', reject);
      req.end(payload);
    });
  }

  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const res = await this.request(method, path, body, opts);
    const raw = Buffer.from(await res.arrayBuffer());
    const text = raw.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers, raw };
  }

  /** Runs a job now and waits for its run to end (`onStatus` sees the run at each poll). */
  async runJob(
    accountId: string,
    jobId: string,
    timeoutMs?: number,
    onStatus?: (run: RunState) => void,
  ): Promise<RunOutcome> {
    const started = await this.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs/${jobId}/run`);
    if (started.status !== 202)
      throw new Error(`run request answered ${started.status}: ${JSON.stringify(started.body)}`);
    return outcomeOf(await this.waitForRun<RunState>(started, onStatus, timeoutMs));
  }

  /**
   * Follows an operation the API started (a job's run): polls the route its 202 named in `Location` until its status
   * is no longer `running`, reporting each state read. Takes the 202 itself or the route.
   */
  async waitForRun<T extends { status: string }>(
    started: ApiResponse<unknown> | string,
    onStatus?: (state: T) => void,
    timeoutMs = 30 * 60_000,
  ): Promise<T> {
    const location = typeof started === 'string' ? started : started.headers.get('location');
    if (!location)
      throw new Error(
        `no Location to follow (status ${typeof started === 'string' ? '' : started.status}: ${typeof started === 'string' ? '' : JSON.stringify(started.body)})`,
      );
    const until = Date.now() + timeoutMs;
    // Often at first, since a small run is over in under a second: 50 ms, 25 ms longer each time, every half second
    // from the 19th poll on (about 5 s). Doubling from 20 ms saw a run of 0.7 s ending only at 1.1 s.
    for (let failures = 0, polls = 0; ; await new Promise((r) => setTimeout(r, Math.min(500, 50 + 25 * polls++)))) {
      let state: ApiResponse<T>;
      try {
        state = await this.call<T>('GET', location);
        failures = 0;
      } catch (e) {
        // A GET is safe to repeat: a keep-alive socket the host closed while this process was busy is no reason to
        // give up; a host that stays unreachable is.
        if (++failures > 3) throw e;
        continue;
      }
      if (state.status !== 200)
        throw new Error(`GET ${location} answered ${state.status}: ${JSON.stringify(state.body)}`);
      onStatus?.(state.body);
      if (state.body.status !== 'running') return state.body;
      if (Date.now() > until) throw new Error(`${location} still running after ${timeoutMs} ms`);
    }
  }
}
