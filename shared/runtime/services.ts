// Composition root: one set of clients per process (Functions reuses the process across invocations), built from
// validated settings on first use. Activities ask for it; nothing else creates SDK clients.
import { Database } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import { OperationStore } from '../operations/operation-store';
import { AuditLog } from '../audit/audit-log';
import { readSettings, Settings } from '../config/settings';
import { ChangeLog } from '../catalog/change-log';
import { createCatalogDatabase } from '../catalog/cosmos-client';
import { CursorStore } from '../catalog/cursor-store';
import { SkipStore } from '../catalog/skip-store';
import { PointsStore } from '../catalog/points-store';
import { VersionStore } from '../catalog/version-store';
import { InventoryStore } from '../inventory/inventory-store';
import type { AccountDoc } from '../inventory/schemas';
import { azureCredential, createBlobService } from '../storage/blob-service';
import { ContentStore } from '../storage/content-store';
import { ContentStores } from '../storage/content-stores';
import { Authorizer } from '../api-auth/authorizer';
import { GrantStore } from '../access/grant-store';
import { AccountAccess } from '../access/account-access';
import { graphSessions } from '../graph/session-factory';
import { createSecretSource, SecretSource } from '../secrets/secret-source';
import type { GraphClient } from '../graph/graph-client';
import { telemetry, type Telemetry } from '../telemetry/telemetry';

export interface Services {
  settings: Settings;
  database: Database;
  inventory: InventoryStore;
  points: PointsStore;
  versions: VersionStore;
  cursors: CursorStore;
  skips: SkipStore;
  log: ChangeLog;
  contentStore: ContentStore;
  /** Every repository's content store; `contentStore` is the default repository's. */
  contentStores: ContentStores;
  graph(account: AccountDoc): Promise<GraphClient>;
  secrets: SecretSource;
  /** Undefined when the API's tenant and audience are not configured: the API then refuses every request. */
  authorizer: Authorizer | undefined;
  /** Per-account grants, and the enforcement of app roles and grants on every API request. */
  grants: GrantStore;
  access: AccountAccess;
  operations: OperationStore;
  audit: AuditLog;
  /** Operation artifacts (restore plans, reports): the `exports` container, expired by a lifecycle rule. */
  artifacts: ContainerClient;
  /** Records for Azure Monitor (telemetry/events.ts). */
  telemetry: Telemetry;
  now(): Date;
}

let cached: Services | undefined;

export function services(): Services {
  if (cached) return cached;
  const settings = readSettings();
  const { database } = createCatalogDatabase(settings);
  const blobs = createBlobService(settings);
  const inventory = new InventoryStore(database);
  const contentStore = new ContentStore(blobs.getContainerClient('content'), blobs.getContainerClient('staging'));
  const secrets = createSecretSource(settings);
  const audit = new AuditLog(database);
  const grants = new GrantStore(database);
  const now = (): Date => new Date();
  cached = {
    settings,
    database,
    inventory,
    points: new PointsStore(database),
    versions: new VersionStore(database),
    cursors: new CursorStore(database),
    skips: new SkipStore(database),
    log: new ChangeLog(blobs.getContainerClient('changelog')),
    contentStore,
    contentStores: new ContentStores(
      blobs,
      contentStore,
      (accountId, name) => inventory.getRepository(accountId, name),
      () => azureCredential(settings),
    ),
    graph: graphSessions(settings, secrets),
    secrets,
    authorizer:
      settings.M365V_API_TENANT_ID && settings.M365V_API_AUDIENCE
        ? new Authorizer({
            authorityHost: settings.M365V_AUTHORITY_HOST,
            tenantId: settings.M365V_API_TENANT_ID,
            audiences: settings.M365V_API_AUDIENCE.split(',')
              .map((a) => a.trim())
              .filter(Boolean),
          })
        : undefined,
    grants,
    access: new AccountAccess({ grants, audit, inventory, now }),
    operations: new OperationStore(database),
    audit,
    artifacts: blobs.getContainerClient('exports'),
    telemetry,
    now,
  };
  return cached;
}

/** The part of the runtime a step uses: each step names its ports, so what it can reach is what it says. */
export type Ports<K extends keyof Services> = Pick<Services, K>;
