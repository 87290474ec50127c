// The local host and emulator set up for SharePoint end-to-end tests: a fresh catalog, an account for the demo
// tenant, a job over sites, and the emulator's sites as its control API describes them.
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import type { Alarm } from '../../shared/domain/alarms';
import { VersionStore } from '../../shared/catalog/version-store';
import type { VersionDoc } from '../../shared/catalog/version-doc';
import { openContent } from '../../shared/storage/content-reader';
import { ContentStore } from '../../shared/storage/content-store';
import { readAll } from './bytes';
import { freshCatalog } from './catalog';
import { sharedStack, stackEnv, uniqueName } from './env';

export interface EmuSite {
  id: string;
  kind: string;
  name: string;
  displayName: string;
  webUrl: string;
  lists: Array<{ id: string; name: string; displayName: string; template: string; driveId: string | null }>;
}

export interface Point {
  seq: number;
  runId: string;
  status: string;
  alarms: Alarm[];
  containers: Record<string, { written: number }>;
}

export interface Restore {
  id: string;
  status: string;
  counts: { total: number; restored: number; skipped: number; failed: number };
  failures: Array<{ reason: string }>;
}

export interface SiteApp {
  app: LocalApp;
  client: CosmosClient;
  versions: VersionStore;
  store: ContentStore;
  accountId: string;
  jobId: string;
  sites: EmuSite[];
  /** The protected item id of a site. */
  itemOf: (s: EmuSite) => string;
  pointsOf: (itemId: string) => Promise<Point[]>;
  /** A version's stored content. */
  stored: (d: VersionDoc) => Promise<Buffer>;
  /** Starts a restore (it must be accepted) and waits for it to end. */
  restore: (body: Record<string, unknown>) => Promise<Restore>;
}

export const API = '/api/accounts';

/** Starts the app; `sources` picks the job's sites (all by default), given the emulator's sites. */
export async function startSiteApp(
  name: string,
  sources: (sites: EmuSite[]) => Record<string, unknown> = () => ({
    scope: 'account',
    include: { mailboxes: false, oneDrives: false, sites: true },
  }),
): Promise<SiteApp> {
  const catalog = await freshCatalog(name);
  const versions = new VersionStore(catalog.database);
  const store = new ContentStore(
    BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')).getContainerClient('content'),
  );
  const app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName(name) });
  const account = await app.admin.call<{ id: string }>('POST', API, {
    displayName: `Contoso (${name})`,
    tenantId: app.tenant.tenantId,
    clientId: app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!.clientId,
    credential: { type: 'secret', secretName: 'demo-backup' },
  });
  const accountId = account.body.id;
  const sites = (await control<EmuSite[]>(app.emulator, 'GET', 'sites')).body;
  const job = await app.admin.call<{ id: string }>('POST', `${API}/${accountId}/jobs`, {
    name: 'Sites',
    sources: sources(sites),
  });
  if (job.status !== 201) throw new Error(`job not created: ${JSON.stringify(job.body)}`);
  return {
    app,
    client: catalog.client,
    versions,
    store,
    accountId,
    jobId: job.body.id,
    sites,
    itemOf: (s) => `${accountId}.site.${s.id.replace(/,/g, '_')}`,
    pointsOf: async (itemId) =>
      (
        await app.reader.call<{ value: Point[] }>(
          'GET',
          `${API}/${accountId}/protected-items/${encodeURIComponent(itemId)}/recovery-points`,
        )
      ).body.value,
    stored: async (d) => readAll(await openContent(store, app.tenant.tenantId, d.content!)),
    restore: async (body) => {
      const r = await app.admin.call<Restore>('POST', `${API}/${accountId}/restores`, body);
      if (r.status !== 202) throw new Error(`restore refused: ${r.status} ${JSON.stringify(r.body)}`);
      for (let i = 0; i < 600; i++) {
        const s = await app.reader.call<Restore>('GET', `${API}/${accountId}/restores/${r.body.id}`);
        if (s.body.status !== 'running') return s.body;
        await new Promise((res) => setTimeout(res, 200));
      }
      throw new Error(`restore ${r.body.id} did not finish`);
    },
  };
}
