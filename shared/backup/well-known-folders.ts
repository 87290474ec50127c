// Graph v1.0 does not say which mail folder is the Inbox (wellKnownName is beta-only), but it resolves well-known
// names in the URL. Resolved once per mailbox, in one $batch, and kept on its protected item: the ids never change.
import type { GraphClient } from '../graph/graph-client';
import { GraphRequestError } from '../graph/graph-errors';

export const WELL_KNOWN_FOLDERS = [
  'msgfolderroot',
  'inbox',
  'sentitems',
  'drafts',
  'deleteditems',
  'junkemail',
  'archive',
  'outbox',
] as const;

/** Well-known name → folder id; a folder the mailbox lacks (no archive yet, say) is left out. */
export async function resolveWellKnownFolders(
  graph: Pick<GraphClient, 'batch'>,
  userId: string,
  deadline: number,
): Promise<Record<string, string>> {
  const results = await graph.batch(
    WELL_KNOWN_FOLDERS.map((name) => ({
      id: name,
      method: 'GET',
      url: `/users/${encodeURIComponent(userId)}/mailFolders/${name}?$select=id`,
    })),
    { mailbox: userId, operation: 'mail.read', deadline },
  );
  const found: Record<string, string> = {};
  for (const r of results) {
    if (r.status === 200) found[r.id] = (r.body as { id: string }).id;
    else if (r.status !== 404) {
      const error = (r.body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new GraphRequestError({
        status: r.status,
        operation: 'mail.read',
        ...(error?.code ? { code: error.code } : {}),
        ...(error?.message ? { graphMessage: error.message } : {}),
      });
    }
  }
  return found;
}
