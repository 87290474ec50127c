import { randomUUID } from 'node:crypto';
import { Container, Database, ItemDefinition } from '@azure/cosmos';
import {
  AccountDoc,
  AccountInput,
  Deletion,
  JobDoc,
  JobInput,
  ProtectedItemDoc,
  RepositoryDoc,
  RepositoryInput,
} from './schemas';
import type { PreflightReport } from '../preflight/report';

const SYSTEM = new Set(['_rid', '_self', '_etag', '_attachments', '_ts']);
export const withoutSystem = <T>(d: T): T =>
  Object.fromEntries(Object.entries(d as object).filter(([k]) => !SYSTEM.has(k))) as T;

/** A conditional write refused: the document changed since the caller read it (its `If-Match` ETag is stale). */
export class PreconditionFailed extends Error {
  constructor(readonly what: string) {
    super(`The ${what} changed since it was read (If-Match no longer matches its ETag); read it again.`);
    this.name = 'PreconditionFailed';
  }
}

/** Tombstoned documents (deleted jobs and accounts) stay readable to retention only. */
export interface Lookup {
  withDeleted?: boolean;
}

/** A document as read, with its ETag for a conditional write. */
export interface Tagged<T> {
  doc: T;
  etag: string;
}

export class NotFound extends Error {
  constructor(
    readonly what: string,
    readonly id: string,
  ) {
    super(`${what} '${id}' does not exist`);
    this.name = 'NotFound';
  }
}

/** Accounts, jobs and protected items, partitioned per account. */
export class InventoryStore {
  readonly container: Container;

  constructor(database: Database) {
    this.container = database.container('inventory');
  }

