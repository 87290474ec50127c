import { CosmosClient } from '@azure/cosmos';
import type { RunState } from '../../local/cli/api-client';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { VersionStore } from '../../shared/catalog/version-store';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

describe('backup survives the host being killed mid-run', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let versions: VersionStore;

  beforeAll(async () => {
    const catalog = await freshCatalog('crash');
    client = catalog.client;
    versions = new VersionStore(catalog.database);
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('crash'),
      syncTimeBoxSeconds: 5,
      // Two mailboxes of 300 messages under a tight request budget: slow enough to be killed in the middle.
      emulator: {
        seed: 'crash',
        profile: {
          licensedUsers: 2,
          sharedMailboxes: 0,
          messages: { inbox: 300, sentitems: 20 },
          filesPerDrive: 4,
          fileBytes: { min: 1000, max: 5000 },
          attachmentEvery: 5,
          largeEvery: 0,
        },
        throttle: { concurrency: 4, budget: 60, windowSeconds: 1 },
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('completes after a SIGKILL and restart with every message exactly once', async () => {
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const account = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName: 'Crash',
      tenantId: app.tenant.tenantId,
      clientId: backupApp.clientId,
      credential: { type: 'secret', secretName: 'demo-backup' },
    });
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${account.body.id}/jobs`, {
      name: 'Mail',
      sources: { scope: 'account', include: { mailboxes: true, oneDrives: false } },
      options: { concurrency: 2 },
    });
    const r = await app.admin.call<{ id: string }>('POST', `/api/accounts/${account.body.id}/jobs/${job.body.id}/run`);
    expect(r.status).toBe(202);
    const users = app.tenant.users.filter((u) => u.licensed);
    const pid = (u: { id: string }): string => `${account.body.id}.mailbox.${u.id}`;
    // Wait until messages are being written, then kill the host without warning.
    for (const until = Date.now() + 60_000; Date.now() < until;) {
      const { resources } = await versions.container.items
        .query({ query: "SELECT VALUE COUNT(1) FROM c WHERE c.kind = 'message'" })
        .fetchAll();
      if ((resources[0] as number) > 150) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await app.killHost();
    await app.restartHost();
    // The run's route is the product's: it outlives the host that answered the start.
    const done = await app.admin.waitForRun<RunState>(r, undefined, 180_000);
    expect(done).toMatchObject({ id: r.body.id, status: 'success', summary: { items: 2 } });
    // The summary counts the work done before the kill once: as many writes as the first points hold versions
    // (folders are listed, not counted), and each item's point is number 1 (a retried allocation gets the same).
    const { resources: stored } = await versions.container.items
      .query({
        query:
          "SELECT VALUE COUNT(1) FROM c WHERE c.validFrom = 1 AND c.kind != 'mailFolder' AND c.kind != 'contactFolder'",
      })
      .fetchAll();
    expect(done.summary!.written).toBe(stored[0]);
    for (const u of users) {
      const { resources } = await versions.view(pid(u), 1).fetchAll();
      const messages = resources.filter((d) => d.kind === 'message');
      expect(messages).toHaveLength(320);
      expect(new Set(messages.map((m) => m.itemId)).size).toBe(320);
    }
    // No duplicate documents either: one head per message and folder, no closed copies in a first backup.
    const { resources: all } = await versions.container.items
      .query({ query: 'SELECT VALUE COUNT(1) FROM c WHERE IS_DEFINED(c.validTo)' })
      .fetchAll();
    expect(all[0]).toBe(0);
  }, 240_000);
});
