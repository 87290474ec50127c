// Control API for the directory, as an administrator would change it: users created, renamed, licensed or not,
// soft-deleted (restorable), purged, restored; groups created, changed, deleted; memberships added and removed.
import { z } from 'zod';
import { guidOf } from '../tenant/seeded';
import type { GroupRecord, UserRecord } from './model';
import { mailNickname } from '../tenant/names';
import { ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';

const E5 = 'c7df2760-2c81-4ef7-b578-5b5392b571df';
const USER_PATCH = z
  .object({
    displayName: z.string().optional(),
    givenName: z.string().nullable().optional(),
    surname: z.string().nullable().optional(),
    jobTitle: z.string().nullable().optional(),
    department: z.string().nullable().optional(),
    officeLocation: z.string().nullable().optional(),
    mobilePhone: z.string().nullable().optional(),
    accountEnabled: z.boolean().optional(),
    /** Assigns or removes the licence: a mailbox and a OneDrive come and go with it (mail stays set, as in Exchange). */
    licensed: z.boolean().optional(),
    /** A licensed user's OneDrive not provisioned yet (the user never signed in) or provisioned. */
    oneDriveProvisioned: z.boolean().optional(),
    /** A licence without the Exchange Online plan (false): the user keeps `mail`, Graph finds no mailbox. */
    mailEnabled: z.boolean().optional(),
  })
  .strict();

registerControlRoutes([
  {
    method: 'POST',
    path: '/directory/users',
    async handler(ctx) {
      const b = await input(
        ctx,
        z.object({
          displayName: z.string().min(1),
          userPrincipalName: z.string().optional(),
          licensed: z.boolean().default(true),
        }),
      );
      const t = ctx.tenant;
      const nick = mailNickname(b.displayName);
      const upn = b.userPrincipalName ?? `${nick}@${t.domain}`;
      if (t.user(upn)) throw new ControlError(409, `user '${upn}' exists`);
      const [givenName, ...rest] = b.displayName.split(' ');
      const now = new Date(ctx.emulator.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const u: UserRecord = {
        id: guidOf(t.seed, 'created-user', upn, t.changes.current()),
        displayName: b.displayName,
        givenName: givenName ?? null,
        surname: rest.join(' ') || null,
        userPrincipalName: upn,
        mail: b.licensed ? upn : null,
        mailNickname: nick,
        jobTitle: null,
        department: null,
        officeLocation: null,
        businessPhones: [],
        mobilePhone: null,
        preferredLanguage: 'en-US',
        usageLocation: 'US',
        accountEnabled: true,
        userType: 'Member',
        createdDateTime: now,
        assignedLicenses: b.licensed ? [{ skuId: E5, disabledPlans: [] }] : [],
        kind: b.licensed ? 'member' : 'unlicensed',
        licensed: b.licensed,
        mailEnabled: b.licensed,
        oneDriveProvisioned: b.licensed,
      };
      t.directory.users.create(u);
      return controlJson(201, { id: u.id, userPrincipalName: upn });
    },
  },
  {
    method: 'PATCH',
    path: '/directory/users/{id}',
    async handler(ctx) {
      const u = ctx.tenant.user(ctx.params.id);
      if (!u) throw new ControlError(404, `no user '${ctx.params.id}'`);
      const { licensed, oneDriveProvisioned, mailEnabled, ...props } = await input(ctx, USER_PATCH);
      const licence =
        licensed === undefined
          ? {}
          : {
              licensed,
              mailEnabled: licensed || u.kind === 'shared',
              oneDriveProvisioned: licensed,
              assignedLicenses: licensed ? [{ skuId: E5, disabledPlans: [] }] : [],
              ...(licensed && !u.mail ? { mail: u.userPrincipalName } : {}),
            };
      const changed = [
        ...Object.keys(props),
        ...(licensed === undefined ? [] : ['assignedLicenses', ...(licensed && !u.mail ? ['mail'] : [])]),
      ];
      const services = {
        ...(oneDriveProvisioned === undefined ? {} : { oneDriveProvisioned }),
        ...(mailEnabled === undefined ? {} : { mailEnabled }),
      };
      ctx.tenant.directory.users.update({ ...u, ...props, ...licence, ...services }, changed);
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/directory/users/{id}',
    handler(ctx) {
      const t = ctx.tenant;
      const permanent = ctx.query.get('permanent') === 'true';
      const id = t.user(ctx.params.id)?.id ?? t.directory.users.softDeleted().find((u) => u.id === ctx.params.id)?.id;
      if (!id) throw new ControlError(404, `no user '${ctx.params.id}'`);
      if (t.directory.users.get(id)) t.directory.users.remove(id, 'changed');
      if (permanent) t.directory.users.remove(id, 'deleted');
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/directory/users/{id}/restore',
    handler(ctx) {
      if (!ctx.tenant.directory.users.restore(ctx.params.id))
        throw new ControlError(404, `no soft-deleted user '${ctx.params.id}'`);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/directory/groups',
    async handler(ctx) {
      const b = await input(
        ctx,
        z.object({
          displayName: z.string().min(1),
          unified: z.boolean().default(true),
          team: z.boolean().default(false),
          members: z.array(z.string()).default([]),
        }),
      );
      const t = ctx.tenant;
      const nick = mailNickname(b.displayName);
      const g: GroupRecord = {
        id: guidOf(t.seed, 'created-group', b.displayName, t.changes.current()),
        displayName: b.displayName,
        description: null,
        mail: b.unified ? `${nick}@${t.domain}` : null,
        mailEnabled: b.unified,
        mailNickname: nick,
        securityEnabled: !b.unified,
        groupTypes: b.unified ? ['Unified'] : [],
        visibility: b.unified ? 'Private' : null,
        resourceProvisioningOptions: b.team ? ['Team'] : [],
        createdDateTime: new Date(ctx.emulator.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        members: b.members.map((m) => t.mailboxKey(m)),
      };
      t.directory.groups.create(g);
      return controlJson(201, { id: g.id });
    },
  },
  {
    method: 'PATCH',
    path: '/directory/groups/{id}',
    async handler(ctx) {
      const g = ctx.tenant.directory.group(ctx.params.id);
      if (!g) throw new ControlError(404, `no group '${ctx.params.id}'`);
      const patch = await input(
        ctx,
        z
          .object({
            displayName: z.string().optional(),
            description: z.string().nullable().optional(),
            visibility: z.string().optional(),
          })
          .strict(),
      );
      ctx.tenant.directory.groups.update({ ...g, ...patch }, Object.keys(patch));
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/directory/groups/{id}',
    handler(ctx) {
      // Microsoft 365 groups are soft-deleted (restorable for 30 days), security groups are gone at once.
      const g = ctx.tenant.directory.group(ctx.params.id);
      if (!g) throw new ControlError(404, `no group '${ctx.params.id}'`);
      ctx.tenant.directory.groups.remove(g.id, g.groupTypes.includes('Unified') ? 'changed' : 'deleted');
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    path: '/directory/groups/{id}/members',
    async handler(ctx) {
      const t = ctx.tenant;
      if (!t.directory.group(ctx.params.id)) throw new ControlError(404, `no group '${ctx.params.id}'`);
      const b = await input(
        ctx,
        z.object({ add: z.array(z.string()).default([]), remove: z.array(z.string()).default([]) }),
      );
      const g = t.directory.setMembers(ctx.params.id, {
        added: b.add.map((m) => t.mailboxKey(m)),
        removed: b.remove.map((m) => t.mailboxKey(m)),
      });
      return controlJson(200, { members: g.members });
    },
  },
]);
