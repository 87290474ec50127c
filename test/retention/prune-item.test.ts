import type { Database } from '@azure/cosmos';
import { ChangeLog, logBlobName, LogRecord } from '../../shared/catalog/change-log';
import { PointsStore, pointId, RecoveryPointDoc } from '../../shared/catalog/points-store';
import { rebuildCatalog } from '../../shared/catalog/rebuild';
import { headId, closedId, VersionDoc } from '../../shared/catalog/version-doc';
import { VersionStore } from '../../shared/catalog/version-store';
import { InventoryStore } from '../../shared/inventory/inventory-store';
import type { ProtectedItemDoc } from '../../shared/inventory/schemas';
import { OperationStore } from '../../shared/operations/operation-store';
import { pruneItem } from '../../shared/retention/prune-item';
import { freshCatalog, freshChangeLog } from '../support/catalog';
import { retentionBed } from '../support/retention-bed';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T03:00:00Z');

describe('pruneItem (catalog)', () => {
  let database: Database;
  let log: ChangeLog;
  let removeLog: () => Promise<void>;
  let inventory: InventoryStore;
  let points: PointsStore;
  let versions: VersionStore;
  let operations: OperationStore;
  let now = new Date(T0 + 10 * DAY);

  beforeEach(async () => {
    ({ database } = await freshCatalog('prune'));
    ({ log, remove: removeLog } = await freshChangeLog('prunelog'));
    inventory = new InventoryStore(database);
    points = new PointsStore(database);
    versions = new VersionStore(database);
    operations = new OperationStore(database);
    now = new Date(T0 + 10 * DAY);
  });
  afterEach(async () => {
    await database.delete();
    await removeLog();
  });

  const ports = () => ({ inventory, points, versions, operations, log, now: () => now });

  /** An account, a job keeping the last `keepLast` points, a mailbox with points 1..5 a day apart and versions. */
  async function seed(keepLast: number): Promise<{ item: ProtectedItemDoc; jobId: string }> {
    const { item, jobId } = await retentionBed(
      inventory,
      { keepLast, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 },
      now,
    );
    const account = { id: item.accountId };
    const job = { id: jobId };
    const write = async (seq: number, records: LogRecord[]): Promise<void> => {
      await log.append(logBlobName(account.id, item.id, seq), records);
      for (const r of records) if (r.t === 'version') await versions.apply(r);
    };
    for (let seq = 1; seq <= 5; seq++) {
      const p: RecoveryPointDoc = {
        id: pointId(item.id, `r${seq}`),
        accountId: account.id,
        protectedItemId: item.id,
        jobId: job.id,
        runId: `r${seq}`,
        seq,
        status: 'success',
        startedAt: new Date(T0 + seq * DAY).toISOString(),
        containers: {},
        alarms: [],
      };
      await write(seq, [{ t: 'doc', container: 'recoveryPoints', doc: { ...p } }]);
      await points.savePoint(p);
    }
    const v = (itemId: string, validFrom: number, validTo?: number): VersionDoc => ({
      id: validTo === undefined ? headId(item.id, 'c', itemId) : closedId(item.id, 'c', itemId, validFrom),
      protectedItemId: item.id,
      containerId: 'c',
      itemId,
      kind: 'message',
      validFrom,
      ...(validTo === undefined ? {} : { validTo }),
      props: { subject: `${itemId}@${validFrom}` },
    });
    // a: unchanged since 1. b: changed at 3. c: created at 2, deleted at 3. d: changed at 2 and 5.
    await write(1, [
      { t: 'version', put: v('a', 1) },
      { t: 'version', put: v('b', 1) },
      { t: 'version', put: v('d', 1) },
    ]);
    await write(2, [
      { t: 'version', put: v('c', 2) },
      { t: 'version', close: v('d', 1, 2), put: v('d', 2) },
    ]);
    await write(3, [
      { t: 'version', close: v('b', 1, 3), put: v('b', 3) },
      {
        t: 'version',
        close: v('c', 2, 3),
        drop: { id: headId(item.id, 'c', 'c'), protectedItemId: item.id, containerId: 'c' },
      },
    ]);
    await write(5, [{ t: 'version', close: v('d', 2, 5), put: v('d', 5) }]);
    return { item, jobId: job.id };
  }

  const view = async (item: ProtectedItemDoc, seq: number): Promise<string[]> =>
    (await versions.versionsAt(item.id, seq, ['a', 'b', 'c', 'd'])).map((d) => String(d.props.subject)).sort();
  const allVersions = async (db: Database): Promise<string[]> =>
    (await db.container('versions').items.query<VersionDoc>('SELECT * FROM c').fetchAll()).resources
      .map((d) => `${d.itemId}[${d.validFrom},${d.validTo ?? '∞'})`)
      .sort();

  it('marks what the policy drops, removes it a grace period later, and leaves the kept points exactly as they were', async () => {
    const { item } = await seed(2);
    const before = { 4: await view(item, 4), 5: await view(item, 5) };
    const first = await pruneItem(
      ports(),
      { accountId: item.accountId, protectedItemId: item.id, runId: 'ret1' },
      { graceMs: DAY },
    );
    expect(first).toMatchObject({ marked: [1, 2, 3], removed: [], versionsRemoved: 0 });
    expect(first.kept).toEqual([
      { seq: 4, reasons: ['last'] },
      { seq: 5, reasons: ['base', 'last'] },
    ]);
    expect(
      (await points.listPoints(item.accountId, item.id))
        .filter((p) => p.status === 'pruning')
        .map((p) => p.seq)
        .sort(),
    ).toEqual([1, 2, 3]);
    now = new Date(now.getTime() + DAY);
    const second = await pruneItem(
      ports(),
      { accountId: item.accountId, protectedItemId: item.id, runId: 'ret2' },
      { graceMs: DAY },
    );
    expect(second).toMatchObject({ marked: [], removed: [1, 2, 3], versionsRemoved: 3 });
    expect((await points.listPoints(item.accountId, item.id)).map((p) => p.seq).sort()).toEqual([4, 5]);
    expect(await allVersions(database)).toEqual(['a[1,∞)', 'b[3,∞)', 'd[2,5)', 'd[5,∞)']);
    expect({ 4: await view(item, 4), 5: await view(item, 5) }).toEqual(before);
    // The lease went back; a third run prunes nothing more.
    expect((await inventory.getProtectedItem(item.accountId, item.id)).lease).toBeUndefined();
    expect(
      await pruneItem(
        ports(),
        { accountId: item.accountId, protectedItemId: item.id, runId: 'ret3' },
        { graceMs: DAY },
      ),
    ).toMatchObject({ marked: [], removed: [], versionsRemoved: 0 });
  });

  it('a catalog rebuilt from the change log after pruning is the pruned catalog', async () => {
    const { item } = await seed(1);
    await pruneItem(ports(), { accountId: item.accountId, protectedItemId: item.id, runId: 'ret1' }, { graceMs: 0 });
    const { database: rebuilt } = await freshCatalog('prunerb');
    try {
      await rebuildCatalog(log, rebuilt);
      expect(await allVersions(rebuilt)).toEqual(await allVersions(database));
      const seqs = (await new PointsStore(rebuilt).listPoints(item.accountId, item.id)).map((p) => p.seq);
      expect(seqs).toEqual([5]);
    } finally {
      await rebuilt.delete();
    }
  });

  it('waits for a restore reading a marked point, skips an item on hold or being backed up', async () => {
    const { item } = await seed(1);
    const run = (id: string) =>
      pruneItem(ports(), { accountId: item.accountId, protectedItemId: item.id, runId: id }, { graceMs: 0 });
    await operations.start(
      {
        accountId: item.accountId,
        kind: 'restore',
        request: { protectedItemId: item.id, seq: 2 },
        requestedBy: { id: 'admin', name: 'Admin' },
      },
      now,
    );
    const r = await run('ret1');
    // The others go; the one a restore reads stays whole until it ends.
    expect(r.removed).toEqual([1, 3, 4]);
    expect(r.waiting).toEqual([{ seq: 2, reason: 'a running restore reads it' }]);
    expect(await view(item, 2)).toEqual(['a@1', 'b@1', 'c@2', 'd@2']);

    const held = await inventory.updateProtectedItem(item.accountId, item.id, (cur) => ({
      ...cur,
      hold: { reason: 'case 42', by: 'legal@contoso.example', at: now.toISOString() },
    }));
    expect(held.hold).toBeDefined();
    expect((await run('ret2')).skipped).toMatch(/on hold .*case 42/);

    await inventory.updateProtectedItem(item.accountId, item.id, ({ hold: _h, ...cur }) => cur);
    await inventory.lease(item.accountId, item.id, 'backup-run', now, new Date(now.getTime() + 3_600_000));
    expect((await run('ret3')).skipped).toMatch(/run backup-run .*holds the item/);
  });
});
