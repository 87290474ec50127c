// SharePoint's resource units (graph-semantics.md §2.3), on top of the router's per-site lanes: a Graph call on a
// drive, site or list costs 1 RU (one item, delta with a token, a download redirect), 2 (a collection, delta without
// a token, any write) or 5 (permissions); an app may spend `perMinute` RU per tenant in any sliding minute, else 429 TooManyRequests with
// Retry-After until enough of the minute's cost has left it. From 80 % of the budget on, answers carry the draft IETF
// RateLimit headers as SharePoint sends them (RateLimit-Limit: the minute's budget, RateLimit-Remaining: what is left,
// RateLimit-Reset: seconds until the oldest cost leaves the minute). The counters add up the units charged, limited
// or not (refused requests cost none). The limit is off until set through the control API:
// benchmarks and end-to-end runs measure the product, not the budget (the documented budget for 0–1k licences is
// 1,200 a minute).
import { z } from 'zod';
import { controlJson, registerControlRoutes } from './control/registry';
import { input } from './control/routes-core';
import { throttled } from './graph/faults';
import { option } from './graph/odata';
import type { GraphContext, GraphResult, RouteSpec } from './graph/router';
import type { EmulatorRuntime } from './runtime';

interface State {
  /** null: not limited. */
  perMinute: number | null;
  /** What each app|tenant spent in the last minute, oldest first. */
  spent: Map<string, Array<{ at: number; cost: number }>>;
}

const states = new WeakMap<EmulatorRuntime, State>();

function stateOf(rt: EmulatorRuntime): State {
  let s = states.get(rt);
  if (!s) states.set(rt, (s = { perMinute: null, spent: new Map() }));
  return s;
}

function costOf(ctx: GraphContext, result: GraphResult): number {
  // Permission operations cost 5, `$expand=permissions` included.
  if (/\/permissions(\/|$)/i.test(ctx.path) || /permissions/i.test(option(ctx.query, '$expand') ?? '')) return 5;
  if (ctx.method !== 'GET') return 2;
  if (/\/delta$/i.test(ctx.path)) return option(ctx.query, 'token') ? 1 : 2;
  return Array.isArray((result.json as { value?: unknown } | undefined)?.value) ? 2 : 1;
}

function rateLimitHeaders(limit: number, remaining: number, oldest: number, now: number): Record<string, string> {
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, remaining)),
    'RateLimit-Reset': String(Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000))),
  };
}

/** The routes, charging their resource units; a request is refused while its app's minute is spent. */
export function chargingResourceUnits(routes: RouteSpec[]): RouteSpec[] {
  return routes.map((route) => ({
    ...route,
    async handler(ctx: GraphContext): Promise<GraphResult> {
      const s = stateOf(ctx.emulator);
      if (s.perMinute === null) {
        const result = await route.handler(ctx);
        ctx.emulator.counters.resourceUnits += costOf(ctx, result);
        return result;
      }
      const key = `${ctx.caller.appId}|${ctx.tenant.id}`;
      const now = ctx.emulator.clock.now();
      const spent = (s.spent.get(key) ?? []).filter((x) => x.at > now - 60_000);
      s.spent.set(key, spent);
      let total = spent.reduce((sum, x) => sum + x.cost, 0);
      if (total >= s.perMinute) {
        // The request whose leaving the window brings the total under the budget decides the wait.
        let i = 0;
        while (total >= s.perMinute) total -= spent[i++].cost;
        const refused = throttled(Math.max(1, Math.ceil((spent[i - 1].at + 60_000 - now) / 1000)));
        Object.assign(refused.options.headers!, rateLimitHeaders(s.perMinute, 0, spent[0].at, now));
        throw refused;
      }
      const result = await route.handler(ctx);
      const cost = costOf(ctx, result);
      ctx.emulator.counters.resourceUnits += cost;
      spent.push({ at: now, cost });
      total += cost;
      if (total < 0.8 * s.perMinute) return result;
      return {
        ...result,
        headers: { ...result.headers, ...rateLimitHeaders(s.perMinute, s.perMinute - total, spent[0].at, now) },
      };
    },
  }));
}

registerControlRoutes([
  {
    method: 'GET',
    path: '/resource-units',
    handler: (ctx) => controlJson(200, { perMinute: stateOf(ctx.emulator).perMinute }),
  },
  {
    method: 'PUT',
    path: '/resource-units',
    async handler(ctx) {
      const s = stateOf(ctx.emulator);
      ({ perMinute: s.perMinute } = await input(ctx, z.object({ perMinute: z.number().int().min(1).nullable() })));
      s.spent.clear();
      return controlJson(200, { perMinute: s.perMinute });
    },
  },
]);
