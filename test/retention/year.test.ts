import type { Database } from '@azure/cosmos';
import { ChangeLog, logBlobName, LogRecord } from '../../shared/catalog/change-log';
import { PointsStore, pointId, RecoveryPointDoc } from '../../shared/catalog/points-store';
import { closedId, headId, VersionDoc } from '../../shared/catalog/version-doc';
import { VersionStore } from '../../shared/catalog/version-store';
import { InventoryStore } from '../../shared/inventory/inventory-store';
import { OperationStore } from '../../shared/operations/operation-store';
import { pruneItem } from '../../shared/retention/prune-item';
import { freshCatalog, freshChangeLog } from '../support/catalog';
import { retentionBed } from '../support/retention-bed';

const DAY = 86_400_000;
/** 2025, one backup a day at 10:00 UTC (the same calendar day in Berlin, summer and winter). */
const dayStart = (seq: number): Date => new Date(Date.UTC(2025, 0, seq, 10));

// A year of daily backups of a changing mailbox, with retention run after each one on the day's clock, against the
// real catalog: at the end exactly the points the policy names remain (counted here by hand from the calendar, not
// by the policy code), each kept point's view is the one its backup recorded, and no version outlives every point
// that saw it.
describe('a year of daily backups under a GFS policy (catalog)', () => {
  let database: Database;
  let log: ChangeLog;
  let removeLog: () => Promise<void>;
  beforeAll(async () => {
    ({ database } = await freshCatalog('year'));
    ({ log, remove: removeLog } = await freshChangeLog('yearlog'));
  });
  afterAll(async () => {
    await database?.delete();
    await removeLog?.();
  });

  it('keeps the last 3, 7 daily, 4 weekly, 12 monthly and 2 yearly points, each whole', async () => {
    const inventory = new InventoryStore(database);
    const points = new PointsStore(database);
    const versions = new VersionStore(database);
    const operations = new OperationStore(database);
    let now = dayStart(1);
    const { item, jobId } = await retentionBed(
      inventory,
      {
        keepLast: 3,
        keepDaily: 7,
        keepWeekly: 4,
        keepMonthly: 12,
        keepYearly: 2,
        timeZone: 'Europe/Berlin',
        weekStartsOn: 'mon',
      },
      now,
    );
    const account = { id: item.accountId };
    const job = { id: jobId };
    const v = (itemId: string, validFrom: number, validTo?: number): VersionDoc => ({
      id: validTo === undefined ? headId(item.id, 'inbox', itemId) : closedId(item.id, 'inbox', itemId, validFrom),
      protectedItemId: item.id,
      containerId: 'inbox',
      itemId,
      kind: 'message',
      validFrom,
      ...(validTo === undefined ? {} : { validTo }),
      props: { subject: `${itemId}@${validFrom}` },
    });
    // The tenant: a message that never changes; one message a day that lives ten days; one edited every 5 days.
    const current = new Map<string, number>();
    const recorded = new Map<number, string[]>();
    const viewOf = (): string[] => [...current].map(([id, from]) => `${id}@${from}`).sort();
    for (let seq = 1; seq <= 365; seq++) {
      now = dayStart(seq);
      const records: LogRecord[] = [];
      const put = (id: string): void => {
        const from = current.get(id);
        records.push({ t: 'version', ...(from !== undefined ? { close: v(id, from, seq) } : {}), put: v(id, seq) });
        current.set(id, seq);
      };
      if (seq === 1) put('stable');
      put(`day-${seq}`);
      if (seq % 5 === 1) put('edited');
      const expiring = `day-${seq - 10}`;
      if (current.has(expiring)) {
        records.push({
          t: 'version',
          close: v(expiring, current.get(expiring)!, seq),
          drop: { id: headId(item.id, 'inbox', expiring), protectedItemId: item.id, containerId: 'inbox' },
        });
        current.delete(expiring);
      }
      const p: RecoveryPointDoc = {
        id: pointId(item.id, `r${seq}`),
        accountId: account.id,
        protectedItemId: item.id,
        jobId: job.id,
        runId: `r${seq}`,
        seq,
        status: 'success',
        startedAt: now.toISOString(),
        completedAt: new Date(now.getTime() + 60_000).toISOString(),
        containers: {},
        alarms: [],
      };
      await log.append(logBlobName(account.id, item.id, seq), [
        ...records,
        { t: 'doc', container: 'recoveryPoints', doc: { ...p } },
      ]);
      for (const r of records) if (r.t === 'version') await versions.apply(r);
      await points.savePoint(p);
      recorded.set(seq, viewOf());
      // Retention at 02:30 the next night, with no grace period: what it drops goes at once.
      now = new Date(now.getTime() + 16.5 * 3_600_000);
      await pruneItem(
        { inventory, points, versions, operations, log, now: () => now },
        { accountId: account.id, protectedItemId: item.id, runId: `ret${seq}` },
        { graceMs: 0 },
      );
    }

    // Counted from the calendar (Berlin; weeks from Monday). The last run is in the night to Thursday 1 January 2026,
    // which is "today": 7 days reach back to 26 December, 12 months to February 2025, 2 years to 2025.
    const seqOf = (month: number, day: number): number =>
      (Date.UTC(2025, month - 1, day) - Date.UTC(2025, 0, 1)) / DAY + 1;
    const last = [29, 30, 31].map((d) => seqOf(12, d));
    const daily = [26, 27, 28, 29, 30, 31].map((d) => seqOf(12, d));
    const weekly = [14, 21, 28, 31].map((d) => seqOf(12, d));
    const monthEnds = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    const monthly = monthEnds.map((d, m) => seqOf(m + 1, d)).slice(1);
    const yearly = [seqOf(12, 31)];
    const expected = [...new Set([...last, ...daily, ...weekly, ...monthly, ...yearly])].sort((a, b) => a - b);
    const kept = (await points.listPoints(account.id, item.id)).map((p) => p.seq).sort((a, b) => a - b);
    expect(kept).toEqual(expected);

    // Every kept point shows what its backup saw, the deleted messages of its day included.
    for (const seq of kept) {
      const docs = (await versions.view(item.id, seq).fetchAll()).resources as VersionDoc[];
      expect({ seq, view: docs.map((d) => String(d.props.subject)).sort() }).toEqual({ seq, view: recorded.get(seq) });
    }
    // And nothing else is kept: each version is seen by some kept point.
    const all = (await database.container('versions').items.query<VersionDoc>('SELECT * FROM c').fetchAll()).resources;
    const unseen = all.filter((d) => !kept.some((s) => d.validFrom <= s && (d.validTo === undefined || s < d.validTo)));
    expect(unseen.map((d) => `${d.itemId}[${d.validFrom},${d.validTo})`)).toEqual([]);
    // A message deleted in June stays only as long as the June points that held it.
    expect(all.some((d) => d.itemId === `day-${seqOf(6, 10)}`)).toBe(seqOf(6, 30) - seqOf(6, 10) < 10);
  }, 900_000);
});
