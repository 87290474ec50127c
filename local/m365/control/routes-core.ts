// Control API, tenant-wide: tenant and credentials, counters, throttle and fault settings, Exchange application
// access policies, app role grants, delta token expiry, and the emulator clock.
import { createHash, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { resetCounters } from '../graph/counters';
import { faultRuleSchema, faultSettingsSchema, parseThrottle } from '../graph/faults';
import type { Tenant } from '../tenant/tenants';
import { AppRegistration, appRegistration } from '../auth/apps';
import { ControlContext, ControlError, controlJson, registerControlRoutes } from './registry';

export function tenantSummary(t: Tenant): Record<string, unknown> {
  return {
    tenantId: t.id,
    domain: t.domain,
    apps: t.apps.map((a) => ({
      clientId: a.clientId,
      objectId: a.objectId,
      displayName: a.displayName,
      clientSecret: a.secrets[0]?.value,
      graphRoles: [...a.graphRoles],
      apiRoles: Object.fromEntries([...a.apiRoles].map(([k, v]) => [k, [...v]])),
    })),
    users: [...t.directory.users.all()].map((u) => ({
      id: u.id,
      displayName: u.displayName,
      userPrincipalName: u.userPrincipalName,
      mail: u.mail,
      licensed: u.licensed,
      mailEnabled: u.mailEnabled,
      oneDriveProvisioned: u.oneDriveProvisioned,
      kind: u.kind,
    })),
    deletedUsers: t.directory.users
      .softDeleted()
      .map((u) => ({ id: u.id, displayName: u.displayName, userPrincipalName: u.userPrincipalName })),
    groups: [...t.directory.groups.all()].map((g) => ({
      id: g.id,
      displayName: g.displayName,
      mail: g.mail,
      groupTypes: g.groupTypes,
      resourceProvisioningOptions: g.resourceProvisioningOptions,
      members: g.members,
    })),
  };
}

/** Parses a control body with zod; a bad body is a 400 naming the problem. */
export async function input<T>(
  ctx: { json<U>(): Promise<U>; body(): Promise<Buffer> },
  schema: z.ZodType<T>,
): Promise<T> {
  const raw = (await ctx.body()).length
    ? await ctx.json<unknown>().catch(() => {
        throw new ControlError(400, 'body is not JSON');
      })
    : {};
  const r = schema.safeParse(raw);
  if (!r.success)
    throw new ControlError(400, r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

/** The app registration a control route names by its client id. */
function appOf(ctx: ControlContext): AppRegistration {
  const app = ctx.tenant.apps.find((a) => a.clientId === ctx.params.clientId);
  if (!app) throw new ControlError(404, `no app ${ctx.params.clientId}`);
  return app;
}

registerControlRoutes([
  { method: 'GET', path: '/tenant', handler: (ctx) => controlJson(200, tenantSummary(ctx.tenant)) },
  {
    method: 'GET',
    path: '/tenants',
    handler: (ctx) =>
      controlJson(
        200,
        ctx.emulator.tenants.list().map((t) => ({ tenantId: t.id, domain: t.domain })),
      ),
  },
  { method: 'GET', path: '/counters', handler: (ctx) => controlJson(200, ctx.emulator.counters) },
  {
    method: 'DELETE',
    path: '/counters',
    handler(ctx) {
      resetCounters(ctx.emulator.counters);
      return { status: 204 };
    },
  },
  { method: 'GET', path: '/throttle', handler: (ctx) => controlJson(200, ctx.emulator.throttle.settings) },
  {
    method: 'PUT',
    path: '/throttle',
    async handler(ctx) {
      const body = await input(ctx, z.record(z.string(), z.unknown()));
      try {
        ctx.emulator.throttle.settings = parseThrottle(body, ctx.emulator.throttle.settings);
      } catch (e) {
        throw new ControlError(400, (e as Error).message);
      }
      // New limits start from a clean slate: in-flight and past requests of the old settings no longer count.
      ctx.emulator.throttle.reset();
      return controlJson(200, ctx.emulator.throttle.settings);
    },
  },
  { method: 'GET', path: '/faults', handler: (ctx) => controlJson(200, ctx.emulator.faults) },
  {
    method: 'PUT',
    path: '/faults',
    async handler(ctx) {
      const body = await input(ctx, faultSettingsSchema.partial());
      Object.assign(ctx.emulator.faults, body);
      return controlJson(200, ctx.emulator.faults);
    },
  },
  {
    method: 'POST',
    path: '/faults/rules',
    async handler(ctx) {
      ctx.emulator.faults.rules.push(await input(ctx, faultRuleSchema));
      return controlJson(200, ctx.emulator.faults);
    },
  },
  {
    method: 'DELETE',
    path: '/faults',
    handler(ctx) {
      Object.assign(ctx.emulator.faults, { rate503: 0, rate504: 0, rules: [] });
      ctx.emulator.holds.releaseAll();
      return { status: 204 };
    },
  },
  { method: 'GET', path: '/access-policy', handler: (ctx) => controlJson(200, ctx.tenant.accessPolicy.list()) },
  {
    method: 'PUT',
    path: '/access-policy',
    async handler(ctx) {
      const { appId, deniedUsers } = await input(
        ctx,
        z.object({ appId: z.string(), deniedUsers: z.array(z.string()) }),
      );
      ctx.tenant.accessPolicy.set(
        appId,
        deniedUsers.map((u) => ctx.tenant.mailboxKey(u)),
      );
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/apps/{clientId}/roles',
    async handler(ctx) {
      // Like an admin consent change in Entra ID: tokens issued from now on carry the new roles.
      const app = appOf(ctx);
      const { grant, revoke } = await input(
        ctx,
        z.object({ grant: z.array(z.string()).default([]), revoke: z.array(z.string()).default([]) }),
      );
      grant.forEach((r) => app.graphRoles.add(r));
      revoke.forEach((r) => app.graphRoles.delete(r));
      return controlJson(200, { graphRoles: [...app.graphRoles] });
    },
  },
  {
    method: 'PUT',
    path: '/apps/{clientId}/conditional-access',
    async handler(ctx) {
      // A Conditional Access policy for workload identities that blocks (or no longer blocks) the app's sign-in.
      const app = appOf(ctx);
      app.blockedByConditionalAccess = (await input(ctx, z.object({ block: z.boolean() }))).block;
      return { status: 204 };
    },
  },
  {
    method: 'PATCH',
    path: '/apps/{clientId}',
    async handler(ctx) {
      // The enterprise application's "Enabled for users to sign in", and the registration's "Allow public client flows".
      const app = appOf(ctx);
      const { enabled, publicClient } = await input(
        ctx,
        z.object({ enabled: z.boolean().optional(), publicClient: z.boolean().optional() }).strict(),
      );
      if (enabled !== undefined) app.disabled = !enabled;
      if (publicClient !== undefined) app.publicClient = publicClient;
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/apps',
    async handler(ctx) {
      // Registering an application in the tenant (its service principal too), with app roles on the product's API
      // and the security groups its service principal is a member of.
      const { displayName, graphRoles, apiRoles, groups } = await input(
        ctx,
        z.object({
          displayName: z.string().min(1),
          graphRoles: z.array(z.string()).default([]),
          apiRoles: z.array(z.string()).default([]),
          groups: z.array(z.string()).default([]),
        }),
      );
      if (ctx.tenant.apps.some((a) => a.displayName === displayName))
        throw new ControlError(409, `an app named '${displayName}' exists`);
      const app = { ...appRegistration(ctx.tenant.seed, displayName, graphRoles, apiRoles), groups };
      ctx.tenant.apps.push(app);
      return controlJson(201, {
        clientId: app.clientId,
        objectId: app.objectId,
        displayName,
        clientSecret: app.secrets[0].value,
      });
    },
  },
  {
    method: 'POST',
    path: '/apps/{clientId}/secrets',
    async handler(ctx) {
      // Certificates & secrets: add a client secret (rotation) or remove one (revocation).
      const app = appOf(ctx);
      // `expiresAt`: a secret's end date, as chosen when it is created (a past one is an expired secret).
      const { add, remove, expiresAt } = await input(
        ctx,
        z.object({
          add: z.string().min(1).optional(),
          remove: z.string().min(1).optional(),
          expiresAt: z.iso.datetime().optional(),
        }),
      );
      if (add) app.secrets.push({ value: add, expiresAt: new Date(expiresAt ?? '2099-01-01T00:00:00Z') });
      if (remove) app.secrets = app.secrets.filter((s) => s.value !== remove);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/apps/{clientId}/certificates',
    async handler(ctx) {
      // Uploading a certificate's public part to the app registration, as in Certificates & secrets.
      const app = appOf(ctx);
      const { certificatePem } = await input(ctx, z.object({ certificatePem: z.string() }));
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(certificatePem);
      } catch {
        throw new ControlError(400, 'certificatePem: not a PEM certificate');
      }
      const x5t = createHash('sha1').update(cert.raw).digest('base64url');
      const x5tS256 = createHash('sha256').update(cert.raw).digest('base64url');
      app.certificates.push({
        publicKeyPem: cert.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        x5t,
        x5tS256,
      });
      return controlJson(201, { x5t, x5tS256 });
    },
  },
  {
    method: 'POST',
    path: '/expire-tokens',
    async handler(ctx) {
      const { userId } = await input(ctx, z.object({ userId: z.string().optional() }));
      ctx.tenant.expireTokens(userId ? ctx.tenant.mailboxKey(userId) : undefined);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/clock',
    async handler(ctx) {
      const { advanceSeconds } = await input(ctx, z.object({ advanceSeconds: z.number().nonnegative() }));
      ctx.emulator.clock.advance(advanceSeconds * 1000);
      return controlJson(200, { now: new Date(ctx.emulator.clock.now()).toISOString() });
    },
  },
]);
