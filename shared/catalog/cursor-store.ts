import { Container, Database } from '@azure/cosmos';
import { headId } from './version-doc';

/** Where a container's synchronisation stands: mid-round (nextLink) or between rounds (deltaLink). */
export interface Cursor {
  id: string;
  protectedItemId: string;
  containerId: string;
  /**
   * 'resync' while enumerating a round whose end sweeps what it did not see (a new container, an expired delta
   * token, a rebuilt catalog); its writes carry resyncMark = resyncSeq. 'initial' is only read: cursors written
   * before every first round became a resync.
   */
  phase: 'initial' | 'incremental' | 'resync';
  nextLink?: string;
  deltaLink?: string;
  resyncSeq?: number;
  /**
   * What the container's sync did so far in recovery point `tally.seq`: saved with each page, so an activity
   * retried after a crash counts on from there and the run's summary counts every page once.
   */
  tally?: CursorTally;
  /** Set while a sync step runs: found set at the next step's start, the step before died mid-page. */
  open?: boolean;
  /**
   * 'immutable' once the container's items are catalogued under Outlook immutable ids; absent on a cursor written
   * before them, whose container is then enumerated again as a new baseline (its REST-id heads are swept).
   */
  idType?: 'immutable';
  /** The facts read apart per item (ContainerWorkload.details) when the container was last listed. */
  details?: string[];
  /** Containers Graph offers no delta for (ContainerWorkload.watermark): where their rounds stand instead. */
  watermark?: Watermark;
  updatedAt: string;
}

export interface Watermark {
  /** The highest mark (e.g. lastDeliveredDateTime) the last completed round recorded. */
  mark?: string;
  /** The highest mark listed so far by the round under way. */
  roundMark?: string;
  /** When the last full round (a reconciliation) completed; absent: none has. */
  reconciledAt?: string;
  /** Watermark rounds completed since then. */
  rounds?: number;
}

export interface CursorTally {
  seq: number;
  pages: number;
  changes: number;
  written: number;
  deleted: number;
  unchanged: number;
  contentFetched: number;
  bytes: number;
  storedBytes: number;
  /** Items whose content could not be read: kept at their last good version and tried again next run. */
  skipped: number;
  requests: number;
  throttled: number;
}

/** A cursor as the sync engine handles it; the store adds the id and timestamp. */
export type CursorState = Omit<Cursor, 'id' | 'updatedAt'>;

export class CursorStore {
  private readonly container: Container;

  constructor(database: Database) {
    this.container = database.container('cursors');
  }

  async get(protectedItemId: string, containerId: string): Promise<Cursor | undefined> {
    const { resource } = await this.container
      .item(headId(protectedItemId, 'cursor', containerId), protectedItemId)
      .read<Cursor>();
    return resource ?? undefined;
  }

  async save(cursor: CursorState, now: Date): Promise<void> {
    await this.container.items.upsert<Cursor>({
      ...cursor,
      id: headId(cursor.protectedItemId, 'cursor', cursor.containerId),
      updatedAt: now.toISOString(),
    });
  }

  /** Forgets a container that no longer exists (a deleted folder, once its items are recorded as deleted). */
  async delete(protectedItemId: string, containerId: string): Promise<void> {
    await this.container
      .item(headId(protectedItemId, 'cursor', containerId), protectedItemId)
      .delete()
      .catch((e: { code?: number }) => {
        if (e.code !== 404) throw e;
      });
  }

  /** The item's cursors (not the skipped items that share their container). */
  async list(protectedItemId: string): Promise<Cursor[]> {
    const { resources } = await this.container.items
      .query<Cursor>(
        {
          query: 'SELECT * FROM c WHERE c.protectedItemId = @p AND NOT IS_DEFINED(c.type)',
          parameters: [{ name: '@p', value: protectedItemId }],
        },
        { partitionKey: protectedItemId },
      )
      .fetchAll();
    return resources;
  }
}
