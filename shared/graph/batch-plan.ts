// JSON batching, the pure part: split requests into batches of at most 20 (keeping requests linked by dependsOn
// together), encode them, correlate responses by id (Graph answers in any order), and pick what to resend after
// per-item throttling: the items that got 429/503/504 plus those that failed only because one of them did (424).
import { RETRIABLE_STATUSES, parseRetryAfter } from './retry-policy';

export const MAX_BATCH = 20;

export interface BatchRequest {
  id: string;
  method: string;
  /** Relative to the API version root, e.g. /users/{id}/messages/{id}/$value. */
  url: string;
  headers?: Record<string, string>;
  /** A JSON value, or bytes (sent base64-encoded, as Graph expects for binary bodies). */
  body?: unknown;
  dependsOn?: string[];
}

export interface BatchResult {
  id: string;
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** Parsed JSON, or bytes when the item's content is not JSON (Graph sends those base64-encoded). */
  body?: unknown;
}

const key = (id: string): string => id.toLowerCase();

/** Groups requests into batches of at most `max`; dependsOn-linked requests always share a batch. */
export function splitIntoBatches(requests: readonly BatchRequest[], max = MAX_BATCH): BatchRequest[][] {
  const byId = new Map<string, BatchRequest>();
  for (const r of requests) {
    if (!r.id) throw new Error('every batch request needs an id');
    if (byId.has(key(r.id))) throw new Error(`duplicate batch request id '${r.id}' (ids are case-insensitive)`);
    byId.set(key(r.id), r);
  }
  // Union-find over dependsOn edges: each component must travel in one batch.
  const parent = new Map<string, string>([...byId.keys()].map((k) => [k, k]));
  const root = (k: string): string => {
    while (parent.get(k) !== k) k = parent.get(k)!;
    return k;
  };
  for (const r of requests) {
    for (const d of r.dependsOn ?? []) {
      if (!byId.has(key(d))) throw new Error(`batch request '${r.id}' depends on unknown request '${d}'`);
      parent.set(root(key(r.id)), root(key(d)));
    }
  }
  const components = new Map<string, BatchRequest[]>();
  for (const r of requests) {
    const c = root(key(r.id));
    components.set(c, [...(components.get(c) ?? []), r]);
  }
  const batches: BatchRequest[][] = [];
  let current: BatchRequest[] = [];
  for (const group of components.values()) {
    if (group.length > max)
      throw new Error(`${group.length} batch requests are linked by dependsOn; at most ${max} fit in one batch`);
    if (current.length + group.length > max) {
      batches.push(current);
      current = [];
    }
    current.push(...group);
  }
  if (current.length) batches.push(current);
  return batches;
}

const hasHeader = (h: Record<string, string> | undefined, name: string): boolean =>
  Object.keys(h ?? {}).some((k) => k.toLowerCase() === name);

/** The $batch request body; a body needs a Content-Type, and bytes travel base64-encoded. */
export function encodeBatch(requests: readonly BatchRequest[]): string {
  return JSON.stringify({
    requests: requests.map((r) => {
      const bytes = Buffer.isBuffer(r.body) || r.body instanceof Uint8Array;
      const headers =
        r.body === undefined || hasHeader(r.headers, 'content-type')
          ? r.headers
          : { ...r.headers, 'Content-Type': bytes ? 'application/octet-stream' : 'application/json' };
      return {
        id: r.id,
        method: r.method,
        url: r.url,
        ...(headers ? { headers } : {}),
        ...(r.body !== undefined
          ? { body: bytes ? Buffer.from(r.body as Uint8Array).toString('base64') : r.body }
          : {}),
        ...(r.dependsOn?.length ? { dependsOn: r.dependsOn } : {}),
      };
    }),
  });
}

interface RawItem {
  id?: unknown;
  status?: unknown;
  headers?: unknown;
  body?: unknown;
}

function decodeItem(raw: RawItem): BatchResult {
  const headers = Object.fromEntries(
    Object.entries((raw.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const type = headers['content-type'] ?? '';
  const body = typeof raw.body === 'string' && !/json/i.test(type) ? Buffer.from(raw.body, 'base64') : raw.body;
  return { id: String(raw.id), status: Number(raw.status), headers, ...(body !== undefined ? { body } : {}) };
}

/** The responses of one batch, in the order of its requests. */
export function correlate(sent: readonly BatchRequest[], responseBody: unknown): BatchResult[] {
  const items = (responseBody as { responses?: RawItem[] } | null)?.responses;
  if (!Array.isArray(items)) throw new Error('the $batch response has no responses array');
  const byId = new Map(items.map((i) => [key(String(i.id)), i]));
  return sent.map((r) => {
    const raw = byId.get(key(r.id));
    if (!raw) throw new Error(`the $batch response has no response for request '${r.id}'`);
    return decodeItem(raw);
  });
}

/**
 * The requests to send again: those answered 429/503/504, and those answered 424 because something they depend on
 * is being resent. Their dependsOn keeps only ids that are resent too (the others already succeeded).
 */
export function requestsToRetry(sent: readonly BatchRequest[], results: readonly BatchResult[]): BatchRequest[] {
  const status = new Map(results.map((r) => [key(r.id), r.status]));
  const retry = new Set(sent.filter((r) => RETRIABLE_STATUSES.has(status.get(key(r.id)) ?? 0)).map((r) => key(r.id)));
  for (let grew = true; grew;) {
    grew = false;
    for (const r of sent) {
      if (retry.has(key(r.id)) || status.get(key(r.id)) !== 424) continue;
      if ((r.dependsOn ?? []).some((d) => retry.has(key(d)))) {
        retry.add(key(r.id));
        grew = true;
      }
    }
  }
  return sent
    .filter((r) => retry.has(key(r.id)))
    .map((r) => {
      const deps = (r.dependsOn ?? []).filter((d) => retry.has(key(d)));
      const { dependsOn: _dropped, ...rest } = r;
      return deps.length ? { ...rest, dependsOn: deps } : rest;
    });
}

/** The longest Retry-After among retriable items (Graph puts it in each item's headers); undefined if none has one. */
export function longestRetryAfter(results: readonly BatchResult[], nowMs: number): number | undefined {
  const waits = results
    .filter((r) => RETRIABLE_STATUSES.has(r.status))
    .map((r) => parseRetryAfter(r.headers['retry-after'], nowMs))
    .filter((w): w is number => w !== undefined);
  return waits.length ? Math.max(...waits) : undefined;
}
