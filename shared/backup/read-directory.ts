// Reads one tenant directory: every page of its listing, then, for a source with nested entries (a site's subsites),
// each entry's children level by level, a few at a time.
import type { GraphSession } from '../graph/graph-session';
import type { DirectoryEntry, DirectorySource } from './directory';
import { mapLimit } from './map-limit';

/** Children listed at once: each is one small request on its own site, so SharePoint's per-site limits allow it. */
const CHILD_LISTINGS_AT_ONCE = 4;
/** SharePoint nests subsites far less deep than this; the bound only guards against a cycle. */
const MAX_DEPTH = 16;

/**
 * A site that is locked or archived (423) or gone since the listing (404) has no subsites to show: it stays an
 * entry, and its own backup raises the alarm that says why. Anything else (a missing permission) is the whole
 * directory's failure.
 */
const skippable = (e: unknown): boolean => {
  const status = (e as { status?: unknown } | null)?.status;
  return status === 423 || status === 404;
};

export interface DirectoryListing {
  entries: DirectoryEntry[];
  /** Entries whose children could not be listed (a locked or archived site). */
  unlisted: DirectoryEntry[];
}

export async function readDirectory(
  graph: Pick<GraphSession, 'all'>,
  source: DirectorySource,
  deadline: number,
): Promise<DirectoryListing> {
  const entries = await graph.all<DirectoryEntry>(source.path, {
    mailbox: 'directory',
    operation: source.operation,
    deadline,
  });
  const unlisted: DirectoryEntry[] = [];
  const { children } = source;
  if (!children) return { entries, unlisted };
  const seen = new Set(entries.map((e) => e.id));
  let level = entries;
  for (let depth = 0; level.length > 0 && depth < MAX_DEPTH; depth++) {
    const found = await mapLimit(level, CHILD_LISTINGS_AT_ONCE, (parent) =>
      graph
        .all<DirectoryEntry>(children(parent), { mailbox: parent.id, operation: source.operation, deadline })
        .catch((e: unknown) => {
          if (!skippable(e)) throw e;
          unlisted.push(parent);
          return [];
        }),
    );
    level = found.flat().filter((e) => !seen.has(e.id));
    for (const e of level) seen.add(e.id);
    entries.push(...level);
  }
  return { entries, unlisted };
}

const below = (url: string | null | undefined): string => `${(url ?? '').toLowerCase().replace(/\/+$/, '')}/`;

/**
 * The entries, plus those known from earlier runs (protected items) that sit below an unlisted one by URL: a locked
 * site collection hides its subsites, which are locked with it. Kept in the run, their backups raise the lock alarm
 * instead of vanishing (or a chosen one being reported as matching nothing).
 */
export function withKnownBelowUnlisted(listing: DirectoryListing, known: readonly DirectoryEntry[]): DirectoryEntry[] {
  const ids = new Set(listing.entries.map((e) => e.id));
  const hidden = known.filter(
    (k) =>
      !ids.has(k.id) &&
      !!k.webUrl &&
      listing.unlisted.some((u) => !!u.webUrl && below(k.webUrl).startsWith(below(u.webUrl))),
  );
  return [...listing.entries, ...hidden];
}
