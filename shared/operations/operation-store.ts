// Restore and difference-report jobs in Cosmos DB (`operations`, partition /accountId). One such job runs at a time
// per account, guarded by a lock document written only with conditional writes (create if absent, replace or delete
// if unchanged since read), so two starts racing each other cannot both win. A new lock holds a start lease: the job
// record is written after the lock, and the job's orchestration claims the lock (ending the lease) before doing any
// work. So a start that dies after taking the lock blocks the account only until the lease expires, and a job whose
// lock was taken over meanwhile never runs. A claimed lock holds while its job's record says running and, when the
// starter can ask (Liveness), its orchestration is not over.
// Finished jobs are kept 5 days (document TTL from completion); running ones never expire. Exports only read, so they
// take no lock (`create`): any number may run beside a restore.
import { randomUUID } from 'node:crypto';
import { Container, Database } from '@azure/cosmos';
import { withoutSystem } from '../inventory/inventory-store';

export type OperationKind = 'restore' | 'differenceReport' | 'export';
export type OperationStatus = 'running' | 'completed' | 'completedWithWarnings' | 'failed' | 'cancelled';

export interface ItemResult {
  itemId: string;
  name: string;
  outcome: 'restored' | 'renamed' | 'overwritten' | 'skipped' | 'failed';
  reason?: string;
  newId?: string;
}

export interface OperationDoc {
  id: string;
  accountId: string;
  type: 'operation';
  kind: OperationKind;
  status: OperationStatus;
  /** The validated request, as the API received it. */
  request: Record<string, unknown>;
  requestedBy: { id: string; name: string };
  createdAt: string;
  endedAt?: string;
  cancelRequested?: boolean;
  /** Batches whose results are counted (a retried batch is not counted twice). */
  batchesDone?: number;
  counts: { total: number; restored: number; skipped: number; failed: number };
  /** Failed items with reasons (all of them: admins need the list); successes are counted, not listed. */
  failures: ItemResult[];
  /** Difference reports: added / removed / changed counts. */
  summary?: Record<string, number>;
  message?: string;
  /** Seconds to keep after completion; -1 while running (never expires). */
  ttl: number;
}

interface LockDoc {
  id: 'lock';
  accountId: string;
  type: 'operationLock';
  operationId: string;
  kind: OperationKind;
  startedAt: string;
  /** Until the job claims the lock: a start that never launched its job holds the account no longer than this. */
  leaseUntil?: string;
}

export const KEEP_SECONDS = 5 * 24 * 3600;
/** Long enough for a queued orchestration to reach its first activity on a cold or busy app. */
export const START_LEASE_MS = 10 * 60_000;
/** Each retry follows another starter's successful write, so running out means heavy churn: answered as busy. */
const ATTEMPTS = 10;
const code = (e: unknown): number | undefined => (e as { code?: number }).code;

const NOT_STARTED = `The job did not start within ${START_LEASE_MS / 60_000} minutes. Start it again.`;
interface Stale {
  doc: OperationDoc;
  reason: string;
}

const keepCancel = (doc: OperationDoc, current: OperationDoc): OperationDoc =>
  current.cancelRequested ? { ...doc, cancelRequested: true } : doc;

export type Holder = Pick<OperationDoc, 'id' | 'kind' | 'createdAt'>;
export interface NewJob {
  accountId: string;
  kind: OperationKind;
  request: Record<string, unknown>;
  requestedBy: OperationDoc['requestedBy'];
}
/**
 * Whether a job that claimed its lock still runs (its orchestration is not over): false only when certain. Without
 * it, a job whose orchestration ended without recording its end would hold the account for good.
 */
export type Liveness = (job: Holder) => Promise<boolean>;
const holderOf = (lock: LockDoc): Holder => ({ id: lock.operationId, kind: lock.kind, createdAt: lock.startedAt });

export class OperationBusy extends Error {
  constructor(readonly running: Holder) {
    super(
      `Another ${running.kind === 'restore' ? 'restore' : 'difference report'} job (${running.id}, started ${running.createdAt}) is running for this account; only one restore or difference report job can run at a time. Wait for it to finish or cancel it.`,
    );
  }
}

export class OperationStore {
  readonly container: Container;

  constructor(database: Database) {
    this.container = database.container('operations');
  }

  /**
   * Takes the account's lock (with a start lease) and creates the job, or throws OperationBusy naming the job that
   * holds the lock. The caller launches the job, whose first step must be `claim`; `launch` does both.
   */
  async start(job: NewJob, now: Date, alive?: Liveness): Promise<OperationDoc> {
    return (await this.begin(job, now, alive)).doc;
  }

