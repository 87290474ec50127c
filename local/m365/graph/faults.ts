// Faults a backup meets in Graph, applied by the router per request:
// - Exchange's limits per app + mailbox: at most `mailboxConcurrency` requests in flight and
//   `mailboxRequestsPerWindow` requests in any sliding `windowSeconds` window; over either → 429 TooManyRequests with
//   Retry-After in seconds (for the budget: exactly when the oldest counted request leaves the window);
// - random 503/504 at configured rates (seeded PRNG, so reproducible);
// - scripted faults: "the next N requests matching (method, route, mailbox) answer status X", or lose the
//   connection: before the request is handled (drop), after it was handled (lose: the client never hears of it), or
//   once the client is gone (hold: parked until the client disconnects, e.g. a killed host, and then never handled).
import { z } from 'zod';
import type { Clock } from '../runtime';
import { GraphError } from './errors';

export const throttleSettingsSchema = z.object({
  mailboxConcurrency: z.number().int().min(1).default(4),
  mailboxRequestsPerWindow: z.number().int().min(1).default(10_000),
  windowSeconds: z.number().positive().default(600),
  /** Optional: concurrent requests per app across all mailboxes (the current docs count the 4 per app); null: off. */
  appConcurrency: z.number().int().min(1).nullable().optional(),
});
export type ThrottleSettings = z.infer<typeof throttleSettingsSchema>;

/** Also accepts the first cut's names (concurrency, budget), which existing tests use. */
export function parseThrottle(input: unknown, current?: ThrottleSettings): ThrottleSettings {
  const raw = z
    .object({ concurrency: z.number().optional(), budget: z.number().optional() })
    .passthrough()
    .parse(input ?? {});
  const { concurrency, budget, ...rest } = raw;
  return throttleSettingsSchema.parse({
    ...current,
    ...rest,
    ...(concurrency !== undefined ? { mailboxConcurrency: concurrency } : {}),
    ...(budget !== undefined ? { mailboxRequestsPerWindow: budget } : {}),
  });
}

interface Lane {
  inFlight: number;
  /** Times of admitted requests still inside the window, oldest first. */
  times: number[];
}

export type Admission =
  | { admitted: true; release(): void }
  | { admitted: false; retryAfterSeconds: number; reason: 'concurrency' | 'budget' };

export class Throttle {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    public settings: ThrottleSettings,
    private readonly clock: Clock,
  ) {}

  private readonly apps = new Map<string, number>();

  /** Admits a request of `app` to `mailbox`, or says how long to wait; admitted requests must call `release`. */
  admit(app: string, mailbox: string): Admission {
    const key = `${app}|${mailbox}`;
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { inFlight: 0, times: [] }));
    const now = this.clock.now();
    const windowMs = this.settings.windowSeconds * 1000;
    let drop = 0;
    while (drop < lane.times.length && lane.times[drop] <= now - windowMs) drop++;
    if (drop) lane.times.splice(0, drop);
    const over = lane.times.length - this.settings.mailboxRequestsPerWindow;
    if (over >= 0) {
      // The request that must leave the window before one more fits.
      const freeAt = lane.times[over] + windowMs;
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)), reason: 'budget' };
    }
    const appInFlight = this.apps.get(app) ?? 0;
    if (
      lane.inFlight >= this.settings.mailboxConcurrency ||
      appInFlight >= (this.settings.appConcurrency ?? Infinity)
    ) {
      return { admitted: false, retryAfterSeconds: 1, reason: 'concurrency' };
    }
    lane.times.push(now);
    lane.inFlight++;
    this.apps.set(app, appInFlight + 1);
    const held = lane;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        held.inFlight--;
        this.apps.set(app, (this.apps.get(app) ?? 1) - 1);
      },
    };
  }

  reset(): void {
    this.lanes.clear();
    this.apps.clear();
  }
}

export const faultRuleSchema = z
  .object({
    /** fail (default): answer `status`; drop, lose, hold: connection faults (see above). */
    action: z.enum(['fail', 'drop', 'lose', 'hold']).default('fail'),
    status: z.number().int().min(400).max(599).optional(),
    code: z.string().optional(),
    message: z.string().optional(),
    innerCode: z.string().optional(),
    /** Route template (e.g. '/users/{userId}/messages/{messageId}/$value') or a substring of the request path. */
    path: z.string().optional(),
    method: z.string().optional(),
    /** Canonical mailbox key (user id, drive id). */
    mailbox: z.string().optional(),
    retryAfterSeconds: z.number().nonnegative().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** How many matching requests fail; omitted: all of them until the rule is cleared. */
    times: z.number().int().min(1).optional(),
    /** How many matching requests pass unharmed before the rule applies (the n+1-th upload range, the second PATCH). */
    skip: z.number().int().min(1).optional(),
  })
  .refine((r) => r.action !== 'fail' || r.status !== undefined, {
    message: 'a fail rule needs a status',
    path: ['status'],
  });
