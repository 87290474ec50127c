// Graph v1.0 does not say which mail folder is the Inbox (wellKnownName is beta-only), but it resolves well-known
// names in the URL. Resolved once per mailbox and kept on its protected item: the ids never change.
import type { GraphSession } from '../runtime/services';
import { GraphRequestError } from '../graph/graph-errors';

export const WELL_KNOWN_FOLDERS = ['msgfolderroot', 'inbox', 'sentitems', 'drafts', 'deleteditems', 'junkemail', 'archive', 'outbox'] as const;

/** Well-known name → folder id; a folder the mailbox lacks (no archive yet, say) is left out. */
export async function resolveWellKnownFolders(graph: GraphSession, userId: string, deadline: number): Promise<Record<string, string>> {
  const found = await Promise.all(WELL_KNOWN_FOLDERS.map(async (name) => {
    try {
      const f = await graph.get<{ id: string }>(`/users/${encodeURIComponent(userId)}/mailFolders/${name}?$select=id`, { mailbox: userId, operation: 'mail.read', deadline });
      return [name, f.id] as const;
    } catch (e) {
      if (e instanceof GraphRequestError && e.status === 404) return undefined;
      throw e;
    }
  }));
  return Object.fromEntries(found.filter((f) => f !== undefined));
}