  /**
   * Starts a job and runs `run` (which launches it). If that fails, the job ends as failed and frees the account,
   * unless it claimed the lock meanwhile (launched after all, as a timed-out request may have): it then runs.
   */
  async launch(
    job: NewJob,
    now: Date,
    run: (op: OperationDoc) => Promise<void>,
    alive?: Liveness,
  ): Promise<OperationDoc> {
    const { accountId } = job;
    const { doc, etag } = await this.begin(job, now, alive);
    try {
      await run(doc);
    } catch (e) {
      // Taking the lock back first means a late claim can no longer succeed once the job is marked failed.
      if ((await this.release(accountId, etag)) || (await this.lockOf(accountId)).resource?.operationId !== doc.id) {
        await this.end(doc, 'failed', now, 'The job could not be started. Start it again.');
      }
      throw e;
    }
    return doc;
  }

  /** Creates a job that holds no lock and runs `run` (which launches it); a launch that fails ends it as failed. */
  async create(job: NewJob, now: Date, run: (op: OperationDoc) => Promise<void>): Promise<OperationDoc> {
    const doc = this.newDoc(job, now);
    await this.container.items.create(doc);
    try {
      await run(doc);
    } catch (e) {
      await this.end(doc, 'failed', now, 'The job could not be started. Start it again.');
      throw e;
    }
    return doc;
  }

  private newDoc({ accountId, kind, request, requestedBy }: NewJob, now: Date): OperationDoc {
    return {
      id: randomUUID(),
      accountId,
      type: 'operation',
      kind,
      status: 'running',
      request,
      requestedBy,
      createdAt: now.toISOString(),
      counts: { total: 0, restored: 0, skipped: 0, failed: 0 },
      failures: [],
      ttl: -1,
    };
  }

  private async begin(job: NewJob, now: Date, alive?: Liveness): Promise<{ doc: OperationDoc; etag: string }> {
    const { accountId, kind } = job;
    const doc = this.newDoc(job, now);
    const lock: LockDoc = {
      id: 'lock',
      accountId,
      type: 'operationLock',
      operationId: doc.id,
      kind,
      startedAt: doc.createdAt,
      leaseUntil: new Date(now.getTime() + START_LEASE_MS).toISOString(),
    };
    const { etag, stale } = await this.acquire(lock, now, alive);
    try {
      // The job whose lock this start took over must not stay 'running' (a late claim would fail it too).
      if (stale) await this.finish(stale.doc, 'failed', now, stale.reason);
      await this.container.items.create(doc);
    } catch (e) {
      await this.release(accountId, etag);
      throw e;
    }
    return { doc, etag };
  }

  /**
   * The job's first step: ends the start lease, so the lock holds until the job ends. False when the job lost its
   * lock (its lease expired and another job took the account) or has already ended: it must not run, and is failed.
   */
  async claim(op: Pick<OperationDoc, 'id' | 'accountId'>, now: Date): Promise<boolean> {
    for (;;) {
      const [held, doc] = await Promise.all([this.lockOf(op.accountId), this.find(op.accountId, op.id)]);
      if (held.resource?.operationId !== op.id || doc?.status !== 'running') {
        if (doc?.status === 'running') await this.finish(doc, 'failed', now, NOT_STARTED);
        return false;
      }
      if (held.resource.leaseUntil === undefined) return true;
      const { leaseUntil: _ended, ...claimed } = withoutSystem(held.resource);
      try {
        await this.container
          .item('lock', op.accountId)
          .replace(claimed, { accessCondition: { type: 'IfMatch', condition: held.etag } });
        return true;
      } catch (e) {
        if (code(e) !== 412 && code(e) !== 404) throw e;
      }
    }
  }

