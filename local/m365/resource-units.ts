// SharePoint's resource units (graph-semantics.md §2.3), on top of the router's per-site lanes: a Graph call on a
// drive, site or list costs 1 RU (one item, delta with a token, a download redirect) or 2 (a collection, delta without
// a token, any write); an app may spend `perMinute` RU per tenant in any sliding minute, else 429 TooManyRequests with
// Retry-After until enough of the minute's cost has left it. Off until set through the control API: benchmarks and
// end-to-end runs measure the product, not the budget (the documented budget for 0–1k licences is 1,200 a minute).
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
  if (ctx.method !== 'GET') return 2;
  if (/\/delta$/i.test(ctx.path)) return option(ctx.query, 'token') ? 1 : 2;
  return Array.isArray((result.json as { value?: unknown } | undefined)?.value) ? 2 : 1;
}

/** The routes, charging their resource units; a request is refused while its app's minute is spent. */
export function chargingResourceUnits(routes: RouteSpec[]): RouteSpec[] {
  return routes.map((route) => ({
    ...route,
    async handler(ctx: GraphContext): Promise<GraphResult> {
      const s = stateOf(ctx.emulator);
      if (s.perMinute === null) return route.handler(ctx);
      const key = `${ctx.caller.appId}|${ctx.tenant.id}`;
      const now = ctx.emulator.clock.now();
      const spent = (s.spent.get(key) ?? []).filter((x) => x.at > now - 60_000);
      s.spent.set(key, spent);
      let total = spent.reduce((sum, x) => sum + x.cost, 0);
      if (total >= s.perMinute) {
        // The request whose leaving the window brings the total under the budget decides the wait.
        let i = 0;
        while (total >= s.perMinute) total -= spent[i++].cost;
        throw throttled(Math.max(1, Math.ceil((spent[i - 1].at + 60_000 - now) / 1000)));
      }
      const result = await route.handler(ctx);
      spent.push({ at: now, cost: costOf(ctx, result) });
      return result;
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
