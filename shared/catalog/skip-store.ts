// Items a backup could not read (malware, refused, kept failing): one document each beside the cursors (same
// container and partition), holding the Graph item as the delta page listed it so the next run can try it again
// without a delta change. A skip is cleared when the item is stored or recorded as deleted.
import { Container, Database } from '@azure/cosmos';
import { headId } from './version-doc';
import { CHANGED_WHILE_DOWNLOADING } from '../domain/alarms';
import type { GraphItem } from '../backup/workloads/workload';

export interface SkippedItem {
  id: string;
  type: 'skipped';
  protectedItemId: string;
  containerId: string;
  itemId: string;
  /** What an administrator recognises: the subject or file name. */
  name: string;
  code: string;
  reason: string;
  transient: boolean;
  status?: number;
  requestId?: string;
  /** The recovery points in which the item was first and last skipped; attempts counts runs, not requests. */
  firstSeq: number;
  lastSeq: number;
  attempts: number;
  /**
   * A large file part-way downloaded when its activity's time was up: tried again at every step of the run, not
   * only once per run, and reported by the point only if the run ends before it is stored.
   */
  inProgress?: boolean;
  /** In progress: bytes staged at the end of the last step, the most staged in this run, and steps since that grew. */
  staged?: number;
  best?: number;
  stalls?: number;
  item: GraphItem;
  updatedAt: string;
}

export type SkipInput = Pick<
  SkippedItem,
  'protectedItemId' | 'containerId' | 'itemId' | 'name' | 'code' | 'reason' | 'transient' | 'item'
> &
  Partial<Pick<SkippedItem, 'status' | 'requestId' | 'inProgress' | 'staged'>>;

/**
 * Steps in a row a file in progress may end without having staged more than it once had in this run (it changed
 * and started over) before the run leaves it to the next: a file that changes faster than it downloads would
 * otherwise keep its run from ever ending.
 */
export const IN_PROGRESS_STALLS = 5;

const skipId = (protectedItemId: string, containerId: string, itemId: string): string =>
  `skip-${headId(protectedItemId, containerId, itemId)}`;

export class SkipStore {
  private readonly container: Container;

  constructor(database: Database) {
    this.container = database.container('cursors');
  }

  /** The container's skipped items not yet tried again in recovery point `seq`, and its files in progress. */
  async due(protectedItemId: string, containerId: string, seq: number): Promise<SkippedItem[]> {
    return this.query(protectedItemId, 'c.containerId = @c AND (c.lastSeq < @s OR c.inProgress = true)', {
      '@c': containerId,
      '@s': seq,
    });
  }

  /** Whether the container has a file part-way downloaded (its sync is not done until it is stored). */
  async inProgress(protectedItemId: string, containerId: string): Promise<boolean> {
    return (
      (await this.query(protectedItemId, 'c.containerId = @c AND c.inProgress = true', { '@c': containerId })).length >
      0
    );
  }

  /** The container's skipped items, whatever their point: id → whether it is a file in progress. */
  async itemIds(protectedItemId: string, containerId: string): Promise<Map<string, boolean>> {
    return new Map(
      (await this.query(protectedItemId, 'c.containerId = @c', { '@c': containerId })).map((s) => [
        s.itemId,
        s.inProgress === true,
      ]),
    );
  }

  /**
   * The items skipped in recovery point `seq`, across containers (what the point reports once its run ends; a file
   * still in progress then keeps its previous version, and the next run goes on from where this one stopped).
   */
  async skippedIn(protectedItemId: string, seq: number): Promise<SkippedItem[]> {
    return this.query(protectedItemId, 'c.lastSeq = @s', { '@s': seq });
  }

  /**
   * Records a skip in point `seq`; recording it again in the same point (a redone page) changes nothing. Returns
   * whether a file in progress was given up for this run (it kept starting over): it is then an ordinary skip.
   */
  async record(s: SkipInput, seq: number, now: Date): Promise<boolean> {
    const id = skipId(s.protectedItemId, s.containerId, s.itemId);
    const { resource: prior } = await this.container.item(id, s.protectedItemId).read<SkippedItem>();
    const attempts = prior ? prior.attempts + (prior.lastSeq < seq ? 1 : 0) : 1;
    let entry: SkipInput & Partial<Pick<SkippedItem, 'best' | 'stalls'>> = s;
    if (s.inProgress && s.staged !== undefined) {
      const sameRun = prior?.inProgress === true && prior.lastSeq === seq;
      const best = sameRun ? (prior.best ?? 0) : 0;
      const stalls = sameRun && s.staged <= best ? (prior.stalls ?? 0) + 1 : 0;
      entry =
        stalls >= IN_PROGRESS_STALLS
          ? {
              ...s,
              inProgress: false,
              code: CHANGED_WHILE_DOWNLOADING,
              reason: `it kept changing while it was being downloaded (started over ${stalls} times; ${s.staged} bytes stored at the last try), so the next run goes on with it`,
            }
          : { ...s, best: Math.max(best, s.staged), stalls };
    }
    await this.container.items.upsert<SkippedItem>({
      ...entry,
      id,
      type: 'skipped',
      firstSeq: prior?.firstSeq ?? seq,
      lastSeq: seq,
      attempts,
      updatedAt: now.toISOString(),
    });
    return s.inProgress === true && entry.inProgress === false;
  }

  async clear(protectedItemId: string, containerId: string, itemId: string): Promise<void> {
    await this.container
      .item(skipId(protectedItemId, containerId, itemId), protectedItemId)
      .delete()
      .catch((e: { code?: number }) => {
        if (e.code !== 404) throw e;
      });
  }

  /** A container that no longer exists owes nothing. */
  async forget(protectedItemId: string, containerId: string): Promise<void> {
    for (const s of await this.query(protectedItemId, 'c.containerId = @c', { '@c': containerId }))
      await this.clear(protectedItemId, containerId, s.itemId);
  }

  private async query(
    protectedItemId: string,
    where: string,
    params: Record<string, string | number>,
  ): Promise<SkippedItem[]> {
    const { resources } = await this.container.items
      .query<SkippedItem>(
        {
          query: `SELECT * FROM c WHERE c.type = 'skipped' AND c.protectedItemId = @p AND ${where}`,
          parameters: [
            { name: '@p', value: protectedItemId },
            ...Object.entries(params).map(([name, value]) => ({ name, value })),
          ],
        },
        { partitionKey: protectedItemId },
      )
      .fetchAll();
    return resources;
  }
}
