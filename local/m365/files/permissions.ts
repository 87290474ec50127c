// A drive item's permissions as Graph's GET /drives/{d}/items/{i}/permissions renders them (permission resource,
// v1.0): what the item inherits — a OneDrive's owner, a library's site groups (Owners, Members, Visitors), the
// sharing of each folder above it, each with `inheritedFrom` — then its own sharing, with a person (`grantedToV2`)
// or through a link (`link`, with `shareId`). Sharing does not move an item's eTag or cTag; delta lists the item
// only when asked with `Prefer: deltashowsharingchanges`, annotated `@microsoft.graph.sharedChanged` (graph-routes).
import type { Drive, DriveItem, GrantedPermission } from './model';

const SITE_GROUPS = [
  { id: '3', name: 'Owners', roles: ['owner'] },
  { id: '5', name: 'Members', roles: ['write'] },
  { id: '4', name: 'Visitors', roles: ['read'] },
] as const;

/** The permission JSON of one sharing, as on the item that grants it. */
function grantJson(d: Drive, p: GrantedPermission): Record<string, unknown> {
  return {
    id: p.id,
    roles: p.roles,
    ...(p.user ? { grantedToV2: { user: p.user } } : {}),
    ...(p.link
      ? {
          shareId: `s!${p.id}`,
          link: {
            type: p.link.type,
            scope: p.link.scope,
            webUrl: `${typeof d.meta.webUrl === 'string' ? d.meta.webUrl : ''}/:x:/s/${p.id}`,
          },
          ...(p.link.scope === 'anonymous' ? {} : { grantedToIdentitiesV2: [] }),
        }
      : {}),
  };
}

/** Every permission of the item, inherited ones first (from the drive's root down), then its own. */
export function permissionsOf(d: Drive, item: DriveItem): Array<Record<string, unknown>> {
  const chain: DriveItem[] = [];
  for (let at = item.parentId ? d.items.get(item.parentId) : undefined; at;) {
    chain.unshift(at);
    at = at.parentId ? d.items.get(at.parentId) : undefined;
  }
  const root = chain[0] ?? item;
  const from = (x: DriveItem) => (x.id === item.id ? {} : { inheritedFrom: { driveId: d.id, id: x.id } });
  const owner = d.ownerId ? d.tenant.user(d.ownerId) : undefined;
  const base: Array<Record<string, unknown>> = owner
    ? [
        {
          id: 'owner',
          roles: ['owner'],
          grantedToV2: { user: { id: owner.id, displayName: owner.displayName, email: owner.mail } },
          ...from(root),
        },
      ]
    : SITE_GROUPS.map((g) => {
        const site = d.siteTitle ?? String(d.meta.name);
        return {
          id: g.id,
          roles: g.roles,
          grantedToV2: { siteGroup: { id: g.id, displayName: `${site} ${g.name}`, loginName: `${site} ${g.name}` } },
          ...from(root),
        };
      });
  return [
    ...base,
    ...[...chain, item].flatMap((x) => (x.granted ?? []).map((p) => ({ ...grantJson(d, p), ...from(x) }))),
  ];
}
