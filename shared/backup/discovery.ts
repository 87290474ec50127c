// Which protected items a job covers, from the tenant's directories. Pure: the activity reads the directories the
// job's kinds name (directoryFor) and calls this; what makes an entry an item is each kind's (kinds/*.ts).
import type { JobInput, ItemKind } from '../inventory/schemas';
import type { Directory, DirectoryEntry, DirectorySourceId } from './directory';
import { KIND_IDS, kindOf } from '../kinds';

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
  /** Selectors of the job that matched no entry. */
  unmatched: Array<{ kind: ItemKind; match: string }>;
}

const norm = (s: string | null | undefined): string => (s ?? '').trim().toLowerCase();
/** A URL as administrators paste it: with or without a trailing slash, any case. */
const normUrl = (s: string | null | undefined): string => norm(s).replace(/\/+$/, '');

function matches(entry: DirectoryEntry, match: string): boolean {
  const m = norm(match);
  return (
    [entry.id, entry.userPrincipalName, entry.mail, entry.displayName, entry.name].some((v) => norm(v) === m) ||
    (!!entry.webUrl && normUrl(entry.webUrl) === normUrl(match))
  );
}

function toItem(kind: ItemKind, entry: DirectoryEntry, explicit: boolean): DiscoveredItem {
  const address = entry.mail ?? entry.userPrincipalName ?? entry.webUrl ?? entry.id;
  return { kind, userId: entry.id, displayName: entry.displayName ?? address, address, explicit };
}

const kindsOf = (sources: JobInput['sources']): ItemKind[] =>
  KIND_IDS.filter(
    (k) =>
      sources.items.some((s) => s.kind === k) ||
      (sources.scope === 'account' && sources.include[kindOf({ kind: k }).discovery.include]),
  );

/** The directories a job's discovery reads: those of the kinds it selects or includes. */
export function directoriesFor(sources: JobInput['sources']): DirectorySourceId[] {
  return [...new Set(kindsOf(sources).map((k) => kindOf({ kind: k }).discovery.source))];
}

const entriesOf = (directory: Directory, kind: ItemKind): readonly DirectoryEntry[] =>
  directory[kindOf({ kind }).discovery.source] ?? [];

/**
 * Selected items come first, in the job's priority order; an account-wide scope then adds, kind by kind, every
 * entry the kind finds eligible, each once, minus exclusions.
 */
export function discover(sources: JobInput['sources'], directory: Directory): Discovery {
  const items: DiscoveredItem[] = [];
  const seen = new Set<string>();
  const excluded = (kind: ItemKind, e: DirectoryEntry): boolean =>
    sources.exclude.some((x) => x.kind === kind && matches(e, x.match));
  const add = (kind: ItemKind, e: DirectoryEntry, explicit: boolean): void => {
    const key = `${kind}:${e.id}`;
    if (seen.has(key) || excluded(kind, e)) return;
    seen.add(key);
    items.push(toItem(kind, e, explicit));
  };
  const unmatched: Discovery['unmatched'] = [];
  for (const sel of sources.items) {
    const found = entriesOf(directory, sel.kind).filter((e) => matches(e, sel.match));
    if (found.length === 0) unmatched.push({ kind: sel.kind, match: sel.match });
    for (const e of found) add(sel.kind, e, true);
  }
  if (sources.scope === 'account') {
    for (const kind of KIND_IDS) {
      const { include, eligible } = kindOf({ kind }).discovery;
      if (!sources.include[include]) continue;
      const byName = [...entriesOf(directory, kind)].sort((a, b) =>
        norm(a.displayName).localeCompare(norm(b.displayName)),
      );
      for (const e of byName) if (eligible(e)) add(kind, e, false);
    }
  }
  return { items, unmatched };
}

/** The repository an item's content goes to: the first override that matches it, else the job's. */
export function repositoryFor(destination: JobInput['destination'], kind: ItemKind, entry: DirectoryEntry): string {
  return (
    destination.overrides.find((o) => o.kind === kind && matches(entry, o.match))?.repository ?? destination.repository
  );
}

/** Every repository a job's destination names, with where (for a 400 naming the field). */
export function repositoryRefs(destination: JobInput['destination']): Array<{ path: string; name: string }> {
  return [
    { path: 'destination.repository', name: destination.repository },
    ...destination.overrides.map((o, i) => ({ path: `destination.overrides.${i}.repository`, name: o.repository })),
  ];
}
