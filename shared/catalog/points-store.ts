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
  /**
   * While running: the totals so far of a container that takes more than one sync step (a large drive or folder),
   * written at its step boundaries so a run's progress moves between the chunk records.
   */
  inFlight?: { containerId: string; written: number; bytes: number };
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
  /** An administrator asked the run to stop (POST …/runs/{runId}/stop): it ends at its next step boundary. */
  stopRequested?: { at: string; by: { id: string; name?: string } };
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

  /**
   * Read-modify-write of an existing run under its ETag, read again when another writer got there first: the run's
   * steps and a stop request (written by the API while the run goes on) never overwrite each other. `change` may
   * say no (undefined); answers the run as written, or undefined when it has no record. Retention runs share the
   * container under a job id of their own, hence the document type.
   */
  async updateRun<D extends Pick<RunDoc, 'accountId' | 'jobId' | 'id'> = RunDoc>(
    ref: Pick<RunDoc, 'accountId' | 'jobId' | 'id'>,
    change: (run: D) => D | undefined,
  ): Promise<D | undefined> {
    for (;;) {
      const { resource, etag } = await this.runs.item(ref.id, [ref.accountId, ref.jobId]).read<D>();
      if (!resource) return undefined;
      const next = change(withoutSystem(resource));
      if (!next) return withoutSystem(resource);
      try {
        await this.runs
          .item(ref.id, [ref.accountId, ref.jobId])
          .replace(next, { accessCondition: { type: 'IfMatch', condition: etag } });
        return next;
      } catch (e) {
        if ((e as { code?: number }).code !== 412) throw e;
      }
    }
  }

  /** The job's latest run that ended `success` or `warning` (what a recovery point objective counts). */
  async lastGoodRun(accountId: string, jobId: string): Promise<RunDoc | undefined> {
    const { resources } = await this.runs.items
      .query<RunDoc>(
        {
          query:
            "SELECT TOP 1 * FROM c WHERE c.accountId = @a AND c.jobId = @j AND c.status IN ('success', 'warning') ORDER BY c.startedAt DESC",
          parameters: [
            { name: '@a', value: accountId },
            { name: '@j', value: jobId },
          ],
        },
        { partitionKey: [accountId, jobId] },
      )
      .fetchAll();
    return resources[0] && withoutSystem(resources[0]);
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
