// Directory routes: /users, /users/{id}, /users/delta, /groups, /groups/{id}, /groups/{id}/members, /groups/delta
// (members@delta), /directory/deletedItems — with Graph's default property sets, $select, $filter, paging,
// $deltaToken=latest, Prefer: return=minimal and 410 + Location for expired tokens.
import type { ChangeLog, DeltaChange, DeltaOptions } from '../tenant/change-log';
import type { GroupRecord, MembershipChange, UserRecord } from './model';
import { deltaResponse, removedEntry } from '../graph/delta';
import { GraphError } from '../graph/errors';
import { applySelect, filterOf, listPage, preferences } from '../graph/odata';
import { SelectableType, selectFor } from '../graph/schema';
import { GraphContext, GraphResult, ok, registerRoutes } from '../graph/router';

const READ_USERS = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const READ_GROUPS = [
  'GroupMember.Read.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

/** The properties Graph returns for a user without $select. */
const USER_DEFAULT: Array<keyof UserRecord> = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const USER_PROPS = [
  ...USER_DEFAULT,
  'mailNickname',
  'department',
  'usageLocation',
  'accountEnabled',
  'userType',
  'createdDateTime',
  'assignedLicenses',
] as const;
const GROUP_PROPS = [
  'id',
  'createdDateTime',
  'description',
  'displayName',
  'groupTypes',
  'mail',
  'mailEnabled',
  'mailNickname',
  'resourceProvisioningOptions',
  'securityEnabled',
  'visibility',
] as const;

const notFound = (id: string): GraphError =>
  new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

export function userJson(u: UserRecord, select?: readonly string[]): Record<string, unknown> {
  const props: readonly string[] = select ?? USER_DEFAULT;
  const all = Object.fromEntries(USER_PROPS.map((p) => [p, u[p]]));
  return applySelect(all, props.includes('id') ? props : [...props, 'id']);
}

export function groupJson(g: GroupRecord, select?: readonly string[]): Record<string, unknown> {
  const all: Record<string, unknown> = Object.fromEntries(GROUP_PROPS.map((p) => [p, g[p]]));
  return select ? applySelect(all, select) : all;
}

function userOf(ctx: GraphContext): UserRecord {
  const u = ctx.tenant.user(ctx.params.userId);
  if (!u) throw notFound(ctx.params.userId);
  return u;
}

function groupOf(ctx: GraphContext): GroupRecord {
  const g = ctx.tenant.directory.group(ctx.params.groupId);
  if (!g) throw notFound(ctx.params.groupId);
  return g;
}

/** An update's entry: all selected properties, or (Prefer: return=minimal) only the changed ones. */
function changedJson<T>(c: DeltaChange<T>, full: Record<string, unknown>, minimal: boolean): Record<string, unknown> {
  if (!minimal || c.kind !== 'updated' || c.props === 'all') return full;
  const changed = c.props;
  return Object.fromEntries(Object.entries(full).filter(([k]) => k === 'id' || changed.has(k)));
}

/** With $select, a change to unselected properties does not make the object appear (users, groups). */
const relevant = <T>(c: DeltaChange<T>, o: DeltaOptions): boolean =>
  c.kind !== 'updated' || c.props === 'all' || !o.select || o.select.some((s) => (c.props as Set<string>).has(s));

/** A plain directory collection: $filter on the full objects, paging, $select on the page. */
function collection<T>(
  ctx: GraphContext,
  type: SelectableType,
  context: string,
  items: Iterable<T>,
  render: (x: T, select?: readonly string[]) => Record<string, unknown>,
  full: (x: T) => unknown,
): GraphResult {
  const select = selectFor(ctx, type);
  const filter = filterOf(ctx.query);
  const { page, nextLink } = listPage(
    ctx,
    [...items].filter((x) => !filter || filter(full(x))),
    { fallback: 100, max: 999 },
  );
  return ok({
    '@odata.context': `${ctx.baseUrl}/$metadata#${context}${select ? `(${select.join(',')})` : ''}`,
    ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    value: page.map((x) => render(x, select)),
  });
}

/** Users or groups delta: @removed with the reason, $select-aware updates, Prefer: return=minimal. */
function directoryDelta<T extends { id: string }>(
  ctx: GraphContext,
  type: SelectableType,
  log: ChangeLog<T>,
  linkPath: string,
  render: (c: DeltaChange<T>, o: DeltaOptions) => Record<string, unknown>,
): GraphResult {
  const minimal = preferences(ctx).get('return') === 'minimal';
  return deltaResponse(ctx, {
    log,
    linkPath,
    selectType: type,
    context: linkPath.split('/')[1],
    pageSize: { fallback: 100, max: 999 },
    latest: true,
    maxAgeSeconds: 7 * 86_400,
    expired: () =>
      new GraphError(
        410,
        'resyncRequired',
        'The delta token is no longer valid. Start a full synchronization from the Location header.',
        { headers: { Location: `${ctx.baseUrl}${linkPath}?$deltatoken=` } },
      ),
    render: (c, o) => {
      if (c.kind === 'removed') return [removedEntry(undefined, c.id, c.reason!)];
      return relevant(c, o) ? [changedJson(c, render(c, o), minimal)] : [];
    },
  });
}

const entity = (
  ctx: GraphContext,
  type: SelectableType,
  context: string,
  json: (select?: readonly string[]) => Record<string, unknown>,
): GraphResult => {
  const select = selectFor(ctx, type);
  return ok({
    '@odata.context': `${ctx.baseUrl}/$metadata#${context}${select ? `(${select.join(',')})` : ''}/$entity`,
    ...json(select),
  });
};

registerRoutes([
  {
    method: 'GET',
    path: '/users',
    workload: 'directory',
    permissions: READ_USERS,
    handler: (ctx) =>
      collection(ctx, 'user', 'users', ctx.tenant.directory.users.all(), userJson, (u) => userJson(u, USER_PROPS)),
  },
  {
    method: 'GET',
    path: '/users/delta',
    workload: 'directory',
    permissions: READ_USERS,
    handler: (ctx) =>
      directoryDelta(ctx, 'user', ctx.tenant.directory.users, '/users/delta', (c, o) => userJson(c.item, o.select)),
  },
  {
    method: 'GET',
    path: '/users/{userId}',
    workload: 'directory',
    permissions: READ_USERS,
    handler: (ctx) => entity(ctx, 'user', 'users', (select) => userJson(userOf(ctx), select)),
  },
  {
    method: 'GET',
    path: '/directory/deletedItems/microsoft.graph.user',
    workload: 'directory',
    permissions: READ_USERS,
    handler: (ctx) =>
      collection(
        ctx,
        'user',
        'directoryObjects/microsoft.graph.user',
        ctx.tenant.directory.users.softDeleted(),
        userJson,
        (u) => userJson(u, USER_PROPS),
      ),
  },
  {
    method: 'GET',
    path: '/groups',
    workload: 'directory',
    permissions: READ_GROUPS,
    handler: (ctx) =>
      collection(ctx, 'group', 'groups', ctx.tenant.directory.groups.all(), groupJson, (g) => groupJson(g)),
  },
  {
    method: 'GET',
    path: '/groups/delta',
    workload: 'directory',
    permissions: READ_GROUPS,
    // Without $select Graph returns every property and members@delta; with one, members@delta only if it names members.
    handler: (ctx) =>
      directoryDelta(ctx, 'group', ctx.tenant.directory.groups, '/groups/delta', (c, o) => {
        const json = groupJson(
          c.item,
          o.select?.filter((s) => s.toLowerCase() !== 'members'),
        );
        return !o.select || o.select.some((s) => s.toLowerCase() === 'members')
          ? { ...json, 'members@delta': membersDelta(c) }
          : json;
      }),
  },
  {
    method: 'GET',
    path: '/groups/{groupId}',
    workload: 'directory',
    permissions: READ_GROUPS,
    handler: (ctx) => entity(ctx, 'group', 'groups', (select) => groupJson(groupOf(ctx), select)),
  },
  {
    method: 'GET',
    path: '/groups/{groupId}/members',
    workload: 'directory',
    permissions: READ_GROUPS,
    handler(ctx) {
      const members = groupOf(ctx)
        .members.map((id) => ctx.tenant.directory.users.get(id))
        .filter((u): u is UserRecord => u !== undefined);
      return collection(
        ctx,
        'user',
        'directoryObjects',
        members,
        (u, select) => ({ '@odata.type': '#microsoft.graph.user', ...userJson(u, select) }),
        (u) => userJson(u, USER_PROPS),
      );
    },
  },
]);

/** members@delta: every member in a full entry; only additions and removals (with @removed) since the baseline otherwise. */
function membersDelta(c: DeltaChange<GroupRecord>): unknown[] {
  const user = (id: string): Record<string, unknown> => ({ '@odata.type': '#microsoft.graph.user', id });
  if (c.kind === 'created' || c.props === 'all') return c.item.members.map(user);
  const added = new Set<string>();
  const removed = new Set<string>();
  for (const d of c.details as MembershipChange[]) {
    d.added.forEach((m) => {
      removed.delete(m);
      added.add(m);
    });
    d.removed.forEach((m) => {
      added.delete(m);
      removed.add(m);
    });
  }
  return [...[...added].map(user), ...[...removed].map((id) => ({ ...user(id), '@removed': { reason: 'deleted' } }))];
}