  async createAccount(input: AccountInput, now: Date): Promise<AccountDoc> {
    const id = randomUUID();
    const doc: AccountDoc = {
      ...input,
      id,
      accountId: id,
      type: 'account',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await this.container.items.create(doc);
    return doc;
  }

  /** Sets or clears the account's litigation hold (undefined releases it). */
  async setAccountHold(accountId: string, hold: AccountDoc['hold'], now: Date): Promise<AccountDoc> {
    const { hold: _old, ...cur } = await this.getAccount(accountId);
    const next: AccountDoc = { ...cur, ...(hold ? { hold } : {}), updatedAt: now.toISOString() };
    await this.container.items.upsert(next);
    return next;
  }

  async getAccount(accountId: string, opts: Lookup = {}): Promise<AccountDoc> {
    return this.read<AccountDoc>('account', accountId, accountId, opts);
  }

  async listAccounts(opts: Lookup = {}): Promise<AccountDoc[]> {
    const { resources } = await this.container.items
      .query<AccountDoc>({ query: "SELECT * FROM c WHERE c.type = 'account'" })
      .fetchAll();
    return resources.map(withoutSystem).filter((d) => opts.withDeleted || !d.deleted);
  }

  async createJob(input: JobInput, now: Date): Promise<JobDoc> {
    await this.getAccount(input.accountId);
    const doc: JobDoc = {
      ...input,
      id: randomUUID(),
      type: 'job',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await this.container.items.create(doc);
    return doc;
  }

  /** 409 (Cosmos conflict) when the account already has a repository of that name. */
  async createRepository(accountId: string, input: RepositoryInput, now: Date): Promise<RepositoryDoc> {
    await this.getAccount(accountId);
    const doc: RepositoryDoc = {
      ...input,
      id: `repository.${input.name}`,
      accountId,
      type: 'repository',
      createdAt: now.toISOString(),
    };
    await this.container.items.create(doc);
    return doc;
  }

  async getRepository(accountId: string, name: string): Promise<RepositoryDoc> {
    return this.read<RepositoryDoc>('repository', accountId, `repository.${name}`);
  }

  async listRepositories(accountId: string): Promise<RepositoryDoc[]> {
    const { resources } = await this.container.items
      .query<RepositoryDoc>(
        {
          query: "SELECT * FROM c WHERE c.type = 'repository' AND c.accountId = @a",
          parameters: [{ name: '@a', value: accountId }],
        },
        { partitionKey: accountId },
      )
      .fetchAll();
    return resources.map(withoutSystem);
  }

  async getJob(accountId: string, jobId: string, opts: Lookup = {}): Promise<JobDoc> {
    return this.read<JobDoc>('job', accountId, jobId, opts);
  }

  async listJobs(accountId?: string, opts: Lookup = {}): Promise<JobDoc[]> {
    const { resources } = await this.container.items
      .query<JobDoc>(
        accountId
          ? {
              query: "SELECT * FROM c WHERE c.type = 'job' AND c.accountId = @a",
              parameters: [{ name: '@a', value: accountId }],
            }
          : { query: "SELECT * FROM c WHERE c.type = 'job'" },
        accountId ? { partitionKey: accountId } : {},
      )
      .fetchAll();
    return resources.map(withoutSystem).filter((d) => opts.withDeleted || !d.deleted);
  }

  /** A live job or account with its ETag (a tombstone is not found). */
  async tagged<T extends AccountDoc | JobDoc>(type: T['type'], accountId: string, id: string): Promise<Tagged<T>> {
    const { resource, etag } = await this.container.item(id, accountId).read<T>();
    if (!resource || resource.type !== type || resource.deleted) throw new NotFound(type, id);
    return { doc: withoutSystem(resource), etag };
  }

  /**
   * Replaces a live job or account with `change` of it. With `ifMatch` (the caller's `If-Match`), only if the
   * document still has that ETag (else PreconditionFailed); without, under the ETag just read, read again when
   * another writer got there first, so no concurrent change is lost. Answers the new document and its ETag.
   */
  async replaceLive<T extends AccountDoc | JobDoc>(
    type: T['type'],
    accountId: string,
    id: string,
    change: (doc: T) => T,
    ifMatch?: string,
  ): Promise<Tagged<T>> {
    for (;;) {
      const cur = await this.tagged<T>(type, accountId, id);
      if (ifMatch !== undefined && ifMatch !== cur.etag) throw new PreconditionFailed(type);
      const next = change(cur.doc);
      try {
        const r = await this.container
          .item(id, accountId)
          .replace(next, { accessCondition: { type: 'IfMatch', condition: cur.etag } });
        return { doc: next, etag: r.etag };
      } catch (e) {
        if ((e as { code?: number }).code !== 412) throw e;
        if (ifMatch !== undefined) throw new PreconditionFailed(type);
      }
    }
  }

  /** Records the schedule occurrence a job was started for; fails if another scheduler got there first. */
  async markScheduled(job: JobDoc & { _etag?: string }, scheduledFor: Date): Promise<boolean> {
    const { resource, etag } = await this.container.item(job.id, job.accountId).read<JobDoc>();
    if (
      !resource ||
      resource.deleted ||
      !resource.enabled ||
      (resource.lastScheduledFor && resource.lastScheduledFor >= scheduledFor.toISOString())
    )
      return false;
    try {
      await this.container
        .item(job.id, job.accountId)
        .replace(
          { ...withoutSystem(resource), lastScheduledFor: scheduledFor.toISOString() },
          { accessCondition: { type: 'IfMatch', condition: etag } },
        );
      return true;
    } catch (e) {
      if ((e as { code?: number }).code === 412) return false;
      throw e;
    }
  }

  /**
   * Records an item discovery found: created when new, otherwise only what discovery knows is changed, under an
   * ETag, so a concurrent run's sequence, lease or folder map is never overwritten with a stale copy.
   */
  async recordDiscovered(doc: ProtectedItemDoc): Promise<void> {
    try {
      await this.container.items.create(doc);
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
      const { displayName, address, lastSeenRunId, repository } = doc;
      await this.updateProtectedItem(doc.accountId, doc.id, (cur) => {
        const next: ProtectedItemDoc = { ...cur, displayName, address, lastSeenRunId };
        if (repository) next.repository = repository;
        else delete next.repository;
        return next;
      });
    }
  }

  /** Read-modify-write under the document's ETag, repeated when another writer got there first. `change` may say no (undefined). */
  async updateProtectedItem<T extends ProtectedItemDoc | undefined>(
    accountId: string,
    id: string,
    change: (doc: ProtectedItemDoc) => T,
  ): Promise<T> {
    return this.update('protected item', accountId, id, change);
  }

  /** Keeps the account's latest preflight report, leaving whatever else changed on the account meanwhile. */
  async setAccountPreflight(accountId: string, report: PreflightReport): Promise<AccountDoc> {
    return this.update('account', accountId, accountId, (cur: AccountDoc) => ({ ...cur, preflight: report }));
  }

  private async update<D extends ItemDefinition, T extends D | undefined>(
    what: string,
    accountId: string,
    id: string,
    change: (doc: D) => T,
  ): Promise<T> {
    for (;;) {
      const { resource, etag } = await this.container.item(id, accountId).read<D>();
      if (!resource) throw new NotFound(what, id);
      const next = change(withoutSystem(resource));
      if (!next) return next;
      try {
        await this.container
          .item(id, accountId)
          .replace(next, { accessCondition: { type: 'IfMatch', condition: etag } });
        return next;
      } catch (e) {
        if ((e as { code?: number }).code !== 412) throw e;
      }
    }
  }

  /**
   * Deletes a job or an account as a tombstone (see Deletion): gone from the API and the scheduler, still read by
   * retention. `ifMatch` as for replaceLive.
   */
  async tombstone(
    type: 'account' | 'job',
    accountId: string,
    id: string,
    deletion: Deletion,
    ifMatch?: string,
  ): Promise<void> {
    await this.replaceLive<AccountDoc | JobDoc>(
      type,
      accountId,
      id,
      (cur) => ({ ...cur, ...(cur.type === 'job' ? { enabled: false } : {}), deleted: deletion }),
      ifMatch,
    );
  }

  async getProtectedItem(accountId: string, id: string): Promise<ProtectedItemDoc> {
    return this.read<ProtectedItemDoc>('protected item', accountId, id);
  }

  async listProtectedItems(accountId: string): Promise<ProtectedItemDoc[]> {
    const { resources } = await this.container.items
      .query<ProtectedItemDoc>(
        {
          query: "SELECT * FROM c WHERE c.type = 'protectedItem' AND c.accountId = @a",
          parameters: [{ name: '@a', value: accountId }],
        },
        { partitionKey: accountId },
      )
      .fetchAll();
    return resources.map(withoutSystem);
  }

  /** The next recovery-point sequence of an item, allocated once per run: a retry after a crash gets the same one. */
  async allocateSeq(accountId: string, id: string, runId: string): Promise<number> {
    const doc = await this.updateProtectedItem(accountId, id, (cur) =>
      cur.lastSeqRunId === runId ? undefined : { ...cur, lastSeq: cur.lastSeq + 1, lastSeqRunId: runId },
    );
    return doc ? doc.lastSeq : (await this.getProtectedItem(accountId, id)).lastSeq;
  }

  /**
   * Takes (or renews) the item's lease for `runId` until `until`; answers the run holding it instead when another
   * run's lease has not expired.
   */
  async lease(
    accountId: string,
    id: string,
    runId: string,
    now: Date,
    until: Date,
    opts: { renewOnly?: boolean } = {},
  ): Promise<{ held: true } | { held: false; holder: string; until: string }> {
    let busy: { holder: string; until: string } | undefined;
    await this.updateProtectedItem(accountId, id, (cur) => {
      const live = cur.lease && cur.lease.until > now.toISOString() ? cur.lease : undefined;
      // A renewal never takes a lease back: once released (the run was ended), the item is someone else's.
      if (opts.renewOnly && live?.runId !== runId)
        busy = { holder: live?.runId ?? '(none)', until: live?.until ?? now.toISOString() };
      else busy = live && live.runId !== runId ? { holder: live.runId, until: live.until } : undefined;
      return busy ? undefined : { ...cur, lease: { runId, until: until.toISOString() } };
    });
    return busy ? { held: false, ...busy } : { held: true };
  }

  /** Gives up every lease `runId` still holds in the account (a run that ended abnormally, wherever it stopped). */
  async releaseAll(accountId: string, runId: string): Promise<void> {
    const { resources } = await this.container.items
      .query<{ id: string }>(
        {
          query: "SELECT c.id FROM c WHERE c.type = 'protectedItem' AND c.accountId = @a AND c.lease.runId = @r",
          parameters: [
            { name: '@a', value: accountId },
            { name: '@r', value: runId },
          ],
        },
        { partitionKey: accountId },
      )
      .fetchAll();
    for (const { id } of resources) await this.release(accountId, id, runId);
  }

  /** Gives the item's lease up if `runId` still holds it. */
  async release(accountId: string, id: string, runId: string): Promise<void> {
    await this.updateProtectedItem(accountId, id, (cur) => {
      if (cur.lease?.runId !== runId) return undefined;
      const { lease: _released, ...rest } = cur;
      return rest;
    });
  }

  private async read<T extends object>(what: string, accountId: string, id: string, opts: Lookup = {}): Promise<T> {
    const { resource } = await this.container.item(id, accountId).read<T & { deleted?: unknown }>();
    if (!resource || (resource.deleted && !opts.withDeleted)) throw new NotFound(what, id);
    return withoutSystem(resource);
  }
}
