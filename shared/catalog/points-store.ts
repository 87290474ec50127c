import { Container, Database } from '@azure/cosmos';
import type { Alarm } from '../domain/alarms';
import type { ContainerRef } from '../backup/point-steps';
import { withoutSystem } from '../inventory/inventory-store';

/** `pruning`: chosen by retention, refused by the APIs, removed once no operation reads it (retention/COLLECTION.md). */
export type PointStatus = 'running' | 'success' | 'warning' | 'partial' | 'failed' | 'stopped' | 'pruning';

export interface ContainerReport {
  status: 'done' | 'failed' | 'stopped';
  written: number;
  deleted: number;
  bytes: number;
  storedBytes: number;
  graphRequests?: number;
  throttled?: number;
  skipped?: number;
}

/** An item the point could not read, by name, with why (the full list; alarms name the first few). */
export interface SkippedEntry {
  containerId: string;
  itemId: string;
  name: string;
  code: string;
  reason: string;
}

/** One protected item's state in one run. Complete only when every container in it is. */
export interface RecoveryPointDoc {
  id: string;
  accountId: string;
  protectedItemId: string;
  jobId: string;
  runId: string;
  seq: number;
  status: PointStatus;
  startedAt: string;
  completedAt?: string;
  /** When retention chose the point (status `pruning`). */
  prunedAt?: string;
  containers: Record<string, ContainerReport>;
  alarms: Alarm[];
  skipped?: SkippedEntry[];
  /** While running: the containers listed for the point, and the alarms of those synced so far. */
  containerRefs?: ContainerRef[];
  containerAlarms?: Record<string, Alarm>;
}

export interface RunDoc {
  id: string;
  accountId: string;
  jobId: string;
  trigger: 'schedule' | 'manual' | 'chained';
  status: 'running' | 'success' | 'warning' | 'failed' | 'stopped';
  startedAt: string;
  endedAt?: string;
  items: number;
  /** The protected items of the run in priority order, paged to the orchestrator. */
  itemIds?: string[];
  summary?: Record<string, number>;
  alarms: Alarm[];
  reason?: string;
}

/** Unique account-wide (not only within the item's partition), like every catalog id. */
export const pointId = (protectedItemId: string, runId: string): string => `${runId}|${protectedItemId}`;

export class PointsStore {
  readonly points: Container;
  readonly runs: Container;

  constructor(database: Database) {
    this.points = database.container('recoveryPoints');
    this.runs = database.container('runs');
  }

  async getPoint(accountId: string, protectedItemId: string, runId: string): Promise<RecoveryPointDoc | undefined> {
    const { resource } = await this.points
      .item(pointId(protectedItemId, runId), [accountId, protectedItemId])
      .read<RecoveryPointDoc>();
    return resource ? withoutSystem(resource) : undefined;
  }

  async savePoint(doc: RecoveryPointDoc): Promise<void> {
    await this.points.items.upsert(doc);
  }

  async deletePoint(doc: Pick<RecoveryPointDoc, 'id' | 'accountId' | 'protectedItemId'>): Promise<void> {
    await this.points
      .item(doc.id, [doc.accountId, doc.protectedItemId])
      .delete()
      .catch((e: { code?: number }) => {
        if (e.code !== 404) throw e;
      });
  }

  async listPoints(accountId: string, protectedItemId: string): Promise<RecoveryPointDoc[]> {
    const { resources } = await this.points.items
      .query<RecoveryPointDoc>(
        {
          query: 'SELECT * FROM c WHERE c.accountId = @a AND c.protectedItemId = @p ORDER BY c.seq DESC',
          parameters: [
            { name: '@a', value: accountId },
            { name: '@p', value: protectedItemId },
          ],
        },
        { partitionKey: [accountId, protectedItemId] },
      )
      .fetchAll();
    return resources.map(withoutSystem);
  }

  async pointsOfRun(accountId: string, runId: string): Promise<RecoveryPointDoc[]> {
    const { resources } = await this.points.items
      .query<RecoveryPointDoc>({
        query: 'SELECT * FROM c WHERE c.accountId = @a AND c.runId = @r',
        parameters: [
          { name: '@a', value: accountId },
          { name: '@r', value: runId },
        ],
      })
      .fetchAll();
    return resources.map(withoutSystem);
  }

  async getRun(accountId: string, jobId: string, runId: string): Promise<RunDoc | undefined> {
    const { resource } = await this.runs.item(runId, [accountId, jobId]).read<RunDoc>();
    return resource ? withoutSystem(resource) : undefined;
  }

  async saveRun(doc: RunDoc): Promise<void> {
    await this.runs.items.upsert(doc);
  }

  async listRuns(accountId: string, jobId: string): Promise<RunDoc[]> {
    const { resources } = await this.runs.items
      .query<RunDoc>(
        {
          query: 'SELECT * FROM c WHERE c.accountId = @a AND c.jobId = @j ORDER BY c.startedAt DESC',
          parameters: [
            { name: '@a', value: accountId },
            { name: '@j', value: jobId },
          ],
        },
        { partitionKey: [accountId, jobId] },
      )
      .fetchAll();
    return resources.map(withoutSystem);
  }
}
