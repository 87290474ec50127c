// Application Insights ingestion, for the local stack: the endpoint the Azure Monitor exporter sends to (the
// connection string's IngestionEndpoint, `POST /v2.1/track`), keeping what arrives so tests and `npm start` can
// read the records the portal would show. As the service does, it takes gzip or plain bodies holding a JSON array
// or newline-delimited envelopes, refuses a body over 64 MB (413) and answers per item: an envelope without a
// name, time, instrumentation key or data is refused in `errors` with its index, the rest are kept (206).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export interface Envelope {
  name: string;
  time: string;
  iKey: string;
  tags?: Record<string, string>;
  data: { baseType: string; baseData: Record<string, unknown> & { properties?: Record<string, string> } };
}

export interface AppInsightsIngest {
  /** The connection string an app sends with (its key is fake: local auth, as only the stand-in accepts). */
  connectionString: string;
  /** Every envelope kept so far, in arrival order. */
  envelopes(): readonly Envelope[];
  /** Custom events by name, as `customEvents` would show them. */
  events(
    name?: string,
  ): Array<{ name: string; dimensions: Record<string, string>; measurements: Record<string, number> }>;
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024 * 1024;

const valid = (e: Partial<Envelope>): e is Envelope =>
  typeof e.name === 'string' && typeof e.time === 'string' && typeof e.iKey === 'string' && !!e.data?.baseType;

/** Over HTTPS with the stack's loopback certificate: the exporter refuses plain HTTP, as it should. */
export async function startAppInsightsIngest(tls: { certFile: string; keyFile: string }): Promise<AppInsightsIngest> {
  const kept: Envelope[] = [];
  const iKey = randomUUID();
  const server = https.createServer(
    { cert: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) },
    (req, res) => {
      const answer = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || !/^\/v2(\.1)?\/track\/?$/.test(req.url ?? ''))
        return answer(404, { error: 'not found' });
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      req.on('end', () => {
        if (size > MAX_BODY) return answer(413, { error: 'payload too large' });
        let text: string;
        try {
          const raw = Buffer.concat(chunks);
          text = (req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw).toString('utf8');
        } catch {
          return answer(400, { error: 'body is not gzip' });
        }
        let items: Array<Partial<Envelope>>;
        try {
          const trimmed = text.trim();
          items = trimmed.startsWith('[')
            ? (JSON.parse(trimmed) as Array<Partial<Envelope>>)
            : trimmed.split('\n').map((l) => JSON.parse(l) as Partial<Envelope>);
        } catch {
          return answer(400, {
            itemsReceived: 0,
            itemsAccepted: 0,
            errors: [{ index: 0, statusCode: 400, message: 'invalid JSON' }],
          });
        }
        const errors: Array<{ index: number; statusCode: number; message: string }> = [];
        items.forEach((e, index) => {
          if (valid(e)) kept.push(e);
          else errors.push({ index, statusCode: 400, message: 'Field name, time, iKey or data is missing' });
        });
        answer(errors.length ? 206 : 200, {
          itemsReceived: items.length,
          itemsAccepted: items.length - errors.length,
          appId: null,
          errors,
        });
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    connectionString: `InstrumentationKey=${iKey};IngestionEndpoint=${url};LiveEndpoint=${url}`,
    envelopes: () => kept,
    events: (name) =>
      kept
        .filter((e) => e.data.baseType === 'EventData' && (name === undefined || e.data.baseData.name === name))
        .map((e) => ({
          name: String(e.data.baseData.name),
          dimensions: e.data.baseData.properties ?? {},
          measurements: (e.data.baseData.measurements as Record<string, number> | undefined) ?? {},
        })),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
