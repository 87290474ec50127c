import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import type { RunOutcome } from '../../local/cli/api-client';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { VersionStore } from '../../shared/catalog/version-store';
import { openContent } from '../../shared/storage/content-reader';
import { ContentStore } from '../../shared/storage/content-store';
import { readAll, sha } from '../support/bytes';
import { freshCatalog } from '../support/catalog';
import { control } from '../../local/cli/emulator-control';
import { sharedStack, stackEnv, uniqueName } from '../support/env';

describe('backup end to end (local host + Microsoft 365 emulator + stack)', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let versions: VersionStore;
  let accountId: string;
  let jobId: string;

  const runJob = (): Promise<RunOutcome> => app.admin.runJob(accountId, jobId, 120_000);

  beforeAll(async () => {
    const catalog = await freshCatalog('e2e');
    client = catalog.client;
    versions = new VersionStore(catalog.database);
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('e2e') });
    const account = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName: 'Contoso (demo)',
      tenantId: app.tenant.tenantId,
      clientId: app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!.clientId,
      credential: { type: 'secret', secretName: 'demo-backup' },
    });
    expect(account.status).toBe(201);
    accountId = account.body.id;
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Nightly',
      sources: { scope: 'account' },
      options: { concurrency: 3 },
    });
    expect(job.status).toBe(201);
    jobId = job.body.id;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('backs up every mailbox and OneDrive of the account, with byte-identical MIME', async () => {
    const done = await runJob();
    expect(done).toMatchObject({ status: 'success', items: 9, itemsFailed: 0 });
    expect(done.written).toBeGreaterThan(100);

    const items = await app.reader.call<{
      value: Array<{ id: string; kind: string; userId: string; address: string }>;
    }>('GET', `/api/accounts/${accountId}/protected-items`);
    const adele = app.tenant.users.find((u) => u.userPrincipalName.startsWith('adele'))!;
    const mailbox = items.body.value.find((i) => i.kind === 'mailbox' && i.userId === adele.id)!;
    const points = await app.reader.call<{ value: Array<{ seq: number; status: string }> }>(
      'GET',
      `/api/accounts/${accountId}/protected-items/${encodeURIComponent(mailbox.id)}/recovery-points`,
    );
    expect(points.body.value).toEqual([expect.objectContaining({ seq: 1, status: 'success' })]);

    const { resources } = await versions.view(mailbox.id, 1).fetchAll();
    const messages = resources.filter((d) => d.kind === 'message');
    expect(messages.length).toBe(23);
    const store = new ContentStore(
      BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')).getContainerClient('content'),
    );
    for (const m of messages.slice(0, 5)) {
      const original = await control(
        app.emulator,
        'GET',
        `mail/${adele.id}/messages/${encodeURIComponent(m.itemId)}/mime`,
      );
      const stored = await readAll(await openContent(store, app.tenant.tenantId, m.content!));
      expect(sha(stored)).toBe(sha(original.raw));
    }
  });

  it('records exactly the changes of an incremental: add, edit, move, delete, new and changed files', async () => {
    const adele = app.tenant.users.find((u) => u.userPrincipalName.startsWith('adele'))!;
    const mailboxId = `${accountId}.mailbox.${adele.id}`;
    const driveId = `${accountId}.onedrive.${adele.id}`;
    const view1 = (await versions.view(mailboxId, 1).fetchAll()).resources;
    const before = view1.filter((d) => d.kind === 'message');
    const inboxId = view1.find((d) => d.kind === 'mailFolder' && d.props.wellKnownName === 'inbox')!.itemId;
    const inbox = before.filter((d) => d.props.parentFolderId === inboxId);
    const [toEdit, toMove, toDelete] = inbox;
    expect(toDelete).toBeDefined();
    await control(app.emulator, 'POST', `mail/${adele.id}/messages`, {
      folder: 'inbox',
      subject: 'Brand new after the full backup',
    });
    await control(app.emulator, 'PATCH', `mail/${adele.id}/messages/${encodeURIComponent(toEdit.itemId)}`, {
      isRead: !toEdit.props.isRead,
    });
    const moved = await control<{ id: string; immutableId: string }>(
      app.emulator,
      'POST',
      `mail/${adele.id}/messages/${encodeURIComponent(toMove.itemId)}/move`,
      { to: 'archive' },
    );
    expect(moved.body.immutableId).toBe(toMove.itemId);
    await control(app.emulator, 'DELETE', `mail/${adele.id}/messages/${encodeURIComponent(toDelete.itemId)}`);
    const file = await control<{ id: string }>(app.emulator, 'POST', `drive/${adele.id}/files`, {
      name: 'added.txt',
      content: Buffer.from('added after the full backup\n').toString('base64'),
    });
    await control(app.emulator, 'DELETE', 'counters');

    const done = await runJob();
    expect(done).toMatchObject({ status: 'success', items: 9 });
    // New message, edited one, moved one now in Archive (its Inbox version closed), one deleted, one new file; the
    // MIME of the new message is the only one downloaded.
    expect(done.written).toBe(4);
    expect(done.deleted).toBe(2);
    const counters = (await control<{ byRoute: Record<string, number> }>(app.emulator, 'GET', 'counters')).body;
    expect(counters.byRoute['GET /users/{userId}/messages/{messageId}/$value']).toBe(1);

    const after = (await versions.view(mailboxId, 2).fetchAll()).resources.filter((d) => d.kind === 'message');
    const byId = new Map(after.map((d) => [d.itemId, d]));
    expect(after.length).toBe(before.length + 1 - 1);
    expect(byId.has(toDelete.itemId)).toBe(false);
    // The moved message is the same catalog item, its immutable id kept: in Archive now, with the content it had.
    const archived = byId.get(toMove.itemId)!;
    expect(archived.props.subject).toBe(toMove.props.subject);
    expect(archived.containerId).not.toBe(toMove.containerId);
    expect(archived.content).toEqual(toMove.content);
    expect(byId.get(toEdit.itemId)?.props.isRead).toBe(!toEdit.props.isRead);
    expect(after.some((d) => d.props.subject === 'Brand new after the full backup')).toBe(true);
    // The first recovery point still shows the mailbox as it was.
    const stillBefore = (await versions.view(mailboxId, 1).fetchAll()).resources.filter((d) => d.kind === 'message');
    expect(stillBefore.map((d) => `${d.itemId}:${String(d.props.isRead)}`).sort()).toEqual(
      before.map((d) => `${d.itemId}:${String(d.props.isRead)}`).sort(),
    );

    const files = (await versions.view(driveId, 2).fetchAll()).resources;
    const added = files.find((d) => d.itemId === file.body.id)!;
    const store = new ContentStore(
      BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')).getContainerClient('content'),
    );
    const stored = await readAll(await openContent(store, app.tenant.tenantId, added.content!));
    expect(stored.toString()).toBe('added after the full backup\n');
  });
});
