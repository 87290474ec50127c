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

export async function readDirectory(
  graph: Pick<GraphSession, 'all'>,
  source: DirectorySource,
  deadline: number,
): Promise<DirectoryEntry[]> {
  const entries = await graph.all<DirectoryEntry>(source.path, {
    mailbox: 'directory',
    operation: source.operation,
    deadline,
  });
  const { children } = source;
  if (!children) return entries;
  const seen = new Set(entries.map((e) => e.id));
  let level = entries;
  for (let depth = 0; level.length > 0 && depth < MAX_DEPTH; depth++) {
    const found = await mapLimit(level, CHILD_LISTINGS_AT_ONCE, (parent) =>
      graph
        .all<DirectoryEntry>(children(parent), { mailbox: parent.id, operation: source.operation, deadline })
        .catch((e: unknown) => {
          if (skippable(e)) return [];
          throw e;
        }),
    );
    level = found.flat().filter((e) => !seen.has(e.id));
    for (const e of level) seen.add(e.id);
    entries.push(...level);
  }
  return entries;
}
