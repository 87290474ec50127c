// A stand-in for the customer's webhook receiver (pre/post-run hooks): HTTPS on the emulator's origin, so the
// product's deliveries cross TLS as they would in Azure. Tests read deliveries back and choose the answer status.
import type { GraphResult } from './graph/router';
import { controlJson, registerControlRoutes } from './control/registry';
import { HttpContext, registerHttpRoutes } from './http-routes';

interface Receiver {
  status: number;
  deliveries: Array<{ receivedAt: string; headers: Record<string, string>; body: string }>;
}

const receivers = new WeakMap<object, Map<string, Receiver>>();

function receiver(ctx: HttpContext, name: string): Receiver {
  let byName = receivers.get(ctx.emulator);
  if (!byName) receivers.set(ctx.emulator, (byName = new Map<string, Receiver>()));
  let r = byName.get(name);
  if (!r) byName.set(name, (r = { status: 200, deliveries: [] }));
  return r;
}

registerHttpRoutes([
  {
    method: 'POST',
    path: '/_webhooks/{name}',
    async handler(ctx): Promise<GraphResult> {
      const r = receiver(ctx, ctx.params.name);
      const headers = Object.fromEntries(Object.entries(ctx.headers).map(([k, v]) => [k, String(v)]));
      r.deliveries.push({
        receivedAt: new Date(ctx.emulator.clock.now()).toISOString(),
        headers,
        body: (await ctx.body()).toString('utf8'),
      });
      return { status: r.status };
    },
  },
]);

registerControlRoutes([
  {
    method: 'GET',
    path: '/webhooks/{name}',
    handler: (ctx) =>
      controlJson(200, {
        status: receiver(ctx, ctx.params.name).status,
        deliveries: receiver(ctx, ctx.params.name).deliveries,
      }),
  },
  {
    method: 'PUT',
    path: '/webhooks/{name}',
    async handler(ctx) {
      const { status } = await ctx.json<{ status?: number }>();
      if (!Number.isInteger(status) || status! < 200 || status! > 599)
        return controlJson(400, { error: 'status must be an HTTP status code' });
      receiver(ctx, ctx.params.name).status = status!;
      return controlJson(200, { status });
    },
  },
]);
