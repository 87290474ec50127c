// What each workload of the product needs of Microsoft Graph, per purpose, as the code calls it: the operations
// below are those the backup, discovery and restore code pass with their Graph requests, and the permission names
// come from GRAPH_OPERATIONS (after Microsoft's per-API permission reference), the same entries the alarms name a
// missing permission from. Preflight compares a token's `roles` with this table; nothing else lists permissions.
import { KIND_IDS } from '../kinds';
import { GRAPH_OPERATIONS, GraphOperation } from '../domain/graph-permissions';

export const PURPOSES = ['discovery', 'backup', 'restore'] as const;
export type Purpose = (typeof PURPOSES)[number];

export interface WorkloadPermissions {
  id: string;
  name: string;
  /**
   * The protected-item kind that backs the workload up. A kind this version does not register yet (SharePoint sites
   * and group mailboxes are being added) is reported with what it will need, never failed.
   */
  kind?: string;
  /** Needed only by some jobs: says which. */
  onlyWhen?: string;
  needs: Record<Purpose, readonly GraphOperation[]>;
  /** Why a purpose needs nothing. */
  none?: Partial<Record<Purpose, string>>;
}

export const WORKLOAD_PERMISSIONS: readonly WorkloadPermissions[] = [
  {
    id: 'mailboxes',
    name: 'Exchange mailboxes',
    kind: 'mailbox',
    needs: {
      // GET /users with assignedLicenses (directory.ts).
      discovery: ['users.list'],
      // mailFolders and messages delta, MIME ($value), well-known folders; calendarView delta; contacts delta.
      backup: ['mail.read', 'calendars.read', 'contacts.read'],
      // Folders, messages (import, flags, read state), events and contacts; another user's mailbox by id.
      restore: ['mail.write', 'calendars.write', 'contacts.write', 'users.list'],
    },
  },
  {
    id: 'oneDrive',
    name: 'OneDrive',
    kind: 'onedrive',
    needs: {
      discovery: ['users.list'],
      // GET /users/{id}/drive, the drive's root delta and file content.
      backup: ['files.read'],
      // Folders and uploads (small PUT, upload sessions) into a drive.
      restore: ['files.write'],
    },
  },
  {
    id: 'sites',
    name: 'SharePoint sites',
    kind: 'site',
    needs: {
      // GET /sites/getAllSites and each site's /sites (subsites).
      discovery: ['sites.read'],
      // A site's /drives, then each library as a drive; its /lists with columns and content types, listItem delta.
      backup: ['files.read', 'sites.read'],
      // Library files; list items (create, PATCH fields).
      restore: ['files.write', 'sites.write'],
    },
  },
  {
    id: 'groupMailboxes',
    name: 'Microsoft 365 group mailboxes',
    kind: 'groupMailbox',
    needs: { discovery: ['groups.list'], backup: ['groupConversations.read'], restore: [] },
    none: {
      restore:
        'Microsoft Graph v1.0 lets only a signed-in user write group conversations; an application cannot restore them.',
    },
  },
  {
    id: 'runReports',
    name: 'E-mail run reports',
    onlyWhen: 'a job sends its run report by e-mail (options.reportRecipients)',
    needs: { discovery: [], backup: ['mail.send'], restore: [] },
  },
];

/** Whether this version backs the workload up (its kind is registered), or only reports what it will need. */
export const isAvailable = (w: WorkloadPermissions): boolean =>
  w.kind === undefined || (KIND_IDS as readonly string[]).includes(w.kind);

export interface PurposeCheck {
  purpose: Purpose;
  /** The least-privileged permission of each operation the purpose uses. */
  needed: string[];
  /** The granted permissions that serve the purpose. */
  granted: string[];
  /** The least-privileged permission of each operation no granted permission serves. */
  missing: string[];
}

export interface WorkloadCheck {
  workload: WorkloadPermissions;
  purposes: PurposeCheck[];
}

export interface PermissionCheck {
  workloads: WorkloadCheck[];
  /** Granted permissions no operation of the product uses: an administrator can remove them. */
  unused: string[];
  /** No application permission at all: admin consent was most likely never granted. */
  noRoles: boolean;
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

function purposeCheck(
  purpose: Purpose,
  operations: readonly GraphOperation[],
  roles: ReadonlySet<string>,
): PurposeCheck {
  const needed: string[] = [];
  const granted: string[] = [];
  const missing: string[] = [];
  for (const op of operations) {
    const anyOf: readonly string[] = GRAPH_OPERATIONS[op].anyOf;
    needed.push(anyOf[0]);
    const held = anyOf.filter((p) => roles.has(p));
    if (held.length) granted.push(...held);
    else missing.push(anyOf[0]);
  }
  return { purpose, needed: unique(needed), granted: unique(granted), missing: unique(missing) };
}

/** Compares a token's application permissions with what every workload needs. Pure. */
export function checkPermissions(roles: readonly string[]): PermissionCheck {
  const held = new Set(roles);
  const used = new Set<string>(
    WORKLOAD_PERMISSIONS.flatMap((w) =>
      PURPOSES.flatMap((p) => w.needs[p].flatMap((op) => GRAPH_OPERATIONS[op].anyOf)),
    ),
  );
  return {
    workloads: WORKLOAD_PERMISSIONS.map((workload) => ({
      workload,
      purposes: PURPOSES.map((p) => purposeCheck(p, workload.needs[p], held)),
    })),
    unused: unique(roles).filter((r) => !used.has(r)),
    noRoles: roles.length === 0,
  };
}

/** The least-privileged permissions a set of purposes needs over the workloads this version backs up. */
export function leastPrivileged(purposes: readonly Purpose[]): string[] {
  return unique(
    WORKLOAD_PERMISSIONS.filter((w) => isAvailable(w) && !w.onlyWhen).flatMap((w) =>
      purposes.flatMap((p) => w.needs[p].map((op) => GRAPH_OPERATIONS[op].anyOf[0])),
    ),
  );
}
