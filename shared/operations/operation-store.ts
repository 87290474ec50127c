// Restore and difference-report jobs in Cosmos DB (`operations`, partition /accountId). One such job runs at a time
// per account, guarded by a lock document created only if absent, so two starts racing each other cannot both win.
// Finished jobs are kept 5 days (document TTL from completion); running ones never expire.
import { randomUUID } from 'node:crypto';
import { Container, Database } from '@azure/cosmos';
import { withoutSystem } from '../inventory/inventory-store';

export type OperationKind = 'restore' | 'differenceReport';
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

interface LockDoc { id: 'lock'; accountId: string; type: 'operationLock'; operationId: string; kind: OperationKind; startedAt: string }

export const KEEP_SECONDS = 5 * 24 * 3600;
const code = (e: unknown): number | undefined => (e as { code?: number }).code;

export class OperationBusy extends Error {
  constructor(readonly running: Pick<OperationDoc, 'id' | 'kind' | 'createdAt'>) {
    super(`Another ${running.kind === 'restore' ? 'restore' : 'difference report'} job (${running.id}, started ${running.createdAt}) is running for this account; only one restore or difference report job can run at a time. Wait for it to finish or cancel it.`);
  }
}

export class OperationStore {
  readonly container: Container;

  constructor(database: Database) {
    this.container = database.container('operations');
  }

  /** Creates the job and takes the account's lock, or throws OperationBusy naming the job that holds it. */
  async start(accountId: string, kind: OperationKind, request: Record<string, unknown>, requestedBy: OperationDoc['requestedBy'], now: Date): Promise<OperationDoc> {
    const doc: OperationDoc = {
      id: randomUUID(), accountId, type: 'operation', kind, status: 'running', request, requestedBy, createdAt: now.toISOString(),
      counts: { total: 0, restored: 0, skipped: 0, failed: 0 }, failures: [], ttl: -1,
    };
    const lock: LockDoc = { id: 'lock', accountId, type: 'operationLock', operationId: doc.id, kind, startedAt: doc.createdAt };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.container.items.create(lock);
        break;
      } catch (e) {
        if (code(e) !== 409 || attempt > 2) throw e;
        const held = await this.container.item('lock', accountId).read<LockDoc>();
        if (!held.resource) continue;
        const holder = await this.find(accountId, held.resource.operationId);
        // A lock whose job ended (a crash between the end and the release) is stale: take it over, atomically.
        if (holder?.status === 'running') throw new OperationBusy(holder);
        try {
          await this.container.item('lock', accountId).replace(lock, { accessCondition: { type: 'IfMatch', condition: held.etag! } });
          break;
        } catch (r) {
          if (code(r) !== 412) throw r;
        }
      }
    }
    await this.container.items.create(doc);
    return doc;
  }

  async find(accountId: string, id: string): Promise<OperationDoc | undefined> {
    if (id === 'lock') return undefined;
    const { resource } = await this.container.item(id, accountId).read<OperationDoc>();
    return resource && resource.type === 'operation' ? withoutSystem(resource) : undefined;
  }

  async list(accountId: string, kind: OperationKind): Promise<OperationDoc[]> {
    const { resources } = await this.container.items
      .query<OperationDoc>({ query: "SELECT * FROM c WHERE c.type = 'operation' AND c.accountId = @a AND c.kind = @k ORDER BY c.createdAt DESC", parameters: [{ name: '@a', value: accountId }, { name: '@k', value: kind }] }, { partitionKey: accountId })
      .fetchAll();
    return resources.map(withoutSystem);
  }

  async update(doc: OperationDoc): Promise<void> {
    await this.container.items.upsert(doc);
  }

  async requestCancel(accountId: string, id: string): Promise<OperationDoc | undefined> {
    const doc = await this.find(accountId, id);
    if (!doc) return undefined;
    if (doc.status === 'running') await this.update({ ...doc, cancelRequested: true });
    return { ...doc, cancelRequested: doc.status === 'running' };
  }

  /** Records the end (kept 5 days from now) and releases the account's lock if this job still holds it. */
  async finish(doc: OperationDoc, status: OperationStatus, now: Date, message?: string): Promise<OperationDoc> {
    const done: OperationDoc = { ...doc, status, endedAt: now.toISOString(), ttl: KEEP_SECONDS, ...(message ? { message } : {}) };
    await this.update(done);
    const held = await this.container.item('lock', doc.accountId).read<LockDoc>();
    if (held.resource?.operationId === doc.id) {
      try {
        await this.container.item('lock', doc.accountId).delete({ accessCondition: { type: 'IfMatch', condition: held.etag! } });
      } catch (e) {
        if (code(e) !== 404 && code(e) !== 412) throw e;
      }
    }
    return done;
  }
}
