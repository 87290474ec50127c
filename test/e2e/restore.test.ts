import { CosmosClient } from '@azure/cosmos';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { VersionStore } from '../../shared/catalog/version-store';
import type { VersionDoc } from '../../shared/catalog/version-doc';
import { sha } from '../support/bytes';
import {
  attachment,
  messageHeaders,
  mimeBytes,
  multipart,
  seededBytes,
  textPart,
  withHeaders,
} from '../support/mime-builder';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

interface Restore {
  id: string;
  status: string;
  counts: { total: number; restored: number; skipped: number; failed: number };
  failures: Array<{ reason: string }>;
  message?: string;
}
interface EmuMessage {
  id: string;
  subject: string;
  isRead: boolean;
  internetMessageId: string;
  parentFolderId: string;
  flag: { flagStatus: string };
  categories: string[];
}
interface EmuFolder {
  id: string;
  displayName: string;
  parentFolderId: string;
}

describe('restore of mail through the API (local host + emulator)', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let versions: VersionStore;
  let accountId: string;
  let mailboxId: string;
  let adele: LocalApp['tenant']['users'][number];
  let bob: LocalApp['tenant']['users'][number];
  let view: VersionDoc[];
  let inboxId: string;

  const start = (body: Record<string, unknown>) =>
    app.admin.call<Restore & { error?: { code: string; message: string } }>(
      'POST',
      `/api/accounts/${accountId}/restores`,
      body,
    );
  const finished = async (id: string): Promise<Restore> => {
    for (const t0 = Date.now(); Date.now() - t0 < 120_000;) {
      const r = await app.reader.call<Restore>('GET', `/api/accounts/${accountId}/restores/${id}`);
      if (r.body.status !== 'running') return r.body;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`restore ${id} did not finish`);
  };
  const restore = async (body: Record<string, unknown>): Promise<Restore> => {
    const r = await start(body);
    expect(r.status).toBe(202);
    return finished(r.body.id);
  };
  const folderMessages = async (userId: string, folder: string): Promise<EmuMessage[]> =>
    (await control<EmuMessage[]>(app.emulator, 'GET', `mail/${userId}/folders/${encodeURIComponent(folder)}/messages`))
      .body;
  const mime = async (userId: string, id: string): Promise<string> =>
    sha((await control(app.emulator, 'GET', `mail/${userId}/messages/${encodeURIComponent(id)}/mime`)).raw);

  beforeAll(async () => {
    const catalog = await freshCatalog('restore');
    client = catalog.client;
    versions = new VersionStore(catalog.database);
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('restore'),
      emulator: { extraTenants: [{ seed: 'fabrikam' }] },
    });
    [adele, bob] = app.tenant.users.filter((u) => u.licensed) as [typeof adele, typeof bob];
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Contoso',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Adele',
      sources: { scope: 'selected', items: [{ kind: 'mailbox', match: adele.userPrincipalName }] },
    });
    expect((await app.admin.runJob(accountId, job.body.id, 120_000)).status).toBe('success');
    mailboxId = `${accountId}.mailbox.${adele.id}`;
    view = (await versions.view(mailboxId, 1).fetchAll()).resources;
    inboxId = view.find((d) => d.kind === 'mailFolder' && d.props.wellKnownName === 'inbox')!.itemId;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('restores deleted messages in place byte for byte, with read state and flags, skipping those still there', async () => {
    const inbox = await folderMessages(adele.id, 'inbox');
    const [gone1, gone2] = inbox;
    const before = new Map([
      [gone1.internetMessageId, await mime(adele.id, gone1.id)],
      [gone2.internetMessageId, await mime(adele.id, gone2.id)],
    ]);
    await control(app.emulator, 'DELETE', `mail/${adele.id}/messages/${encodeURIComponent(gone1.id)}`);
    await control(app.emulator, 'DELETE', `mail/${adele.id}/messages/${encodeURIComponent(gone2.id)}`);

    const done = await restore({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { folders: [inboxId] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    // The Inbox comes with its subfolders.
    const subtree = new Set([inboxId]);
    for (let grew = true; grew;) {
      grew = false;
      for (const f of view)
        if (f.kind === 'mailFolder' && subtree.has(String(f.props.parentFolderId)) && !subtree.has(f.itemId))
          grew = subtree.add(f.itemId).size > 0;
    }
    const total = view.filter((d) => d.kind === 'message' && subtree.has(String(d.props.parentFolderId))).length;
    expect(total).toBeGreaterThan(inbox.length);
    expect(done).toMatchObject({ status: 'completed', counts: { total, restored: 2, skipped: total - 2, failed: 0 } });
    const after = await folderMessages(adele.id, 'inbox');
    expect(after.length).toBe(inbox.length);
    for (const original of [gone1, gone2]) {
      const back = after.find((m) => m.internetMessageId === original.internetMessageId)!;
      expect(await mime(adele.id, back.id)).toBe(before.get(original.internetMessageId));
      expect(back).toMatchObject({
        isRead: original.isRead,
        flag: original.flag,
        categories: original.categories,
        subject: original.subject,
      });
    }
  });

  it('overwrites a changed message with its backed-up state, and renames (adds a copy) when asked', async () => {
    const [first, second] = await folderMessages(adele.id, 'inbox');
    const backedUp = view.find((d) => d.kind === 'message' && d.props.internetMessageId === first.internetMessageId)!;
    await control(app.emulator, 'PATCH', `mail/${adele.id}/messages/${encodeURIComponent(first.id)}`, {
      isRead: !backedUp.props.isRead,
    });
    const count = (await folderMessages(adele.id, 'inbox')).length;

    const over = await restore({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { items: [backedUp.itemId] },
      target: { type: 'original', overwriteBehavior: 'overwrite' },
    });
    expect(over).toMatchObject({ status: 'completed', counts: { total: 1, restored: 1 } });
    const now = await folderMessages(adele.id, 'inbox');
    expect(now.length).toBe(count);
    expect(now.filter((m) => m.internetMessageId === first.internetMessageId).map((m) => m.isRead)).toEqual([
      backedUp.props.isRead,
    ]);

    const copyOf = view.find((d) => d.kind === 'message' && d.props.internetMessageId === second.internetMessageId)!;
    const renamed = await restore({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { items: [copyOf.itemId] },
      target: { type: 'original', overwriteBehavior: 'rename' },
    });
    expect(renamed.counts).toMatchObject({ restored: 1, failed: 0 });
    expect(
      (await folderMessages(adele.id, 'inbox')).filter((m) => m.internetMessageId === second.internetMessageId),
    ).toHaveLength(2);
  });

  it('restores folders into another mailbox under a folder of their own, hierarchy and bytes intact', async () => {
    const folders = view.filter((d) => d.kind === 'mailFolder');
    const topLevel = (f: VersionDoc): boolean => !folders.some((p) => p.itemId === f.props.parentFolderId);
    const nested = folders.find((f) => folders.some((p) => p.itemId === f.props.parentFolderId && topLevel(p)))!;
    const parent = folders.find((p) => p.itemId === nested.props.parentFolderId)!;
    const done = await restore({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { folders: [parent.itemId, inboxId] },
      target: { type: 'mailbox', user: bob.userPrincipalName },
    });
    expect(done).toMatchObject({ status: 'completed', counts: { failed: 0 } });
    const bobFolders = (await control<EmuFolder[]>(app.emulator, 'GET', `mail/${bob.id}/folders`)).body;
    const root = bobFolders.find((f) => f.displayName.startsWith('Restored ') && f.displayName.endsWith(adele.mail!))!;
    expect(root).toBeDefined();
    const restoredParent = bobFolders.find(
      (f) => f.parentFolderId === root.id && f.displayName === parent.props.displayName,
    )!;
    const restoredNested = bobFolders.find(
      (f) => f.parentFolderId === restoredParent.id && f.displayName === nested.props.displayName,
    )!;
    expect(restoredNested).toBeDefined();
    const restoredInbox = bobFolders.find((f) => f.parentFolderId === root.id && f.displayName === 'Inbox')!;
    const sourceInbox = view.filter((d) => d.kind === 'message' && d.props.parentFolderId === inboxId);
    const landed = await folderMessages(bob.id, restoredInbox.id);
    expect(landed.length).toBe(sourceInbox.length);
    const sample = sourceInbox[0];
    const copy = landed.find((m) => m.internetMessageId === sample.props.internetMessageId)!;
    const original = (await folderMessages(adele.id, 'inbox')).find(
      (m) => m.internetMessageId === sample.props.internetMessageId,
    )!;
    expect(await mime(bob.id, copy.id)).toBe(await mime(adele.id, original.id));
  });

  it('creates nothing twice when a restore batch is delivered again (a retried activity)', async () => {
    const chen = app.tenant.users.find((u) => u.userPrincipalName.startsWith('chen'))!;
    const first = await restore({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { folders: [inboxId] },
      target: { type: 'mailbox', user: chen.userPrincipalName },
    });
    expect(first).toMatchObject({ status: 'completed', counts: { failed: 0 } });
    const chenFolders = (await control<EmuFolder[]>(app.emulator, 'GET', `mail/${chen.id}/folders`)).body;
    const restored = new Set([
      chenFolders.find((f) => f.displayName.startsWith('Restored ') && f.displayName.endsWith(adele.mail!))!.id,
    ]);
    for (let grew = true; grew;) {
      const before = restored.size;
      for (const f of chenFolders) if (restored.has(f.parentFolderId)) restored.add(f.id);
      grew = restored.size > before;
    }
    const messagesThere = async (): Promise<number> =>
      (await Promise.all([...restored].map((f) => folderMessages(chen.id, f)))).reduce((n, m) => n + m.length, 0);
    const landed = await messagesThere();
    expect(landed).toBe(first.counts.restored);
    // At-least-once delivery: the first batch runs again, as after a crash before its completion was recorded.
    await control(app.emulator, 'DELETE', 'counters');
    const fired = await fetch(`${app.host.url}/admin/functions/restoreBatch`, {
      method: 'POST',
      body: JSON.stringify({ input: { accountId, operationId: first.id, index: 0 } }),
    });
    expect(fired.status).toBe(202);
    let requests = 0;
    for (let quiet = 0; quiet < 5;) {
      await new Promise((res) => setTimeout(res, 200));
      const now = (await control<{ requests: number }>(app.emulator, 'GET', 'counters')).body.requests;
      quiet = now > 0 && now === requests ? quiet + 1 : 0;
      requests = now;
    }
    expect(await messagesThere()).toBe(landed);
    expect(
      (await app.reader.call<Restore>('GET', `/api/accounts/${accountId}/restores/${first.id}`)).body.counts,
    ).toEqual(first.counts);
  });

  it('restores a deleted event and contact in place, and skips one that still exists', async () => {
    const mailbox = app.emulator.tenant().mailbox(adele.id)!;
    // A single event to delete, and another one (not part of the same series) that stays.
    const event = view.find((d) => d.kind === 'event' && d.props.type === 'singleInstance')!;
    const kept = view.find(
      (d) => d.kind === 'event' && d.itemId !== event.itemId && d.props.seriesMasterId !== event.itemId,
    )!;
    const contact = view.find((d) => d.kind === 'contact')!;
    await control(app.emulator, 'DELETE', `calendar/${adele.id}/events/${encodeURIComponent(event.itemId)}`);
    await control(app.emulator, 'DELETE', `contacts/${adele.id}/contacts/${encodeURIComponent(contact.itemId)}`);
    const done = await restore({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { items: [event.itemId, contact.itemId, kept.itemId] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    expect(done).toMatchObject({ status: 'completed', counts: { total: 3, restored: 2, skipped: 1, failed: 0 } });
    const events = [...mailbox.events.all()];
    const back = events.find((e) => e.subject === event.props.subject && e.id !== event.itemId && e.transactionId)!;
    expect(back).toBeDefined();
    expect(back.start.dateTime.slice(0, 16)).toBe(
      String((event.props.start as { dateTime: string }).dateTime).slice(0, 16),
    );
    const contacts = [...mailbox.contacts(mailbox.contactsRootId)!.all()];
    expect(contacts.some((c) => c.displayName === contact.props.displayName && c.id !== contact.itemId)).toBe(true);
  });

  it('restores as ordinary (not draft) messages when asked: properties, body and attachments, large ones by upload session', async () => {
    const big = seededBytes('restore-big-attachment', 4 * 1024 * 1024 + 123);
    const raw = mimeBytes(
      withHeaders(
        messageHeaders('Contract with a large annex', 'annex-1'),
        multipart('mixed', [
          textPart('text/html; charset=utf-8', '<p>Please find the <b>annex</b> attached.</p>'),
          attachment('Annex A.pdf', big, 'application/pdf'),
          attachment('Note.txt', Buffer.from('small note\n'), 'text/plain'),
        ]),
      ),
    );
    const arrived = await control<{ immutableId: string }>(app.emulator, 'POST', `mail/${adele.id}/messages`, {
      folder: 'inbox',
      mime: raw.toString('base64'),
      isRead: true,
    });
    const job = (await app.reader.call<{ value: Array<{ id: string }> }>('GET', `/api/accounts/${accountId}/jobs`)).body
      .value[0];
    await app.admin.runJob(accountId, job.id, 120_000);
    const points = (
      await app.reader.call<{ value: Array<{ seq: number }> }>(
        'GET',
        `/api/accounts/${accountId}/protected-items/${encodeURIComponent(mailboxId)}/recovery-points`,
      )
    ).body.value;
    const seq = Math.max(...points.map((p) => p.seq));
    const done = await restore({
      protectedItemId: mailboxId,
      seq,
      selection: { items: [arrived.body.immutableId] },
      target: { type: 'mailbox', user: bob.userPrincipalName },
      mailFormat: 'notDraft',
    });
    expect(done).toMatchObject({ status: 'completed', counts: { restored: 1, failed: 0 } });
    const bobMailbox = app.emulator.tenant().mailbox(bob.id)!;
    const restored = [...bobMailbox.folders.all()]
      .flatMap((f) => [...bobMailbox.messages(f).all()])
      .find((m) => m.content.subject === 'Contract with a large annex')!;
    expect(restored).toMatchObject({ isDraft: false, isRead: true });
    expect(restored.content.internetMessageId).toBe('<annex-1@contoso.example>');
    expect(restored.content.bodyHtml).toContain('<b>annex</b>');
    expect(restored.content.attachments.map((a) => `${a.name}:${a.size}`).sort()).toEqual([
      `Annex A.pdf:${big.length}`,
      'Note.txt:11',
    ]);
  });

  it("restores OneDrive files in place (skipping what is there) and into another user's OneDrive, bytes intact, large ones by upload session", async () => {
    interface DriveEntry {
      id: string;
      name: string;
      parentId: string | null;
      size: number;
      folder: boolean;
      root: boolean;
    }
    const tree = async (userId: string): Promise<DriveEntry[]> =>
      (await control<DriveEntry[]>(app.emulator, 'GET', `drive/${userId}/items`)).body;
    const bytesOf = async (userId: string, id: string): Promise<string> =>
      sha((await control(app.emulator, 'GET', `drive/${userId}/files/${encodeURIComponent(id)}/content`)).raw);
    const big = await control<{ id: string }>(app.emulator, 'POST', `drive/${adele.id}/files`, {
      name: 'Big deck.pptx',
      size: 6 * 1024 * 1024 + 77,
    });
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Adele OneDrive',
      sources: { scope: 'selected', items: [{ kind: 'onedrive', match: adele.userPrincipalName }] },
    });
    expect((await app.admin.runJob(accountId, job.body.id, 120_000)).status).toBe('success');
    const driveItem = `${accountId}.onedrive.${adele.id}`;
    const before = await tree(adele.id);
    const documents = before.find((e) => e.folder && e.name === 'Documents')!;
    const inDocuments = before.filter((e) => e.parentId === documents.id && !e.folder);
    expect(inDocuments.length).toBeGreaterThan(1);
    const gone = inDocuments[0];
    const shas = new Map([
      [gone.name, await bytesOf(adele.id, gone.id)],
      ['Big deck.pptx', await bytesOf(adele.id, big.body.id)],
    ]);
    await control(app.emulator, 'DELETE', `drive/${adele.id}/files/${encodeURIComponent(gone.id)}`);
    await control(app.emulator, 'DELETE', `drive/${adele.id}/files/${encodeURIComponent(big.body.id)}`);

    const inPlace = await restore({
      protectedItemId: driveItem,
      seq: 1,
      selection: { folders: [documents.id], items: [big.body.id] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    });
    expect(inPlace).toMatchObject({
      status: 'completed',
      counts: { total: inDocuments.length + 1, restored: 2, skipped: inDocuments.length - 1, failed: 0 },
    });
    const after = await tree(adele.id);
    for (const name of shas.keys()) {
      const back = after.find((e) => e.name === name && !e.folder)!;
      expect(await bytesOf(adele.id, back.id)).toBe(shas.get(name));
    }

    const elsewhere = await restore({
      protectedItemId: driveItem,
      seq: 1,
      selection: { folders: [documents.id] },
      target: { type: 'mailbox', user: bob.userPrincipalName },
    });
    expect(elsewhere).toMatchObject({ status: 'completed', counts: { restored: inDocuments.length, failed: 0 } });
    const bobTree = await tree(bob.id);
    const root = bobTree.find((e) => e.folder && e.name.startsWith('Restored '))!;
    const copy = bobTree.find((e) => e.folder && e.parentId === root.id && e.name === 'Documents')!;
    expect(
      bobTree
        .filter((e) => e.parentId === copy.id)
        .map((e) => e.name)
        .sort(),
    ).toEqual(inDocuments.map((e) => e.name).sort());
  });

  it("restores into a mailbox of another Microsoft 365 account with that account's credentials", async () => {
    const other = app.otherTenants[0];
    const otherApp = other.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const target = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName: 'Other tenant',
      tenantId: other.tenantId,
      clientId: otherApp.clientId,
      credential: { type: 'secret', secretName: `${other.domain.split('.')[0]}-backup` },
    });
    const user = other.users.find((u) => u.licensed)!;
    const done = await restore({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { folders: [inboxId] },
      target: { type: 'account', accountId: target.body.id, user: user.userPrincipalName },
    });
    expect(done).toMatchObject({ status: 'completed', counts: { failed: 0 } });
    const folders = (
      await control<EmuFolder[]>(app.emulator, 'GET', `mail/${user.id}/folders?tenant=${other.tenantId}`)
    ).body;
    const root = folders.find((f) => f.displayName.startsWith('Restored ') && f.displayName.endsWith(adele.mail!))!;
    const inbox = folders.find((f) => f.parentFolderId === root.id && f.displayName === 'Inbox')!;
    const landed = (
      await control<EmuMessage[]>(
        app.emulator,
        'GET',
        `mail/${user.id}/folders/${encodeURIComponent(inbox.id)}/messages?tenant=${other.tenantId}`,
      )
    ).body;
    expect(landed.length).toBe(view.filter((d) => d.kind === 'message' && d.props.parentFolderId === inboxId).length);
    const unknown = await start({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { folders: [inboxId] },
      target: { type: 'account', accountId: 'no-such-account', user: user.userPrincipalName },
    });
    expect(unknown.status).toBe(404);
  });

  it('keeps the job rules: one job per account (409), unknown point (404), roles (403), bad input (400), cancel', async () => {
    const big = await start({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { folders: view.filter((d) => d.kind === 'mailFolder').map((d) => d.itemId) },
      target: { type: 'mailbox', user: bob.userPrincipalName },
    });
    expect(big.status).toBe(202);
    const second = await start({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { folders: [inboxId] },
      target: { type: 'original' },
    });
    expect(second.status).toBe(409);
    expect(second.body.error!.message).toContain(big.body.id);
    const cancel = await app.admin.call<{ message: string }>(
      'POST',
      `/api/accounts/${accountId}/restores/${big.body.id}/cancel`,
    );
    expect(cancel.status).toBe(202);
    expect(cancel.body.message).toContain('best-effort');
    const ended = await finished(big.body.id);
    expect(['cancelled', 'completed']).toContain(ended.status);

    const unknownPoint = await start({
      protectedItemId: mailboxId,
      seq: 99,
      selection: { folders: [inboxId] },
      target: { type: 'original' },
    });
    expect(unknownPoint.status).toBe(404);
    expect(unknownPoint.body.error!.message).toContain('is not a valid recovery point');
    expect((await app.reader.call('GET', `/api/accounts/${accountId}/restores/no-such-job`)).status).toBe(404);
    expect(
      (
        await app.reader.call('POST', `/api/accounts/${accountId}/restores`, {
          protectedItemId: mailboxId,
          seq: 1,
          selection: { folders: [inboxId] },
          target: { type: 'original' },
        })
      ).status,
    ).toBe(403);
    const bad = await start({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { folders: [] },
      target: { type: 'mailbox', user: 'x', overwriteBehavior: 'skip' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error!.message).toContain('body.selection.folders');
    expect(bad.body.error!.message).toContain('body.target.overwriteBehavior');
    const folderAsItem = await start({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { items: [inboxId] },
      target: { type: 'original' },
    });
    expect(folderAsItem.status).toBe(400);
    expect(folderAsItem.body.error!.message).toContain('1 selected item(s) are mailFolder');
    const ghost = await start({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { items: ['AAMkNOPE'] },
      target: { type: 'original' },
    });
    expect(ghost.status).toBe(400);
    expect(ghost.body.error!.message).toBe('body.selection.items[0]: not in this recovery point');
    const list = await app.reader.call<{ value: Restore[] }>('GET', `/api/accounts/${accountId}/restores`);
    expect(list.body.value.length).toBeGreaterThanOrEqual(5);
    const audit = (
      await app.admin.call<{ value: Array<{ action: string; subject: { operationId: string } }> }>(
        'GET',
        `/api/accounts/${accountId}/audit`,
      )
    ).body.value;
    expect(audit.filter((a) => a.action === 'restore.start').length).toBe(list.body.value.length);
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'restore.cancel', subject: { operationId: big.body.id } }),
    );
  });
});
