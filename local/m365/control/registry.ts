// The control API (`/_emulator/...`): JSON, no Graph auth, served on loopback only. Tests and demos use it to change
// a tenant as its users would, inject faults, and read state back. Workload modules add their own mutations here.
import { registerHttpRoutes, HttpContext } from '../http-routes';
import type { GraphResult } from '../graph/router';
import type { Tenant } from '../tenant/tenants';

export interface ControlContext extends HttpContext {
  /** The tenant named by ?tenant= (id or domain), else the first one. */
  tenant: Tenant;
}

export interface ControlRouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path below /_emulator, e.g. '/mail/{user}/messages'. */
  path: string;
  handler(ctx: ControlContext): Promise<GraphResult> | GraphResult;
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const controlJson = (status: number, body: unknown): GraphResult => ({ status, json: body });

export function registerControlRoutes(routes: ControlRouteSpec[]): void {
  registerHttpRoutes(
    routes.map((r) => ({
      method: r.method,
      path: `/_emulator${r.path}`,
      async handler(ctx: HttpContext): Promise<GraphResult> {
        const name = ctx.query.get('tenant');
        const tenant = name ? ctx.emulator.tenants.get(name) : ctx.emulator.tenants.primary;
        if (!tenant) return controlJson(404, { error: `no tenant '${name}'` });
        try {
          return await r.handler({ ...ctx, tenant });
        } catch (e) {
          if (e instanceof ControlError) return controlJson(e.status, { error: e.message });
          throw e;
        }
      },
    })),
  );
}
