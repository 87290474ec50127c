// One Graph session per Microsoft 365 account: token from msal, keep-alive HTTPS, at most 4 requests in flight per
// mailbox, Retry-After honoured on 429/503/504 with jittered backoff when absent, and a deadline: a wait longer than
// the calling activity may take is handed back (WaitRequired) so the orchestrator sleeps on a durable timer instead.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { GraphOperation } from '../domain/graph-permissions';
import { DeltaPage, ResyncRequired, WaitRequired } from '../backup/ports';
import type { GraphSession } from '../runtime/services';
import { GraphRequestError, parseEnvelope, retryAfterOf } from './errors';
import { KeyedSemaphore } from './keyed-semaphore';
import type { TokenProvider } from './token-provider';

export interface SessionOptions {
  baseUrl: string;
  tokens: TokenProvider;
  agent: https.Agent;
  perMailbox?: number;
  maxAttempts?: number;
  log?: (line: string) => void;
  userAgent?: string;
}

interface RequestOptions {
  mailbox: string;
  operation: GraphOperation;
  deadline: number;
  headers?: Record<string, string>;
}

const RETRIABLE = new Set([429, 503, 504]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Exponential backoff with full jitter, for throttling responses that carry no Retry-After. */
export const backoffSeconds = (attempt: number): number => Math.min(60, 2 ** attempt) * (0.5 + Math.random() / 2);

export class GraphHttpSession implements GraphSession {
  private readonly semaphore: KeyedSemaphore;
  /** When Graph throttles a mailbox, every request to it waits out the Retry-After, not only the one that got it. */
  private readonly pausedUntil = new Map<string, number>();

  private requests = 0;
  private throttled = 0;

  constructor(private readonly opts: SessionOptions) {
    this.semaphore = new KeyedSemaphore(opts.perMailbox ?? 4);
  }

  stats(): { requests: number; throttled: number } {
    return { requests: this.requests, throttled: this.throttled };
  }

  grantedRoles(): Promise<string[]> {
    return this.opts.tokens.roles();
  }

  private url(pathOrUrl: string): string {
    return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${this.opts.baseUrl.replace(/\/$/, '')}${pathOrUrl}`;
  }

  private send(url: string, headers: Record<string, string>): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = https.get(url, { agent: this.opts.agent, headers }, resolve);
      req.on('error', reject);
    });
  }

  /** GET with the throttling discipline; resolves the response for the caller to read or stream. */
  private async request(pathOrUrl: string, o: RequestOptions): Promise<IncomingMessage> {
    const url = this.url(pathOrUrl);
    const maxAttempts = this.opts.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      const release = await this.semaphore.acquire(o.mailbox);
      const pause = (this.pausedUntil.get(o.mailbox) ?? 0) - Date.now();
      if (pause > 0) {
        if (Date.now() + pause > o.deadline) {
          release();
          throw new WaitRequired(Math.ceil(pause / 1000));
        }
        await sleep(pause);
      }
      let res: IncomingMessage;
      const clientRequestId = randomUUID();
      try {
        const token = await this.opts.tokens.token();
        this.requests++;
        res = await this.send(url, {
          authorization: `Bearer ${token}`, 'client-request-id': clientRequestId, 'user-agent': this.opts.userAgent ?? 'ISV|m365-vault|m365-vault/0.1', ...o.headers,
        });
      } catch (e) {
        release();
        if (attempt >= maxAttempts) throw e;
        await sleep(backoffSeconds(attempt) * 1000);
        continue;
      }
      if (res.statusCode && res.statusCode < 400) {
        res.once('close', release);
        res.once('end', release);
        return res;
      }
      const body = await readText(res);
      release();
      const requestId = header(res, 'request-id');
      const status = res.statusCode ?? 0;
      if (status === 410) throw new ResyncRequired(header(res, 'location'));
      if (!RETRIABLE.has(status)) throw parseEnvelope(status, body, requestId);
      this.throttled += status === 429 ? 1 : 0;
      const wait = retryAfterOf(res.headers['retry-after']) ?? backoffSeconds(attempt);
      if (status === 429) this.pausedUntil.set(o.mailbox, Math.max(this.pausedUntil.get(o.mailbox) ?? 0, Date.now() + wait * 1000));
      this.opts.log?.(`[graph] ${status} for ${o.operation} on ${o.mailbox} (request-id ${requestId}); retry in ${wait.toFixed(1)} s`);
      if (Date.now() + wait * 1000 > o.deadline) throw new WaitRequired(Math.ceil(wait));
      if (attempt >= maxAttempts) throw parseEnvelope(status, body, requestId, wait);
      await sleep(wait * 1000);
    }
  }

  async get<T>(path: string, o: RequestOptions): Promise<T> {
    return JSON.parse(await readText(await this.request(path, o))) as T;
  }

  async page(url: string, o: RequestOptions): Promise<DeltaPage> {
    const body = await this.get<{ value?: DeltaPage['value']; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }>(url, { ...o, headers: { prefer: 'odata.maxpagesize=100', ...o.headers } });
    return { value: body.value ?? [], ...(body['@odata.nextLink'] ? { nextLink: body['@odata.nextLink'] } : {}), ...(body['@odata.deltaLink'] ? { deltaLink: body['@odata.deltaLink'] } : {}) };
  }

  async all<T>(path: string, o: RequestOptions): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = path;
    while (next) {
      const body: { value: T[]; '@odata.nextLink'?: string } = await this.get(next, o);
      out.push(...body.value);
      next = body['@odata.nextLink'];
    }
    return out;
  }

  /** Streams a body; a 302 to a pre-authenticated download URL is followed without the Authorization header. */
  async stream(url: string, o: RequestOptions): Promise<Readable> {
    const res = await this.request(url, o);
    if (res.statusCode === 302 || res.statusCode === 301) {
      const location = header(res, 'location');
      res.resume();
      if (!location) throw new GraphRequestError(res.statusCode, 'redirectWithoutLocation', 'Graph redirected without a Location.', header(res, 'request-id'));
      const download = await new Promise<IncomingMessage>((resolve, reject) => https.get(location, { agent: this.opts.agent }, resolve).on('error', reject));
      if ((download.statusCode ?? 0) >= 400) throw parseEnvelope(download.statusCode ?? 0, await readText(download), header(download, 'request-id'));
      return download;
    }
    return res;
  }
}

const header = (res: IncomingMessage, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
