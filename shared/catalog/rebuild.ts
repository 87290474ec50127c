// Rebuilds the catalog (versions, recovery points, protected items) from the change log in Blob Storage, e.g. after
// the Cosmos DB account was lost. Records are resolved documents, so replay order within an item's log is all that
// matters, and replaying onto a partly rebuilt catalog is safe.
import type { Database } from '@azure/cosmos';
import type { ChangeLog } from './change-log';
import { CursorStore } from './cursor-store';
import { VersionStore } from './version-store';

export interface RebuildReport {
  logs: number;
  versionRecords: number;
  documents: number;
  /** Containers whose next sync re-enumerates them (cursors are not logged). */
  containers: number;
}

export async function rebuildCatalog(
  log: ChangeLog,
  database: Database,
  opts: { accountId?: string; onProgress?: (r: RebuildReport) => void; now?: () => Date } = {},
): Promise<RebuildReport> {
  const versions = new VersionStore(database);
  const cursors = new CursorStore(database);
  const report: RebuildReport = { logs: 0, versionRecords: 0, documents: 0, containers: 0 };
  // Every container the log knows gets a cursor that asks for a resync: its first sync then records what was
  // deleted while the catalog was lost, and a folder deleted meanwhile is still found (by its cursor) and swept.
  const seen = new Set<string>();
  let currentItem: string | undefined;
  const pending: Array<{ protectedItemId: string; containerId: string }> = [];
  const flushCursors = async (): Promise<void> => {
    for (const c of pending.splice(0)) {
      if (await cursors.get(c.protectedItemId, c.containerId)) continue;
      await cursors.save({ ...c, phase: 'resync', resyncSeq: -1 }, opts.now?.() ?? new Date());
      report.containers++;
    }
  };
  // Blob listing is lexicographic: account, protected item, then zero-padded sequence — the replay order.
  for await (const name of log.blobs(opts.accountId)) {
    for await (const record of log.records(name)) {
      if (record.t === 'version') {
        await versions.apply(record);
        report.versionRecords++;
        const v = record.put ?? record.close ?? record.drop;
        if (v) {
          // Logs are grouped by protected item: the set holds one item's containers at a time.
          if (v.protectedItemId !== currentItem) {
            seen.clear();
            currentItem = v.protectedItemId;
          }
          if (!seen.has(v.containerId)) {
            seen.add(v.containerId);
            pending.push({ protectedItemId: v.protectedItemId, containerId: v.containerId });
          }
        }
      } else if (record.t === 'dropDoc') {
        await database
          .container(record.container)
          .item(record.id, record.partitionKey)
          .delete()
          .catch((e: { code?: number }) => {
            if (e.code !== 404) throw e;
          });
      } else {
        await database.container(record.container).items.upsert(record.doc);
        report.documents++;
      }
    }
    await flushCursors();
    report.logs++;
    opts.onProgress?.(report);
  }
  return report;
}