export type FaultRule = z.infer<typeof faultRuleSchema>;

export const faultSettingsSchema = z.object({
  rate503: z.number().min(0).max(1).default(0),
  rate504: z.number().min(0).max(1).default(0),
  rules: z.array(faultRuleSchema).default([]),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

const DEFAULT_MESSAGES: Record<number, { code: string; message: string }> = {
  429: { code: 'TooManyRequests', message: 'Please retry again later.' },
  500: { code: 'generalException', message: 'General exception while processing.' },
  503: { code: 'serviceNotAvailable', message: 'The service is temporarily unavailable. Please retry later.' },
  504: { code: 'GatewayTimeout', message: 'The gateway did not receive a timely response from the upstream service.' },
};

export interface FaultTarget {
  method: string;
  path: string;
  template: string;
  mailbox?: string;
}

/** A connection fault: the server closes the connection instead of answering (see the rule actions above). */
export class ConnectionFault extends Error {
  constructor(readonly action: 'drop' | 'lose' | 'hold') {
    super(`injected connection fault: ${action}`);
  }
}

export type Fault = GraphError | ConnectionFault;

/**
 * The scripted rule this request meets, if any (consuming one of its `times` or `skip`). Connection faults only
 * apply to requests with a connection of their own (not the inner requests of a $batch).
 */
export function scriptedFault(
  settings: FaultSettings,
  req: FaultTarget & { connection: boolean; pathRequired?: boolean },
): Fault | undefined {
  const i = settings.rules.findIndex(
    (r) =>
      (!req.pathRequired || r.path) &&
      (!r.method || r.method.toUpperCase() === req.method) &&
      (!r.mailbox || r.mailbox === req.mailbox) &&
      (r.action === 'fail' || req.connection) &&
      (!r.path || r.path === req.template || req.path.includes(r.path)),
  );
  if (i < 0) return undefined;
  const rule = settings.rules[i];
  if (rule.skip !== undefined) {
    if (rule.skip <= 1) delete rule.skip;
    else rule.skip--;
    return undefined;
  }
  if (rule.times !== undefined) {
    if (rule.times <= 1) settings.rules.splice(i, 1);
    else rule.times--;
  }
  if (rule.action !== 'fail') return new ConnectionFault(rule.action);
  const status = rule.status!;
  const d = DEFAULT_MESSAGES[status] ?? { code: 'generalException', message: 'Injected fault.' };
  const headers = {
    ...(rule.retryAfterSeconds !== undefined ? { 'Retry-After': String(rule.retryAfterSeconds) } : {}),
    ...rule.headers,
  };
  return new GraphError(status, rule.code ?? d.code, rule.message ?? d.message, {
    headers,
    ...(rule.innerCode ? { innerCode: rule.innerCode } : {}),
  });
}

/** The fault this request meets, if any: scripted rules first, then the rates. */
export function injectedFault(
  settings: FaultSettings,
  random: () => number,
  req: FaultTarget & { connection: boolean },
): Fault | undefined {
  const scripted = scriptedFault(settings, req);
  if (scripted) return scripted;
  const roll = random();
  if (roll < settings.rate503)
    return new GraphError(503, DEFAULT_MESSAGES[503].code, DEFAULT_MESSAGES[503].message, {
      headers: { 'Retry-After': '1' },
    });
  if (roll < settings.rate503 + settings.rate504)
    return new GraphError(504, DEFAULT_MESSAGES[504].code, DEFAULT_MESSAGES[504].message);
  return undefined;
}

/**
 * Graph's 429. Over Exchange's concurrency limit Outlook answers with its own code and names the limit
 * ({"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxConcurrency limit."}}, observed
 * in alcionai/corso#3695 and magodo/terraform-provider-outlook#21); other limits answer Graph's TooManyRequests.
 */
export function throttled(retryAfterSeconds: number, reason?: 'concurrency' | 'budget'): GraphError {
  const headers = { 'Retry-After': String(retryAfterSeconds) };
  if (reason === 'concurrency')
    return new GraphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', {
      headers,
    });
  return new GraphError(429, 'TooManyRequests', 'Please retry again later.', {
    innerCode: 'ApplicationThrottled',
    headers,
  });
}

/** Requests parked by a hold rule: each waits until its client goes away (not handled) or the holds are released. */
export class Holds {
  private readonly waiters = new Set<() => void>();

  /** True when released (handle the request), false when the client disconnected first. */
  wait(closed: Promise<void>): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const release = (): void => resolve(true);
      this.waiters.add(release);
      void closed.then(() => {
        this.waiters.delete(release);
        resolve(false);
      });
    });
  }

  releaseAll(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}
