// The tenant directories protected items are found in. Each kind names the one its items come from, so a run reads
// each directory once, whatever the number of kinds that share it (a user has a mailbox and a OneDrive).
import type { GraphOperation } from '../domain/graph-permissions';

/** An entry of a directory listing: the fields discovery matches selectors on and decides eligibility from. */
export interface DirectoryEntry {
  id: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
  /** 'Guest' users have a mail address (their external one) but no mailbox in this tenant. */
  userType?: string | null;
  /** Licences assigned; OneDrive exists only for licensed users. Shared mailboxes have none but do have mail. */
  assignedLicenses?: unknown[] | null;
  /** Sites: the URL, and the URL name (the last segment of its path). */
  webUrl?: string | null;
  name?: string | null;
  /** Sites: a OneDrive's site (getAllSites lists them too); OneDrives are protected as their own kind. */
  isPersonalSite?: boolean | null;
  /** Groups: 'Unified' for a Microsoft 365 group, the only kind with a group mailbox. */
  groupTypes?: string[] | null;
}

export interface DirectorySource {
  /** The first page's path; every page is read (nextLink). */
  path: string;
  operation: GraphOperation;
  /** Entries nested under an entry (a site's subsites), listed the same way, level by level. */
  children?: (entry: DirectoryEntry) => string;
}

const SITE_FIELDS = '$select=id,name,displayName,webUrl,isPersonalSite';

export const DIRECTORY_SOURCES = {
  users: {
    path: '/users?$select=id,displayName,userPrincipalName,mail,userType,assignedLicenses&$top=999',
    operation: 'users.list',
  },
  // getAllSites lists site collections (every geography, group and Teams sites included; subsites not), the way
  // Microsoft recommends for scanning; subsites come from each site's /sites.
  sites: {
    path: `/sites/getAllSites?${SITE_FIELDS}`,
    operation: 'sites.read',
    children: (site) => `/sites/${encodeURIComponent(site.id)}/sites?${SITE_FIELDS}`,
  },
  // Microsoft 365 groups only (security and distribution groups have no group mailbox), so a selector by name or
  // mail address never picks a security group of the same name.
  groups: {
    path: "/groups?$filter=groupTypes/any(c:c eq 'Unified')&$select=id,displayName,mail,groupTypes&$top=999",
    operation: 'groups.list',
  },
} as const satisfies Record<string, DirectorySource>;

export type DirectorySourceId = keyof typeof DIRECTORY_SOURCES;

/** Each directory a job needs, listed once. */
export type Directory = Partial<Record<DirectorySourceId, DirectoryEntry[]>>;
