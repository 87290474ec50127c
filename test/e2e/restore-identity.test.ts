// Restores find their own items by identity (the restore stamp), finish what a crashed attempt left half done, and
// resume upload sessions where they stopped. Crashes are placed with the emulator's hold rule: the request of the
// chosen step is parked until the host, killed meanwhile, has gone away, so the step never happens.
import { CosmosClient } from '@azure/cosmos';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import type { MessageRecord } from '../../local/m365/mail/message';
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
}
interface Counters {
  held: number;
  uploadBytes: number;
}
type User = LocalApp['tenant']['users'][number];

/** The drive restore's upload range (drive-restore.ts): 32 × 320 KiB. */
const RANGE = 32 * 320 * 1024;
const BIG_FILE = 2 * RANGE + 4321;

describe('restore by identity, after crashes and failed upload ranges (local host + emulator)', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let accountId: string;
  let users: Record<'adele' | 'bob' | 'chen' | 'diego', User>;
  let mailboxId: string;
  let driveItemId: string;
  let view: VersionDoc[];
  let bigFileId: string;
  const big = seededBytes('identity-annex', 4 * 1024 * 1024 + 123);

  const restore = async (body: Record<string, unknown>): Promise<Restore> => {
    const r = await app.admin.call<Restore>('POST', `/api/accounts/${accountId}/restores`, body);
    expect(r.status).toBe(202);
    return finished(r.body.id);
  };
  const finished = async (id: string): Promise<Restore> => {
    for (let i = 0; i < 900; i++) {
      const r = await app.reader
        .call<Restore>('GET', `/api/accounts/${accountId}/restores/${id}`)
        .catch(() => undefined);
      if (r && r.body.status !== 'running') return r.body;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`restore ${id} did not finish`);
  };
  const counters = async (): Promise<Counters> => (await control<Counters>(app.emulator, 'GET', 'counters')).body;
  const rule = (r: Record<string, unknown>): Promise<unknown> => control(app.emulator, 'POST', 'faults/rules', r);

  /** Starts a restore, waits until the hold rule has parked its request, kills and restarts the host. */
  const crashAt = async (hold: Record<string, unknown>, body: Record<string, unknown>): Promise<Restore> => {
    const held = (await counters()).held;
    await rule({ action: 'hold', times: 1, ...hold });
    const r = await app.admin.call<Restore>('POST', `/api/accounts/${accountId}/restores`, body);
    expect(r.status).toBe(202);
    for (let i = 0; i < 600 && (await counters()).held === held; i++) await new Promise((res) => setTimeout(res, 100));
    expect((await counters()).held).toBe(held + 1);
    await app.killHost();
    await app.restartHost();
    return finished(r.body.id);
  };

  /** Messages under the "Restored …" folder of a user's mailbox. */
  const restoredMessages = (user: User): MessageRecord[] => {
    const mb = app.emulator.tenant().mailbox(user.id)!;
    const folders = [...mb.folders.all()];
    const under = new Set(folders.filter((f) => f.displayName.startsWith('Restored ')).map((f) => f.id));
    for (let grew = true; grew;) {
      const before = under.size;
      for (const f of folders) if (under.has(f.parentFolderId)) under.add(f.id);
      grew = under.size > before;
    }
    return folders.filter((f) => under.has(f.id)).flatMap((f) => [...mb.messages(f).all()]);
  };

  beforeAll(async () => {
    const catalog = await freshCatalog('identity');
    client = catalog.client;
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('identity') });
    const licensed = app.tenant.users.filter((u) => u.licensed);
    const named = (prefix: string): User => licensed.find((u) => u.userPrincipalName.toLowerCase().startsWith(prefix))!;
    users = { adele: named('adele'), bob: named('bob'), chen: named('chen'), diego: named('diego') };
    const { adele } = users;
    // Two distinct contacts with one display name, a message with a large attachment, a file of three ranges.
    await control(app.emulator, 'POST', `contacts/${adele.id}/contacts`, {
      displayName: 'Sam Twin',
      email: 'sam@fabrikam.example',
    });
    await control(app.emulator, 'POST', `contacts/${adele.id}/contacts`, {
      displayName: 'Sam Twin',
      email: 'sam.twin@tailspin.example',
    });
    const raw = mimeBytes(
      withHeaders(
        messageHeaders('Contract with a large annex', 'identity-annex'),
        multipart('mixed', [
          textPart('text/html; charset=utf-8', '<p>Please find the <b>annex</b> attached.</p>'),
          attachment('Annex A.pdf', big, 'application/pdf'),
          attachment('Note.txt', Buffer.from('small note\n'), 'text/plain'),
        ]),
      ),
    );
    await control(app.emulator, 'POST', `mail/${adele.id}/messages`, {
      folder: 'inbox',
      mime: raw.toString('base64'),
      isRead: true,
    });
    bigFileId = (
      await control<{ id: string }>(app.emulator, 'POST', `drive/${adele.id}/files`, {
        name: 'Survey.bin',
        size: BIG_FILE,
      })
    ).body.id;

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
      sources: {
        scope: 'selected',
        items: [
          { kind: 'mailbox', match: adele.userPrincipalName },
          { kind: 'onedrive', match: adele.userPrincipalName },
        ],
      },
    });
    expect((await app.admin.runJob(accountId, job.body.id, 180_000)).status).toBe('success');
    mailboxId = `${accountId}.mailbox.${adele.id}`;
    driveItemId = `${accountId}.onedrive.${adele.id}`;
    view = (await new VersionStore(catalog.database).view(mailboxId, 1).fetchAll()).resources;
  }, 240_000);
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });
  afterEach(async () => {
    await control(app.emulator, 'DELETE', 'faults');
  });

  it('restores two distinct contacts that share a display name, both, once each, and nothing again when the batch is redelivered', async () => {
    const twins = view.filter((d) => d.kind === 'contact' && d.props.displayName === 'Sam Twin');
    expect(twins).toHaveLength(2);
    const event = view.find((d) => d.kind === 'event' && d.props.type === 'singleInstance')!;
    const done = await restore({
      protectedItemId: mailboxId,
      seq: 1,
      selection: { items: [...twins.map((t) => t.itemId), event.itemId] },
      target: { type: 'mailbox', user: users.bob.userPrincipalName },
    });
    expect(done).toMatchObject({ status: 'completed', counts: { total: 3, restored: 3, failed: 0 } });
    const mb = app.emulator.tenant().mailbox(users.bob.id)!;
    const twinsThere = (): string[] =>
      [...mb.contacts(mb.contactsRootId)!.all()]
        .filter((c) => c.displayName === 'Sam Twin')
        .map((c) => c.emailAddresses[0].address)
        .sort();
    const eventsThere = (): number =>
      [...mb.events.all()].filter((e) => e.subject === event.props.subject && e.transactionId).length;
    expect(twinsThere()).toEqual(['sam.twin@tailspin.example', 'sam@fabrikam.example']);
    expect(eventsThere()).toBe(1);
    // At-least-once delivery: the batch runs again; its lookups find each item by its stamp.
    const before = (await control<{ byRoute: Record<string, number> }>(app.emulator, 'GET', 'counters')).body.byRoute;
    const fired = await fetch(`${app.host.url}/admin/functions/restoreBatch`, {
      method: 'POST',
      body: JSON.stringify({ input: { accountId, operationId: done.id, index: 0 } }),
    });
    expect(fired.status).toBe(202);
    const lookups = (c: Record<string, number>): number =>
      (c['GET /users/{userId}/contacts'] ?? 0) + (c['GET /users/{userId}/events'] ?? 0);
    for (
      let i = 0;
      i < 300 &&
      lookups((await control<{ byRoute: Record<string, number> }>(app.emulator, 'GET', 'counters')).body.byRoute) <
        lookups(before) + 3;
      i++
    ) {
      await new Promise((res) => setTimeout(res, 100));
    }
    // Then nothing more: a create would follow its lookup at once (bounded wait for the requests to stop).
    for (let quiet = 0, last = -1; quiet < 5;) {
      await new Promise((res) => setTimeout(res, 200));
      const now = (await control<{ requests: number }>(app.emulator, 'GET', 'counters')).body.requests;
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
    const after = (await control<{ byRoute: Record<string, number> }>(app.emulator, 'GET', 'counters')).body.byRoute;
    expect(lookups(after)).toBe(lookups(before) + 3);
    expect(after['POST /users/{userId}/contacts'] ?? 0).toBe(before['POST /users/{userId}/contacts'] ?? 0);
    expect(after['POST /users/{userId}/events'] ?? 0).toBe(before['POST /users/{userId}/events'] ?? 0);
    expect(twinsThere()).toEqual(['sam.twin@tailspin.example', 'sam@fabrikam.example']);
    expect(eventsThere()).toBe(1);
  });

  /** Three inbox messages with their state, to restore as MIME imports. */
  const inboxSample = (): VersionDoc[] => {
    const inbox = view.find((d) => d.kind === 'mailFolder' && d.props.wellKnownName === 'inbox')!.itemId;
    const generated = view.filter(
      (d) =>
        d.kind === 'message' && d.props.parentFolderId === inbox && d.props.subject !== 'Contract with a large annex',
    );
    const flagged = generated.find((d) => (d.props.flag as { flagStatus: string }).flagStatus !== 'notFlagged');
    const unread = generated.find((d) => d.props.isRead === false);
    return [...new Set([flagged ?? generated[0], unread ?? generated[1], generated[2]])];
  };
  const expectEachOnceWithState = (user: User, docs: VersionDoc[]): void => {
    const landed = restoredMessages(user);
    expect(landed).toHaveLength(docs.length);
    for (const d of docs) {
      const copies = landed.filter((m) => m.content.internetMessageId === d.props.internetMessageId);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatchObject({
        isRead: d.props.isRead,
        flag: d.props.flag,
        categories: d.props.categories,
        importance: d.props.importance,
      });
    }
  };

  it('finishes a MIME import whose flags were never set (crash between create and PATCH), creating nothing twice', async () => {
    const docs = inboxSample();
    const done = await crashAt(
      { method: 'PATCH', path: '/users/{userId}/messages/{messageId}' },
      {
        protectedItemId: mailboxId,
        seq: 1,
        selection: { items: docs.map((d) => d.itemId) },
        target: { type: 'mailbox', user: users.chen.userPrincipalName },
      },
    );
    expect(done).toMatchObject({
      status: 'completed',
      counts: { total: docs.length, restored: docs.length, failed: 0 },
    });
    expectEachOnceWithState(users.chen, docs);
  }, 240_000);

  it('keeps a finished message and goes on after a crash between messages (after the PATCH), each once', async () => {
    const docs = inboxSample();
    const done = await crashAt(
      { method: 'POST', path: '/users/{userId}/mailFolders/{folderId}/messages', skip: 1 },
      {
        protectedItemId: mailboxId,
        seq: 1,
        selection: { items: docs.map((d) => d.itemId) },
        target: { type: 'mailbox', user: users.diego.userPrincipalName },
      },
    );
    expect(done).toMatchObject({
      status: 'completed',
      counts: { total: docs.length, restored: docs.length, failed: 0 },
    });
    expectEachOnceWithState(users.diego, docs);
  }, 240_000);

  it('adds the attachments a rebuilt message lacks after a crash mid-upload-session, one message, all attachments', async () => {
    const doc = view.find((d) => d.kind === 'message' && d.props.subject === 'Contract with a large annex')!;
    const done = await crashAt(
      { method: 'PUT', path: '/_outlook/attachmentSessions/', skip: 1 },
      {
        protectedItemId: mailboxId,
        seq: 1,
        selection: { items: [doc.itemId] },
        target: { type: 'mailbox', user: users.bob.userPrincipalName },
        mailFormat: 'notDraft',
      },
    );
    expect(done).toMatchObject({ status: 'completed', counts: { total: 1, restored: 1, failed: 0 } });
    const copies = restoredMessages(users.bob).filter(
      (m) => m.content.internetMessageId === '<identity-annex@contoso.example>',
    );
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ isDraft: false, isRead: true });
    expect(copies[0].content.attachments.map((a) => `${a.name}:${a.size}`).sort()).toEqual([
      `Annex A.pdf:${big.length}`,
      'Note.txt:11',
    ]);
    const bytes = copies[0].content.attachments.find((a) => a.name === 'Annex A.pdf')!.source as { bytes: Buffer };
    expect(sha(bytes.bytes)).toBe(sha(big));
  }, 240_000);

  it.each([
    {
      target: 'bob',
      fault: { action: 'fail', status: 503, retryAfterSeconds: 1, skip: 1 },
      what: 'a range answered 503',
    },
    {
      target: 'adele',
      inPlace: true,
      fault: { action: 'fail', status: 429, retryAfterSeconds: 1, skip: 2 },
      what: 'the last range answered 429 (in place, renamed)',
    },
    { target: 'diego', fault: { action: 'drop', skip: 1 }, what: 'a range whose connection dropped before it arrived' },
    { target: 'adele', fault: { action: 'lose', skip: 1 }, what: 'a range accepted whose answer was lost' },
    {
      target: 'chen',
      fault: { action: 'lose', skip: 2 },
      what: 'the last range accepted, its answer (the new file) lost',
    },
  ] as const)(
    'uploads a large file despite $what: same bytes, at most one range sent twice',
    async ({ target, fault, ...rest }) => {
      const user = users[target];
      const inPlace = 'inPlace' in rest;
      const original = sha(
        (await control(app.emulator, 'GET', `drive/${users.adele.id}/files/${encodeURIComponent(bigFileId)}/content`))
          .raw,
      );
      const before = (await counters()).uploadBytes;
      await rule({ method: 'PUT', path: '/_files/uploads/', times: 1, ...fault });
      const done = await restore({
        protectedItemId: driveItemId,
        seq: 1,
        selection: { items: [bigFileId] },
        target: inPlace
          ? { type: 'original', overwriteBehavior: 'rename' }
          : { type: 'mailbox', user: user.userPrincipalName },
      });
      expect(done).toMatchObject({ status: 'completed', counts: { total: 1, restored: 1, failed: 0 } });
      const sent = (await counters()).uploadBytes - before;
      expect(sent).toBeGreaterThanOrEqual(BIG_FILE);
      expect(sent - BIG_FILE).toBeLessThanOrEqual(RANGE);
      interface DriveEntry {
        id: string;
        name: string;
        folder: boolean;
      }
      const copies = (await control<DriveEntry[]>(app.emulator, 'GET', `drive/${user.id}/items`)).body.filter(
        (e) => !e.folder && e.name.startsWith('Survey'),
      );
      const bytes = await Promise.all(
        copies.map(async (c) =>
          sha((await control(app.emulator, 'GET', `drive/${user.id}/files/${encodeURIComponent(c.id)}/content`)).raw),
        ),
      );
      expect(bytes).toContain(original);
      expect(bytes.every((b) => b === original)).toBe(true);
    },
  );
});
