import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { Database } from '@azure/cosmos';
import { BlobContentWriter } from '../../shared/backup/blob-content-writer';
import type { GraphReader } from '../../shared/backup/ports';
import type { SyncDeps } from '../../shared/backup/sync-container';
import { ChangeLog } from '../../shared/catalog/change-log';
import { CursorStore } from '../../shared/catalog/cursor-store';
import { SkipStore } from '../../shared/catalog/skip-store';
import { VersionStore } from '../../shared/catalog/version-store';
import { ContentStore } from '../../shared/storage/content-store';
import { freshCatalog } from './catalog';
import { stackEnv, uniqueName } from './env';

export interface SyncBed {
  deps: SyncDeps & { skips: SkipStore };
  database: Database;
  /** The content container (staging blobs are listed from it). */
  blobs: ContainerClient;
  store: ContentStore;
  dispose(): Promise<void>;
}

/** The sync engine over real stores of its own (a fresh catalog, a content and a log container) and a scripted Graph. */
export async function syncBed(prefix: string, graph: GraphReader, extra: Partial<SyncDeps> = {}): Promise<SyncBed> {
  const { client, database } = await freshCatalog(prefix);
  const service = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING'));
  const blobs = service.getContainerClient(uniqueName('content'));
  const logs = service.getContainerClient(uniqueName('log'));
  await Promise.all([blobs.create(), logs.create()]);
  const store = new ContentStore(blobs);
  const deps = {
    graph,
    content: new BlobContentWriter(store),
    versions: new VersionStore(database),
    cursors: new CursorStore(database),
    skips: new SkipStore(database),
    log: new ChangeLog(logs),
    now: () => new Date(),
    ...extra,
  };
  return {
    deps,
    database,
    blobs,
    store,
    dispose: async () => {
      await Promise.all([blobs.delete(), logs.delete()]);
      client.dispose();
    },
  };
}
