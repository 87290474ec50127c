// The drive model: users' OneDrives here, and any other owner's (SharePoint document libraries, sites/model.ts)
// through `openDrive` + `registerDriveResolver`. Each drive has a root, two folders and `filesPerDrive` files whose
// bytes are a function of seed, drive, item and version (a 1 GB file is never held); hashes computed once per version.
import { arrayBase, ChangeLog } from '../tenant/change-log';
import { isoSeconds } from '../mail/message';
import { bytesOf, guidOf, pick, rng } from '../tenant/seeded';
import { QuickXorHash, quickXorHash } from './quick-xor-hash';
import { registerTenantExtension, Tenant } from '../tenant/tenant';

export interface DriveItem {
  id: string;
  name: string;
  size: number;
  version: number;
  createdDateTime: string;
  lastModifiedDateTime: string;
  parentId?: string;
  folder?: boolean;
  root?: boolean;
  mimeType?: string;
  content?: Buffer;
  /** Changes of metadata alone (a rename) since creation: they move the eTag, not the cTag, as OneDrive's do. */
  meta?: number;
  /** The versions before this one, oldest first (its version history; a generated file has none). */
  earlier?: Array<{ lastModifiedDateTime: string; size: number }>;
  /** Permissions granted on this item itself (sharing); its ancestors' apply to it too (files/permissions.ts). */
  granted?: GrantedPermission[];
}

/** One sharing of an item: with a person, or through a link. */
export interface GrantedPermission {
  id: string;
  roles: Array<'read' | 'write'>;
  user?: { id: string; displayName: string; email: string };
  link?: { type: 'view' | 'edit'; scope: 'anonymous' | 'organization' };
}

/** The item with new bytes: a new content version, the one it replaces kept in its version history. */
export const withNewContent = (item: DriveItem, bytes: Buffer, at: string): DriveItem => ({
  ...item,
  content: bytes,
  size: bytes.length,
  version: item.version + 1,
  lastModifiedDateTime: at,
  earlier: [...(item.earlier ?? []), { lastModifiedDateTime: item.lastModifiedDateTime, size: item.size }],
});

/** The eTag counts every change, the cTag (`version`) only content changes. */
export const eTagOf = (item: DriveItem): string => `"{${item.id}},${item.version + (item.meta ?? 0)}"`;

export interface DriveSpec {
  id: string;
  driveType: 'business' | 'documentLibrary';
  /** Throttling key: the drive itself for a OneDrive, its site for a library (SharePoint limits are per site). */
  key: string;
  /** The OneDrive's user (expire-tokens for one user expires their drive). */
  ownerId?: string;
  siteId?: string;
  /** A library's site title: its site groups are named for it ("Intranet Owners"). */
  siteTitle?: string;
  /** Graph properties of the drive besides id and driveType (name, owner, webUrl…). */
  meta: Record<string, unknown>;
  /** Names of the two generated folders below the root. */
  folders: [string, string];
  /** Throws when the owner refuses the request (a locked site); `write` for anything but GET. */
  guard?(write: boolean): void;
}

export interface Drive extends DriveSpec {
  tenant: Tenant;
  items: ChangeLog<DriveItem>;
}

const drives = new WeakMap<Tenant, Map<string, Drive>>();
/** Every Sites.* application permission that reads, and those that write (Sites.Selected is not emulated). */
export const SITES_READ = ['Sites.Read.All', 'Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'];
export const SITES_WRITE = ['Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'];
export const FILES_READ = ['Files.Read.All', 'Files.ReadWrite.All', ...SITES_READ];

/** A drive id of Graph's `b!…` form from its owner's key. */
export const driveIdOf = (t: Tenant, ownerKey: string): string =>
  `b!${guidOf(t.seed, 'drive', ownerKey).replace(/-/g, '')}`;

/** Finds drives of other owners by id (registered by their modules; OneDrives are built in). */
const resolvers: Array<(t: Tenant, driveId: string) => Drive | undefined> = [];
export function registerDriveResolver(resolve: (t: Tenant, driveId: string) => Drive | undefined): void {
  resolvers.push(resolve);
}

