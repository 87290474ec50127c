// `node dist/local/cli/rebuild-catalog.js [--account <id>]`: replays the change log in Blob Storage into the catalog
// database the settings point at (the local stack, or Azure with the signed-in identity via DefaultAzureCredential).
import { ChangeLog } from '../../shared/catalog/change-log';
import { createCatalogDatabase } from '../../shared/catalog/cosmos-client';
import { rebuildCatalog } from '../../shared/catalog/rebuild';
import { readSettings } from '../../shared/config/settings';
import { createBlobService } from '../../shared/storage/blob-service';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--account');
  const accountId = at >= 0 ? args[at + 1] : undefined;
  const settings = readSettings();
  const { client, database } = createCatalogDatabase(settings);
  const log = new ChangeLog(createBlobService(settings).getContainerClient('changelog'));
  const started = Date.now();
  const report = await rebuildCatalog(log, database, {
    ...(accountId ? { accountId } : {}),
    onProgress: (r) =>
      process.stdout.write(`\r[rebuild] ${r.logs} logs, ${r.versionRecords} version records, ${r.documents} documents`),
  });
  process.stdout.write(
    `\n[rebuild] done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(report)}\n`,
  );
  client.dispose();
}

main().catch((e: Error) => {
  console.error(`[rebuild] failed: ${e.message}`);
  process.exit(1);
});
