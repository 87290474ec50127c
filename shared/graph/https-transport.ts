// One HTTPS request over a shared keep-alive agent, answering with the streaming response. Node's own fetch cannot
// be given a CA at run time, and the Microsoft 365 emulator presents a self-signed certificate: it is trusted
// through the configured CA file on this agent only, never process-wide. Redirects are not followed here.
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export type Transport = (req: HttpRequest) => Promise<IncomingMessage>;

/** Keep-alive sockets, reused across requests and invocations; `caFile` adds a trusted CA (local emulator only). */
export function createAgent(caFile?: string): https.Agent {
  return new https.Agent({ keepAlive: true, maxSockets: 256, ...(caFile ? { ca: fs.readFileSync(caFile) } : {}) });
}

/** `idleTimeoutMs`: a socket silent that long (no headers, no body bytes) fails the request. */
export function httpsTransport(agent: https.Agent, idleTimeoutMs = 120_000): Transport {
  return (r) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const body = r.body === undefined ? undefined : Buffer.from(r.body);
      const req = https.request(
        r.url,
        {
          method: r.method,
          agent,
          headers: { ...r.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        },
        resolve,
      );
      req.setTimeout(idleTimeoutMs, () =>
        req.destroy(Object.assign(new Error(`no response within ${idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(body);
    });
}

/** Reads a (small) response body: error envelopes, JSON pages. Content is streamed, never read with this. */
export async function readBody(res: Readable, limitBytes = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > limitBytes) {
      res.destroy();
      throw new Error(`response body larger than ${limitBytes} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export const headerOf = (res: IncomingMessage, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
