// What immutable ids save: 1,000 messages moved from the Inbox to the Archive, then an incremental of both folders,
// through the product's GraphClient against the emulator — once as the product syncs now (Prefer:
// IdType="ImmutableId" on every mail request) and once with that preference stripped on the wire (the product as it
// was, REST ids). The figures are printed; the assertions pin what each costs. Folders are synced Inbox first, the
// order in which a move is seen as a removal before it is seen as an arrival.
import type { IncomingMessage } from 'node:http';
import { syncContainer, SyncTarget } from '../../shared/backup/sync-container';
import { folderMessages } from '../../shared/backup/workloads/mail';
import type { GraphClient } from '../../shared/graph/graph-client';
import type { HttpRequest } from '../../shared/graph/https-transport';
import { GraphTestBed, startGraphTestBed } from '../graph/support';
import { SyncBed, syncBed } from '../support/sync-bed';

const MOVES = 1000;

describe('requests of an incremental after 1,000 moves', () => {
  let bed: GraphTestBed;
  let stores: SyncBed;
  const figures: Record<string, Record<string, number>> = {};

  beforeAll(async () => {
    bed = await startGraphTestBed({
      seed: 'moves',
      profile: {
        licensedUsers: 2,
        sharedMailboxes: 0,
        messages: { inbox: MOVES + 20, archive: 5 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 5,
        largeEvery: 0,
      },
    });
    stores = await syncBed('moves-requests', bed.client());
  });
  afterAll(async () => {
    console.log(
      `incremental after ${MOVES} moves (Inbox → Archive), Graph requests:\n${JSON.stringify(figures, null, 2)}`,
    );
    await stores?.dispose();
    await bed?.stop();
  });

  /** Full backup of Inbox and Archive, MOVES moves, the incremental: its Graph requests and MIME downloads. */
  async function scenario(userIndex: number, graph: GraphClient): Promise<Record<string, number>> {
    const user = (await bed.users()).filter((u) => u.licensed)[userIndex];
    const folders = await Promise.all(
      ['inbox', 'archive'].map(
        async (name) =>
          (
            await graph.get<{ id: string }>(`/users/${user.id}/mailFolders/${name}?$select=id`, {
              mailbox: user.id,
              operation: 'mail.read',
              deadline: Date.now() + 60_000,
            })
          ).id,
      ),
    );
    const deps = { ...stores.deps, graph };
    const target = (folderId: string, seq: number): SyncTarget => ({
      accountId: 'acct',
      tenantId: 't1',
      protectedItemId: `acct.mailbox.${user.id}`,
      containerId: `messages:${folderId}`,
      mailbox: user.id,
      seq,
    });
    const syncAll = async (seq: number): Promise<{ requests: number; values: number; fetched: number }> => {
      await bed.t.control('DELETE', 'counters');
      const before = graph.stats().requests;
      let fetched = 0;
      for (const f of folders) {
        for (let r; r?.status !== 'done';) {
          r = await syncContainer(deps, target(f, seq), folderMessages(user.id, f), Date.now() + 120_000);
          if (r.status === 'done') fetched += r.counts.contentFetched;
        }
      }
      const counters = (await bed.t.control<{ byRoute: Record<string, number> }>('GET', 'counters')).body;
      return {
        requests: graph.stats().requests - before,
        values: counters.byRoute['GET /users/{userId}/messages/{messageId}/$value'] ?? 0,
        fetched,
      };
    };
    const full = await syncAll(1);
    const inbox = await bed.t.control<Array<{ id: string }>>('GET', `mail/${user.id}/folders/inbox/messages`);
    for (const m of inbox.body.slice(0, MOVES))
      await bed.t.control('POST', `mail/${user.id}/messages/${encodeURIComponent(m.id)}/move`, { to: 'archive' });
    const incremental = await syncAll(2);
    const { resources } = await stores.deps.versions.view(`acct.mailbox.${user.id}`, 2).fetchAll();
    return {
      fullRequests: full.requests,
      incrementalRequests: incremental.requests,
      mimeDownloads: incremental.values,
      itemsAtPoint2: resources.length,
    };
  }

  it('with immutable ids: the moves cost their delta pages only, no MIME is downloaded again', async () => {
    figures.immutableIds = await scenario(0, bed.client());
    expect(figures.immutableIds).toMatchObject({ mimeDownloads: 0, itemsAtPoint2: MOVES + 25 });
    // A page of 100 removals from the Inbox and of 100 arrivals in the Archive at a time, and the two last pages.
    expect(figures.immutableIds.incrementalRequests).toBeLessThanOrEqual(2 * (MOVES / 100 + 1));
  }, 600_000);

  it('with REST ids (the preference stripped): every moved message is downloaded again', async () => {
    const withoutIdType = (headers: Record<string, string>): Record<string, string> =>
      Object.fromEntries(
        Object.entries(headers)
          .map(([k, v]) => [
            k,
            k.toLowerCase() === 'prefer' ? v.replace(/(^|,\s*)IdType="ImmutableId"/i, '').replace(/^,\s*/, '') : v,
          ])
          .filter(([, v]) => v !== ''),
      );
    const restIds = (r: HttpRequest): Promise<IncomingMessage> =>
      bed.transport({ ...r, headers: withoutIdType(r.headers) });
    figures.restIds = await scenario(1, bed.client({ transport: restIds }));
    expect(figures.restIds).toMatchObject({ mimeDownloads: MOVES, itemsAtPoint2: MOVES + 25 });
    expect(figures.restIds.incrementalRequests - figures.immutableIds.incrementalRequests).toBe(MOVES);
  }, 600_000);
});
