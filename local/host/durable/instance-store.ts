// Durable state in Azure Storage, as the Azure Storage provider keeps it: one append blob per execution holds the
// history log (an episode is one atomic append, so a host killed at any moment leaves a consistent log), and a
// Table row per instance indexes status for queries.
import { TableClient } from '@azure/data-tables';
import { ContainerClient, RestError } from '@azure/storage-blob';
import type { HistoryEvent, RuntimeStatus } from './history';

export interface RetryState {
  kind: 'activity' | 'subOrchestration';
  name: string;
  input: unknown;
  instanceId?: string;
  attempt: number;
  maxAttempts: number;
  firstRetryMs: number;
  backoff: number;
  maxRetryMs: number;
  /** The sequence id of the attempt in flight, or of the timer being waited on. */
  currentId: number;
  waitingOnTimer: boolean;
}

/** The host's bookkeeping after an episode: what a restart needs besides the history itself. */
export interface Bookkeeping {
  allocated: number;
  /** `actionType:name` of every leaf action scheduled so far, in sequence order, for non-determinism checks. */
  leaves: string[];
  /** The sequence id each leaf action got (-1 for actions that take none). */
  leafIds: number[];
  retries: RetryState[];
}

export type LogRecord =
  | {
      r: 'start';
      name: string;
      instanceId: string;
      executionId: string;
      input: unknown;
      parent?: { instanceId: string; taskId: number };
      createdTime: string;
    }
  | { r: 'in'; key: string; event: HistoryEvent }
  | {
      r: 'ep';
      consumed: string[];
      events: HistoryEvent[];
      book: Bookkeeping;
      status: RuntimeStatus;
      output?: unknown;
      customStatus?: unknown;
    };

export interface InstanceRow {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input: string;
  output: string;
  customStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
}

/**
 * A Table string property holds at most 32K UTF-16 characters. Like the provider's tracking store, a longer input or
 * output goes to a blob beside the history log, and the row keeps its name in `<property>BlobName`.
 */
const MAX_PROPERTY_CHARS = 30 * 1024;
const SPILLABLE = ['input', 'output'] as const;

export class InstanceStore {
  /** Spilled blobs written by this host: an execution's input never changes, and its output is set once. */
  private readonly spilled = new Set<string>();

  constructor(
    private readonly blobs: ContainerClient,
    private readonly table: TableClient,
  ) {}

  async init(): Promise<void> {
    await this.blobs.createIfNotExists();
    try {
      await this.table.createTable();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 409) throw e;
    }
  }

  private logName = (instanceId: string, executionId: string): string =>
    `${encodeURIComponent(instanceId)}/${executionId}.log`;

  async append(instanceId: string, executionId: string, records: LogRecord[]): Promise<void> {
    const blob = this.blobs.getAppendBlobClient(this.logName(instanceId, executionId));
    const body = Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''));
    try {
      await blob.appendBlock(body, body.length);
    } catch (e) {
      if (!(e instanceof RestError && e.statusCode === 404)) throw e;
      await blob.createIfNotExists();
      await blob.appendBlock(body, body.length);
    }
  }

  async read(instanceId: string, executionId: string): Promise<LogRecord[]> {
    const blob = this.blobs.getBlobClient(this.logName(instanceId, executionId));
    try {
      const text = (await blob.downloadToBuffer()).toString('utf8');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogRecord);
    } catch (e) {
      if (e instanceof RestError && e.statusCode === 404) return [];
      throw e;
    }
  }

  async putRow(row: InstanceRow): Promise<void> {
    const entity: Record<string, unknown> = { partitionKey: row.instanceId, rowKey: '', ...row };
    for (const p of SPILLABLE) {
      if (row[p].length <= MAX_PROPERTY_CHARS) continue;
      const name = `${encodeURIComponent(row.instanceId)}/${row.executionId}.${p}.json`;
      if (!this.spilled.has(name)) await this.blobs.getBlockBlobClient(name).upload(row[p], Buffer.byteLength(row[p]));
      this.spilled.add(name);
      entity[p] = '';
      entity[`${p}BlobName`] = name;
    }
    await this.table.upsertEntity(entity as { partitionKey: string; rowKey: string }, 'Replace');
  }

  async getRow(instanceId: string): Promise<InstanceRow | undefined> {
    try {
      return await this.unspill(await this.table.getEntity<Record<string, unknown>>(instanceId, ''));
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  async *rows(): AsyncGenerator<InstanceRow> {
    for await (const e of this.table.listEntities<Record<string, unknown>>()) yield await this.unspill(e);
  }

  private async unspill(entity: Record<string, unknown>): Promise<InstanceRow> {
    const row = { ...entity };
    for (const p of SPILLABLE) {
      const name = row[`${p}BlobName`];
      if (typeof name !== 'string') continue;
      row[p] = (await this.blobs.getBlobClient(name).downloadToBuffer()).toString('utf8');
      delete row[`${p}BlobName`];
    }
    return row as unknown as InstanceRow;
  }

  async purge(instanceId: string): Promise<boolean> {
    const row = await this.getRow(instanceId);
    if (!row) return false;
    for await (const b of this.blobs.listBlobsFlat({ prefix: `${encodeURIComponent(instanceId)}/` }))
      await this.blobs.deleteBlob(b.name);
    await this.table.deleteEntity(instanceId, '');
    return true;
  }
}
