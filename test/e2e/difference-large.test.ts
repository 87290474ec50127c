import { CosmosClient } from '@azure/cosmos';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { PointsStore } from '../../shared/catalog/points-store';
import { closedId, headId, VersionDoc } from '../../shared/catalog/version-doc';
import { PAGE } from '../../shared/difference/difference-steps';
import { InventoryStore } from '../../shared/inventory/inventory-store';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

/** More changed items than one orchestration generation of steps covers (50 steps of PAGE versions, two edges). */
const CHANGED = 26 * PAGE;

interface Report {
  status: string;
  total?: number;
  summary?: Record<string, number>;
  entries?: Array<{ itemId: string; change: string }>;
}

describe('a difference report larger than one orchestration generation', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let databaseName: string;

  beforeAll(async () => {
    const catalog = await freshCatalog('difflarge');
    client = catalog.client;
    databaseName = catalog.name;
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('difflarge') });
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('completes through continue-as-new with every entry once, read page by page', async () => {
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const account = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName: 'Contoso',
      tenantId: app.tenant.tenantId,
      clientId: backupApp.clientId,
      credential: { type: 'secret', secretName: 'demo-backup' },
    });
    const accountId = account.body.id;
    const item = `${accountId}.mailbox.u1`;
    // The catalog as two backups would leave it: every message of point 1 changed (read) by point 2.
    const db = client.database(databaseName);
    await new InventoryStore(db).recordDiscovered({
      id: item,
      accountId,
      type: 'protectedItem',
      kind: 'mailbox',
      userId: 'u1',
      displayName: 'Adele',
      address: 'adele@contoso.test',
      lastSeq: 2,
      firstSeenRunId: 'r1',
      lastSeenRunId: 'r2',
    });
    const points = new PointsStore(db);
    for (const seq of [1, 2]) {
      await points.savePoint({
        id: `r${seq}|${item}`,
        accountId,
        protectedItemId: item,
        jobId: 'j',
        runId: `r${seq}`,
        seq,
        status: 'success',
        startedAt: new Date().toISOString(),
        containers: {},
        alarms: [],
      });
    }
    const versions = db.container('versions');
    const docs: VersionDoc[] = [];
    for (let i = 0; i < CHANGED; i++) {
      const base = {
        protectedItemId: item,
        containerId: 'messages:inbox',
        itemId: `m${i}`,
        kind: 'message' as const,
        props: { subject: `S${i}`, isRead: false },
      };
      docs.push({ ...base, id: closedId(item, base.containerId, base.itemId, 1), validFrom: 1, validTo: 2 });
      docs.push({
        ...base,
        id: headId(item, base.containerId, base.itemId),
        validFrom: 2,
        props: { ...base.props, isRead: true },
      });
    }
    for (let i = 0; i < docs.length; i += 32)
      await Promise.all(docs.slice(i, i + 32).map((d) => versions.items.create(d)));

    const started = await app.reader.call<{ id: string }>('POST', `/api/accounts/${accountId}/difference-reports`, {
      protectedItemId: item,
      fromSeq: 1,
      toSeq: 2,
    });
    expect(started.status).toBe(202);
    const url = `/api/accounts/${accountId}/difference-reports/${started.body.id}`;
    let report: Report = { status: 'running' };
    for (let i = 0; report.status === 'running' && i < 1500; i++, await new Promise((r) => setTimeout(r, 200)))
      report = (await app.reader.call<Report>('GET', url)).body;
    expect(report).toMatchObject({
      status: 'completed',
      total: CHANGED,
      summary: { added: 0, removed: 0, changed: CHANGED },
    });
    const seen = new Set<string>();
    for (let offset = 0; offset < CHANGED; offset += 1000) {
      const page = (await app.reader.call<Report>('GET', `${url}?offset=${offset}&pageSize=1000`)).body;
      for (const e of page.entries!) seen.add(e.itemId);
    }
    expect(seen.size).toBe(CHANGED);
  }, 600_000);
});