  /** Writes `lock` if the account's lock is absent or stale; returns its ETag, and the job it replaced if running. */
  private async acquire(lock: LockDoc, now: Date, alive?: Liveness): Promise<{ etag: string; stale?: Stale }> {
    let seen: LockDoc | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        return { etag: (await this.container.items.create(lock)).etag };
      } catch (e) {
        if (code(e) !== 409) throw e;
      }
      const held = await this.lockOf(lock.accountId);
      if (!held.resource) continue;
      seen = held.resource;
      const holder = await this.holder(seen, now, alive);
      if (holder === 'live') throw new OperationBusy(holderOf(seen));
      try {
        const ifMatch = { accessCondition: { type: 'IfMatch', condition: held.etag } };
        const { etag } = await this.container.item('lock', lock.accountId).replace(lock, ifMatch);
        return { etag, ...(holder ? { stale: holder } : {}) };
      } catch (e) {
        if (code(e) !== 412 && code(e) !== 404) throw e;
      }
    }
    throw new OperationBusy(holderOf(seen ?? lock));
  }

  /** 'live' if the lock still holds; otherwise the holder's record, with why, if it still says running. */
  private async holder(lock: LockDoc, now: Date, alive?: Liveness): Promise<'live' | Stale | undefined> {
    const doc = await this.find(lock.accountId, lock.operationId);
    if (doc && doc.status !== 'running') return undefined;
    // Within the lease the record may not exist yet (it is written after the lock); after it, one written late
    // belongs to a job that can no longer claim the lock.
    if (lock.leaseUntil !== undefined && lock.leaseUntil > now.toISOString()) return 'live';
    if (!doc) return undefined;
    if (lock.leaseUntil !== undefined) return { doc, reason: NOT_STARTED };
    if (!alive || (await alive(holderOf(lock)))) return 'live';
    return {
      doc,
      reason: 'The job stopped without recording its end (its orchestration failed or was terminated). Start it again.',
    };
  }

  private lockOf(accountId: string) {
    return this.container.item('lock', accountId).read<LockDoc>();
  }

  /** Deletes the lock if unchanged since it had `etag`: true when it is gone, false when someone changed it. */
  private async release(accountId: string, etag: string): Promise<boolean> {
    try {
      await this.container.item('lock', accountId).delete({ accessCondition: { type: 'IfMatch', condition: etag } });
      return true;
    } catch (e) {
      if (code(e) === 412) return false;
      if (code(e) === 404) return true;
      throw e;
    }
  }

  async find(accountId: string, id: string): Promise<OperationDoc | undefined> {
    if (id === 'lock') return undefined;
    const { resource } = await this.container.item(id, accountId).read<OperationDoc>();
    return resource && resource.type === 'operation' ? withoutSystem(resource) : undefined;
  }

  async list(accountId: string, kind: OperationKind): Promise<OperationDoc[]> {
    const { resources } = await this.container.items
      .query<OperationDoc>(
        {
          query:
            "SELECT * FROM c WHERE c.type = 'operation' AND c.accountId = @a AND c.kind = @k ORDER BY c.createdAt DESC",
          parameters: [
            { name: '@a', value: accountId },
            { name: '@k', value: kind },
          ],
        },
        { partitionKey: accountId },
      )
      .fetchAll();
    return resources.map(withoutSystem);
  }

  /** Records a running job's progress; keeps a cancel request made since `doc` was read, and never undoes an end. */
  async update(doc: OperationDoc): Promise<void> {
    await this.write(doc.accountId, doc.id, (current) =>
      current.status === 'running' ? keepCancel(doc, current) : undefined,
    );
  }

  async requestCancel(accountId: string, id: string): Promise<OperationDoc | undefined> {
    const doc = await this.write(accountId, id, (current) =>
      current.status === 'running' && !current.cancelRequested ? { ...current, cancelRequested: true } : undefined,
    );
    return doc && { ...doc, cancelRequested: doc.status === 'running' };
  }

  /**
   * Records the end (kept 5 days from now) unless the job already ended (the first end stands), and releases the
   * account's lock if this job still holds it (also when a crash came between the end and the release).
   */
  async finish(doc: OperationDoc, status: OperationStatus, now: Date, message?: string): Promise<OperationDoc> {
    const stored = await this.end(doc, status, now, message);
    const held = await this.lockOf(doc.accountId);
    if (held.resource?.operationId === doc.id) await this.release(doc.accountId, held.etag);
    return stored;
  }

  private async end(doc: OperationDoc, status: OperationStatus, now: Date, message?: string): Promise<OperationDoc> {
    const done: OperationDoc = {
      ...doc,
      status,
      endedAt: now.toISOString(),
      ttl: KEEP_SECONDS,
      ...(message ? { message } : {}),
    };
    return (
      (await this.write(doc.accountId, doc.id, (current) =>
        current.status === 'running' ? keepCancel(done, current) : undefined,
      )) ?? done
    );
  }

  /**
   * Replaces the job's record with `next(current)` if it is unchanged since read (retrying otherwise); `next`
   * returning undefined leaves it as it is. Returns the record as it then stands (undefined if there is none).
   */
  private async write(
    accountId: string,
    id: string,
    next: (current: OperationDoc) => OperationDoc | undefined,
  ): Promise<OperationDoc | undefined> {
    for (;;) {
      const { resource, etag } = await this.container.item(id, accountId).read<OperationDoc>();
      if (!resource || resource.type !== 'operation') return undefined;
      const current = withoutSystem(resource);
      const doc = next(current);
      if (!doc) return current;
      try {
        await this.container
          .item(id, accountId)
          .replace(doc, { accessCondition: { type: 'IfMatch', condition: etag } });
        return doc;
      } catch (e) {
        if (code(e) !== 412) throw e;
      }
    }
  }
}
