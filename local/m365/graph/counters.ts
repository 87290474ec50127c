// Request counters for tests and benchmarks: how many Graph requests, by workload, route template, status and
// mailbox, and how many were throttled or met an injected fault. $batch counts once itself and once per inner request.

export interface Counters {
  requests: number;
  throttled: number;
  faulted: number;
  /** Requests parked by a hold rule. */
  held: number;
  /** Bytes received in PUT bodies at upload session URLs (files and attachments), accepted or not. */
  uploadBytes: number;
  /** Bytes of file content served at download URLs (ranges included), as they were handed to the connection. */
  downloadBytes: number;
  /** Start offsets of ranged downloads by item id, in order: where a resumed download picked up. */
  rangeStarts: Record<string, number[]>;
  /** SharePoint resource units charged (resource-units.ts), whether or not a per-minute limit is set. */
  resourceUnits: number;
  byStatus: Record<string, number>;
  byWorkload: Record<string, number>;
  byRoute: Record<string, number>;
  byMailbox: Record<string, number>;
}

export const emptyCounters = (): Counters => ({
  requests: 0,
  throttled: 0,
  faulted: 0,
  held: 0,
  uploadBytes: 0,
  downloadBytes: 0,
  rangeStarts: {},
  resourceUnits: 0,
  byStatus: {},
  byWorkload: {},
  byRoute: {},
  byMailbox: {},
});

export function resetCounters(c: Counters): void {
  Object.assign(c, emptyCounters());
}

const bump = (m: Record<string, number>, key: string): void => void (m[key] = (m[key] ?? 0) + 1);

export interface CountedRequest {
  status: number;
  workload?: string;
  route?: string;
  mailbox?: string;
  throttled?: boolean;
  faulted?: boolean;
}

export function count(c: Counters, r: CountedRequest): void {
  c.requests++;
  bump(c.byStatus, String(r.status));
  if (r.workload) bump(c.byWorkload, r.workload);
  if (r.route) bump(c.byRoute, r.route);
  if (r.mailbox) bump(c.byMailbox, r.mailbox);
  if (r.throttled) c.throttled++;
  if (r.faulted) c.faulted++;
}
