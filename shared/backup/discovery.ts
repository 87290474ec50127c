// Which protected items a job covers, from the tenant's users. Pure: the activity pages /users and calls this.
import type { JobInput, ItemKind } from '../inventory/schemas';

export interface DirectoryUser {
  id: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
  /** 'Guest' users have a mail address (their external one) but no mailbox in this tenant. */
  userType?: string | null;
  /** Licences assigned; OneDrive exists only for licensed users. Shared mailboxes have none but do have mail. */
  assignedLicenses?: unknown[] | null;
}

export interface DiscoveredItem {
  kind: ItemKind;
  userId: string;
  displayName: string;
  address: string;
  /** Listed explicitly by the job (its absence or failure is worth a warning), or found by an account-wide scope. */
  explicit: boolean;
}

export interface Discovery {
  items: DiscoveredItem[];
  /** Selectors of the job that matched no user. */
  unmatched: Array<{ kind: ItemKind; match: string }>;
}

const norm = (s: string | null | undefined): string => (s ?? '').trim().toLowerCase();

function matches(user: DirectoryUser, match: string): boolean {
  const m = norm(match);
  return [user.id, user.userPrincipalName, user.mail, user.displayName].some((v) => norm(v) === m);
}

function toItem(kind: ItemKind, user: DirectoryUser, explicit: boolean): DiscoveredItem {
  const address = user.mail ?? user.userPrincipalName ?? user.id;
  return { kind, userId: user.id, displayName: user.displayName ?? address, address, explicit };
}

/**
 * Selected items come first, in the job's priority order; an account-wide scope then adds every mailbox (users with
 * a mail address, shared mailboxes included, guests not) and every OneDrive (licensed users), each once, minus exclusions.
 */
export function discover(sources: JobInput['sources'], users: readonly DirectoryUser[]): Discovery {
  const items: DiscoveredItem[] = [];
  const seen = new Set<string>();
  const excluded = (kind: ItemKind, u: DirectoryUser): boolean => sources.exclude.some((x) => x.kind === kind && matches(u, x.match));
  const add = (kind: ItemKind, u: DirectoryUser, explicit: boolean): void => {
    const key = `${kind}:${u.id}`;
    if (seen.has(key) || excluded(kind, u)) return;
    seen.add(key);
    items.push(toItem(kind, u, explicit));
  };
  const unmatched: Discovery['unmatched'] = [];
  for (const sel of sources.items) {
    const found = users.filter((u) => matches(u, sel.match));
    if (found.length === 0) unmatched.push({ kind: sel.kind, match: sel.match });
    for (const u of found) add(sel.kind, u, true);
  }
  if (sources.scope === 'account') {
    const byName = [...users].sort((a, b) => norm(a.displayName).localeCompare(norm(b.displayName)));
    if (sources.include.mailboxes) for (const u of byName) if (u.mail && u.userType !== 'Guest') add('mailbox', u, false);
    if (sources.include.oneDrives) for (const u of byName) if ((u.assignedLicenses?.length ?? 0) > 0) add('onedrive', u, false);
  }
  return { items, unmatched };
}

/** The repository an item's content goes to: the first override that matches it, else the job's. */
export function repositoryFor(destination: JobInput['destination'], kind: ItemKind, user: DirectoryUser): string {
  return destination.overrides.find((o) => o.kind === kind && matches(user, o.match))?.repository ?? destination.repository;
}

/** Every repository a job's destination names, with where (for a 400 naming the field). */
export function repositoryRefs(destination: JobInput['destination']): Array<{ path: string; name: string }> {
  return [{ path: 'destination.repository', name: destination.repository }, ...destination.overrides.map((o, i) => ({ path: `destination.overrides.${i}.repository`, name: o.repository }))];
}
