// Rebuilds the catalog (versions, recovery points, protected items) from the change log in Blob Storage, e.g. after
// the Cosmos DB account was lost. Records are resolved documents, so replay order within an item's log is all that
// matters, and replaying onto a partly rebuilt catalog is safe.
import type { Database } from '@azure/cosmos';
import type { ChangeLog } from './change-log';
import { VersionStore } from './version-store';

export interface RebuildReport {
  logs: number;
  versionRecords: number;
  documents: number;
}

export async function rebuildCatalog(log: ChangeLog, database: Database, opts: { accountId?: string; onProgress?: (r: RebuildReport) => void } = {}): Promise<RebuildReport> {
  const versions = new VersionStore(database);
  const report: RebuildReport = { logs: 0, versionRecords: 0, documents: 0 };
  // Blob listing is lexicographic: account, protected item, then zero-padded sequence — the replay order.
  for await (const name of log.blobs(opts.accountId)) {
    for await (const record of log.records(name)) {
      if (record.t === 'version') {
        await versions.apply(record);
        report.versionRecords++;
      } else {
        await database.container(record.container).items.upsert(record.doc);
        report.documents++;
      }
    }
    report.logs++;
    opts.onProgress?.(report);
  }
  return report;
}