/** The drive with this spec, generated on first use (same spec, same items and bytes). */
export function openDrive(t: Tenant, spec: DriveSpec): Drive {
  const all = drives.get(t)!;
  let d = all.get(spec.id);
  if (!d) {
    const { id } = spec;
    const n = t.profile.filesPerDrive;
    const at = isoSeconds(t.created);
    const base = arrayBase<DriveItem>(() =>
      Array.from({ length: 3 + n }, (_, i): DriveItem => {
        if (i === 0)
          return {
            id: `${id}!root`,
            name: 'root',
            size: 0,
            version: 1,
            createdDateTime: at,
            lastModifiedDateTime: at,
            folder: true,
            root: true,
          };
        if (i <= 2)
          return {
            id: `${id}!f${i}`,
            name: spec.folders[i - 1],
            size: 0,
            version: 1,
            createdDateTime: at,
            lastModifiedDateTime: at,
            parentId: `${id}!root`,
            folder: true,
          };
        const r = rng(t.seed, id, 'file', i);
        const ext = pick(r, ['docx', 'xlsx', 'pdf', 'txt', 'pptx']);
        const { min, max } = t.profile.fileBytes;
        return {
          id: `${id}!${i}`,
          name: `${pick(r, ['Plan', 'Report', 'Notes', 'Budget', 'Design'])} ${i}.${ext}`,
          size: Math.floor(min + r() * (max - min)),
          version: 1,
          createdDateTime: at,
          lastModifiedDateTime: at,
          parentId: i % 3 === 0 ? `${id}!root` : `${id}!f${1 + (i % 2)}`,
          mimeType: ext === 'txt' ? 'text/plain' : 'application/octet-stream',
        };
      }),
    );
    d = { ...spec, tenant: t, items: new ChangeLog(`drives/${id}`, base, t.changes) };
    all.set(id, d);
  }
  return d;
}

export function driveOfUser(t: Tenant, userId: string): Drive | undefined {
  const user = t.user(userId);
  if (!user?.oneDriveProvisioned) return undefined;
  const id = driveIdOf(t, user.id);
  return openDrive(t, {
    id,
    driveType: 'business',
    key: id,
    ownerId: user.id,
    meta: { name: 'OneDrive', owner: { user: { id: user.id, displayName: user.displayName } } },
    folders: ['Documents', 'Übersicht 2026'],
  });
}

export function driveById(t: Tenant, driveId: string): Drive | undefined {
  const known = drives.get(t)!.get(driveId);
  if (known) return known;
  const owner = [...t.directory.users.all()].find((u) => driveIdOf(t, u.id) === driveId);
  if (owner) return driveOfUser(t, owner.id);
  for (const resolve of resolvers) {
    const d = resolve(t, driveId);
    if (d) return d;
  }
  return undefined;
}

export const driveJson = (d: Drive): Record<string, unknown> => ({ id: d.id, driveType: d.driveType, ...d.meta });

registerTenantExtension((t) => {
  drives.set(t, new Map());
  t.tokenExpiryHooks.push((userId) => {
    for (const d of drives.get(t)!.values()) if (!userId || d.ownerId === userId) d.items.expire();
  });
});

export const itemBytes = (t: Tenant, d: Drive, item: DriveItem): Iterable<Buffer> =>
  item.content ? [item.content] : bytesOf(`${t.seed}|${d.id}|${item.id}|v${item.version}`, item.size);

/** quickXorHash per (drive, item, version), computed on first use: a lazily generated 1 GB file is hashed once. */
const hashes = new Map<string, string>();
const hashKey = (d: Drive, item: DriveItem): string => `${d.id}|${item.id}|${item.version}`;
export function hashOf(d: Drive, item: DriveItem): string {
  const key = hashKey(d, item);
  let h = hashes.get(key);
  if (h === undefined) hashes.set(key, (h = quickXorHash(itemBytes(d.tenant, d, item))));
  return h;
}

/** Hashes a large generated file ahead, yielding between chunks: hashed on first listing, it would stall every client for seconds. */
export async function hashAhead(d: Drive, item: DriveItem): Promise<void> {
  const h = new QuickXorHash();
  let sinceYield = 0;
  for (const chunk of itemBytes(d.tenant, d, item)) {
    h.update(chunk);
    if ((sinceYield += chunk.length) >= 8 * 1024 * 1024) {
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  hashes.set(hashKey(d, item), h.digest().toString('base64'));
}
