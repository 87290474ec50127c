// Microsoft 365 group mailboxes end to end (local host + Microsoft 365 emulator + stack): two groups chosen by mail
// address and by name, a full backup, an incremental after a reply with a file in an existing thread, a new
// conversation and a deleted thread (recorded at the next reconciliation, the run after: M365V_RECONCILE_EVERY_RUNS=2),
// posts field-identical to Graph's and attachment bytes identical, a thread whose posts cannot be read beside one
// that can, and the restore refused with the reason.
import { CosmosClient } from '@azure/cosmos';
import { simpleParser } from 'mailparser';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import type { Alarm } from '../../shared/domain/alarms';
import { VersionStore } from '../../shared/catalog/version-store';
import type { VersionDoc } from '../../shared/catalog/version-doc';
import { openContent } from '../../shared/storage/content-reader';
import { ContentStore } from '../../shared/storage/content-store';
import { readAll } from '../support/bytes';
import { freshCatalog } from '../support/catalog';
import { addDemoAccount } from '../support/demo-account';
import { sharedStack, stackEnv, uniqueName } from '../support/env';

type Json = Record<string, any>;
interface EmuThread {
  id: string;
  lastDeliveredDateTime: string;
  posts: Array<{ id: string; attachments: number }>;
}
interface EmuConversation {
  id: string;
  topic: string;
  threads: EmuThread[];
}
interface Point {
  seq: number;
  status: string;
  alarms: Alarm[];
  containers: Record<string, { status: string; written: number; deleted: number }>;
}

describe('Microsoft 365 group mailboxes end to end (local host + Microsoft 365 emulator + stack)', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let versions: VersionStore;
  let store: ContentStore;
  let accountId: string;
  let jobId: string;
  const groups = {} as Record<'osprey' | 'kestrel', { id: string }>;
  const changed: { replied?: string; reply?: string; started?: string; deleted?: EmuThread } = {};

  const api = `/api/accounts`;
  const itemOf = (g: { id: string }): string => `${accountId}.groupMailbox.${g.id}`;
  const threadsOf = async (g: { id: string }): Promise<EmuThread[]> =>
    (await control<EmuConversation[]>(app.emulator, 'GET', `group-mailbox/${g.id}/conversations`)).body.flatMap(
      (c) => c.threads,
    );
  /** A post as Graph renders it with $expand=attachments (bytes included). */
  const graphPost = async (g: { id: string }, postId: string): Promise<Json> => {
    const { inReplyToId: _parent, ...post } = (
      await control<Json>(app.emulator, 'GET', `group-mailbox/${g.id}/posts/${encodeURIComponent(postId)}`)
    ).body;
    return post;
  };
  const at = async (g: { id: string }, seq: number): Promise<VersionDoc[]> =>
    (await versions.view(itemOf(g), seq).fetchAll()).resources;
  const stored = async (d: VersionDoc): Promise<Buffer> =>
    readAll(await openContent(store, app.tenant.tenantId, d.content!));
  const pointsOf = async (g: { id: string }): Promise<Point[]> =>
    (
      await app.reader.call<{ value: Point[] }>(
        'GET',
        `${api}/${accountId}/protected-items/${encodeURIComponent(itemOf(g))}/recovery-points`,
      )
    ).body.value;
  const postListings = async (): Promise<number> => {
    const counters = (await control<{ byRoute: Record<string, number> }>(app.emulator, 'GET', 'counters')).body;
    return Object.entries(counters.byRoute)
      .filter(([route]) => route.endsWith('/posts'))
      .reduce((t, [, n]) => t + n, 0);
  };
  const later = () => control(app.emulator, 'POST', 'clock', { advanceSeconds: 60 });

  /** Every post and attachment of the group at the point is Graph's, field for field and byte for byte. */
  async function expectIdentical(g: { id: string }, seq: number): Promise<number> {
    const docs = await at(g, seq);
    const threads = await threadsOf(g);
    expect(
      docs
        .filter((d) => d.kind === 'groupThread')
        .map((d) => d.itemId)
        .sort(),
    ).toEqual(threads.map((t) => t.id).sort());
    let attachments = 0;
    for (const t of threads)
      for (const p of t.posts) {
        const doc = docs.find((d) => d.containerId === `posts:${t.id}` && d.itemId === p.id)!;
        expect(doc).toBeDefined();
        const graph = await graphPost(g, p.id);
        const backup = JSON.parse((await stored(doc)).toString('utf8')) as Json;
        expect(backup).toEqual({
          ...graph,
          attachments: (graph.attachments as Json[]).map(({ contentBytes: _bytes, ...metadata }) => metadata),
        });
        for (const a of graph.attachments as Json[]) {
          const file = docs.find((d) => d.containerId === `posts:${t.id}` && d.itemId === a.id)!;
          expect(file.props).toMatchObject({ name: a.name, size: a.size, postId: p.id, attachment: true });
          expect((await stored(file)).equals(Buffer.from(a.contentBytes as string, 'base64'))).toBe(true);
          attachments++;
        }
      }
    return attachments;
  }

  beforeAll(async () => {
    const catalog = await freshCatalog('groupmail');
    client = catalog.client;
    versions = new VersionStore(catalog.database);
    store = new ContentStore(
      BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')).getContainerClient('content'),
    );
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('groupmail'),
      reconcileEveryRuns: 2,
    });
    accountId = await addDemoAccount(app, 'Contoso (group mailboxes)');
    const members = app.tenant.users.slice(0, 3).map((u) => u.userPrincipalName);
    for (const [key, displayName] of [
      ['osprey', 'Vault Osprey'],
      ['kestrel', 'Vault Kestrel'],
    ] as const) {
      const { id } = (await control<{ id: string }>(app.emulator, 'POST', 'directory/groups', { displayName, members }))
        .body;
      groups[key] = { id };
    }
    // A security group of the same name as a Microsoft 365 group is never taken for it.
    await control(app.emulator, 'POST', 'directory/groups', { displayName: 'Vault Kestrel', unified: false });
    const job = await app.admin.call<{ id: string }>('POST', `${api}/${accountId}/jobs`, {
      name: 'Project groups',
      sources: {
        scope: 'selected',
        items: [
          { kind: 'groupMailbox', match: `VaultOsprey@${app.tenant.domain}` },
          { kind: 'groupMailbox', match: 'Vault Kestrel' },
        ],
      },
    });
    expect(job.status).toBe(201);
    jobId = job.body.id;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('backs up every thread and post of each group, posts as Graph serves them and attachments byte for byte', async () => {
    const done = await app.admin.runJob(accountId, jobId, 180_000);
    expect(done).toMatchObject({ status: 'success', items: 2, itemsFailed: 0 });
    // Each group is a protected item of its own, with its first recovery point.
    for (const g of Object.values(groups)) expect(await pointsOf(g)).toMatchObject([{ seq: 1, status: 'success' }]);
    let attachments = 0;
    for (const g of Object.values(groups)) attachments += await expectIdentical(g, 1);
    expect(attachments).toBeGreaterThan(0);
  });

  it('reads again only the threads delivered to: a reply with a file, a new conversation; a deleted thread stays until reconciled', async () => {
    const threads = await threadsOf(groups.osprey);
    const [replied, deleted] = threads.filter((t) => t.posts.length > 0);
    changed.replied = replied.id;
    changed.deleted = deleted;
    await later();
    const file = Buffer.from('minutes of the steering committee\n'.repeat(2000));
    changed.reply = (
      await control<{ id: string }>(
        app.emulator,
        'POST',
        `group-mailbox/${groups.osprey.id}/threads/${replied.id}/posts`,
        {
          body: '<p>Minutes attached.</p>',
          attachment: { name: 'Minutes.txt', contentType: 'text/plain', contentBase64: file.toString('base64') },
        },
      )
    ).body.id;
    changed.started = (
      await control<{ threadId: string }>(app.emulator, 'POST', `group-mailbox/${groups.osprey.id}/conversations`, {
        topic: 'Offsite planning',
        body: '<p>Where shall we meet?</p>',
      })
    ).body.threadId;
    expect(
      (await control(app.emulator, 'DELETE', `group-mailbox/${groups.osprey.id}/threads/${deleted.id}`)).status,
    ).toBe(204);
    await control(app.emulator, 'DELETE', 'counters');

    const done = await app.admin.runJob(accountId, jobId, 180_000);
    expect(done).toMatchObject({ status: 'success', items: 2, deleted: 0 });
    // The replied thread (its posts and the new file) and the new thread (its post): nothing else is read again.
    expect(await postListings()).toBe(2);
    const docs = await at(groups.osprey, 2);
    const reply = docs.find((d) => d.itemId === changed.reply)!;
    expect(reply).toMatchObject({ kind: 'groupPost', containerId: `posts:${replied.id}`, validFrom: 2 });
    const graph = await graphPost(groups.osprey, changed.reply);
    const attachment = (graph.attachments as Json[])[0];
    expect((await stored(docs.find((d) => d.itemId === attachment.id)!)).equals(file)).toBe(true);
    expect(docs.find((d) => d.kind === 'groupThread' && d.itemId === changed.started)?.props.topic).toBe(
      'Offsite planning',
    );
    expect(docs.filter((d) => d.containerId === `posts:${changed.started}`)).toHaveLength(1);
    // Without delta, a watermark run cannot see a deletion: the thread is still there until the reconciliation.
    expect(docs.some((d) => d.itemId === deleted.id)).toBe(true);
    expect((await at(groups.kestrel, 2)).length).toBe((await at(groups.kestrel, 1)).length);
  });

  it('records the deleted thread and its posts as deleted at the reconciliation, every other post unchanged', async () => {
    const done = await app.admin.runJob(accountId, jobId, 180_000);
    expect(done).toMatchObject({ status: 'success', items: 2, written: 0 });
    // The run counts the posts; the thread itself is closed by the threads listing, which is not a container of
    // the point (as a mailbox's folder hierarchy is not).
    expect(done.deleted).toBe(changed.deleted!.posts.length);
    const docs = await at(groups.osprey, 3);
    expect(docs.some((d) => d.itemId === changed.deleted!.id)).toBe(false);
    expect(docs.some((d) => d.containerId === `posts:${changed.deleted!.id}`)).toBe(false);
    // Still in the points before it.
    expect((await at(groups.osprey, 2)).some((d) => d.itemId === changed.deleted!.posts[0].id)).toBe(true);
    await expectIdentical(groups.osprey, 3);
    await expectIdentical(groups.kestrel, 3);
  });

  it("browses a group's threads as folders and their posts as items at each recovery point", async () => {
    const base = `${api}/${accountId}/protected-items/${encodeURIComponent(itemOf(groups.osprey))}/recovery-points`;
    const folders = async (seq: number) =>
      (await app.reader.call<{ value: Array<{ id: string; name: string }> }>('GET', `${base}/${seq}/folders`)).body
        .value;
    const at2 = await folders(2);
    expect(at2.find((f) => f.id === changed.started)?.name).toBe('Offsite planning');
    expect(at2.some((f) => f.id === changed.deleted!.id)).toBe(true);
    expect((await folders(3)).some((f) => f.id === changed.deleted!.id)).toBe(false);
    const topic = at2.find((f) => f.id === changed.replied)!.name;
    const items = (
      await app.reader.call<{ value: Array<{ id: string; kind: string; name: string; from?: string; date?: string }> }>(
        'GET',
        `${base}/2/items?folderId=${encodeURIComponent(changed.replied!)}&pageSize=100`,
      )
    ).body.value;
    const graph = await graphPost(groups.osprey, changed.reply!);
    expect(items.find((i) => i.id === changed.reply)).toMatchObject({
      kind: 'groupPost',
      name: topic,
      from: graph.from.emailAddress.address,
      date: graph.receivedDateTime,
    });
    const before = (
      await app.reader.call<{ value: Array<{ id: string }> }>(
        'GET',
        `${base}/1/items?folderId=${encodeURIComponent(changed.replied!)}&pageSize=100`,
      )
    ).body.value;
    expect(items.map((i) => i.id).sort()).toEqual([...before.map((i) => i.id), changed.reply].sort());
  });

  it("finds posts by their body text, their thread's topic or their author", async () => {
    const search = async (q: string, from = 1, to = 2) =>
      (
        await app.reader.call<{ value: Array<{ id: string; kind: string; validFrom: number }> }>(
          'GET',
          `${api}/${accountId}/protected-items/${encodeURIComponent(itemOf(groups.osprey))}/search?q=${encodeURIComponent(q)}&fromSeq=${from}&toSeq=${to}`,
        )
      ).body.value;
    // Words of the HTML bodies, not of their markup.
    expect((await search('minutes attached')).map((h) => [h.id, h.kind])).toEqual([[changed.reply, 'groupPost']]);
    expect(await search('<p>')).toEqual([]);
    const started = (await search('offsite planning')).map((h) => h.kind);
    expect(started.length).toBeGreaterThan(0);
    expect(new Set(started)).toEqual(new Set(['groupPost']));
    // Only the points asked: the reply came with point 2.
    expect(await search('minutes attached', 1, 1)).toEqual([]);
    const author = (await graphPost(groups.osprey, changed.reply!)).from.emailAddress.address;
    expect((await search(author)).some((h) => h.id === changed.reply)).toBe(true);
  });

  it('downloads a post as .eml with its files, readable by a mail parser', async () => {
    const base = `${api}/${accountId}/protected-items/${encodeURIComponent(itemOf(groups.osprey))}/recovery-points`;
    const res = await app.admin.call('GET', `${base}/2/content?itemId=${encodeURIComponent(changed.reply!)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('message/rfc822');
    expect(res.headers.get('content-disposition')).toMatch(/\.eml/);
    const mail = await simpleParser(res.raw);
    const graph = await graphPost(groups.osprey, changed.reply!);
    const topic = (await at(groups.osprey, 2)).find((d) => d.itemId === changed.replied)!.props.topic;
    expect(mail.subject).toBe(topic);
    expect(mail.from?.value[0]).toMatchObject({
      name: graph.from.emailAddress.name,
      address: graph.from.emailAddress.address,
    });
    expect(mail.date?.toISOString()).toBe(new Date(graph.receivedDateTime).toISOString());
    expect(mail.html).toContain('Minutes attached.');
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([['Minutes.txt', 'text/plain']]);
    expect(mail.attachments[0].content.equals(Buffer.from(graph.attachments[0].contentBytes, 'base64'))).toBe(true);
  });

  it('exports a thread as a zip of its posts as .eml, each with its files', async () => {
    const base = `${api}/${accountId}/protected-items/${encodeURIComponent(itemOf(groups.osprey))}/recovery-points`;
    const r = await app.admin.call('POST', `${base}/2/export`, { folders: [changed.replied] });
    expect(r.status).toBe(200);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-export-'));
    fs.writeFileSync(path.join(dir, 'x.zip'), r.raw);
    execFileSync('unzip', ['-q', path.join(dir, 'x.zip'), '-d', path.join(dir, 'out')]);
    const files = (fs.readdirSync(path.join(dir, 'out'), { recursive: true }) as string[]).filter((f) =>
      fs.statSync(path.join(dir, 'out', f)).isFile(),
    );
    const posts = (await at(groups.osprey, 2)).filter(
      (d) => d.containerId === `posts:${changed.replied}` && d.props.attachment !== true,
    );
    expect(files).toHaveLength(posts.length);
    expect(files.every((f) => f.endsWith('.eml'))).toBe(true);
    const mails = await Promise.all(files.map((f) => simpleParser(fs.readFileSync(path.join(dir, 'out', f)))));
    const reply = mails.find((m) => typeof m.html === 'string' && m.html.includes('Minutes attached.'))!;
    const graph = await graphPost(groups.osprey, changed.reply!);
    expect(reply.attachments[0].content.equals(Buffer.from(graph.attachments[0].contentBytes, 'base64'))).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('backs up the other threads when one thread cannot be read, and that thread at the next run', async () => {
    const [failing, healthy] = (await threadsOf(groups.kestrel)).filter((t) => t.posts.length > 0);
    await later();
    const file = Buffer.from('quarterly figures\n'.repeat(500));
    const post = (thread: EmuThread) =>
      control<{ id: string }>(app.emulator, 'POST', `group-mailbox/${groups.kestrel.id}/threads/${thread.id}/posts`, {
        body: '<p>Figures attached.</p>',
        attachment: { name: 'Figures.csv', contentType: 'text/csv', contentBase64: file.toString('base64') },
      });
    const [lost, kept] = [(await post(failing)).body.id, (await post(healthy)).body.id];
    await control(app.emulator, 'POST', 'faults/rules', {
      status: 500,
      path: `/threads/${encodeURIComponent(failing.id)}/posts`,
      retryAfterSeconds: 0,
    });
    try {
      const done = await app.admin.runJob(accountId, jobId, 180_000);
      expect(done.itemsFailed).toBe(0);
      const [point] = await pointsOf(groups.kestrel);
      expect(point).toMatchObject({ seq: 4, status: 'partial' });
      expect(point.containers[`posts:${failing.id}`]).toMatchObject({ status: 'failed' });
      expect(point.containers[`posts:${healthy.id}`]).toMatchObject({ status: 'done', written: 2 });
      const docs = await at(groups.kestrel, 4);
      expect(docs.some((d) => d.itemId === kept)).toBe(true);
      expect(docs.some((d) => d.itemId === lost)).toBe(false);
    } finally {
      await control(app.emulator, 'DELETE', 'faults');
    }
    // The failed thread's posts never recorded its last delivery: the next run reads them.
    const done = await app.admin.runJob(accountId, jobId, 180_000);
    expect(done).toMatchObject({ status: 'success', itemsFailed: 0 });
    expect((await at(groups.kestrel, 5)).some((d) => d.itemId === lost)).toBe(true);
    await expectIdentical(groups.kestrel, 5);
  });

  it('previews a post like a message: its headers from its fields, its HTML body through the sanitizer, its files', async () => {
    const thread = changed.started!;
    await later();
    const { id } = (
      await control<{ id: string }>(app.emulator, 'POST', `group-mailbox/${groups.osprey.id}/threads/${thread}/posts`, {
        body: '<p onclick="steal()">Agenda below<script>alert(1)</script><img src="https://tracker.example/p.gif"></p>',
        attachment: {
          name: 'Agenda.txt',
          contentType: 'text/plain',
          contentBase64: Buffer.from('1. Venue').toString('base64'),
        },
      })
    ).body;
    const done = await app.admin.runJob(accountId, jobId, 180_000);
    expect(done.status).toBe('success');
    const [{ seq }] = await pointsOf(groups.osprey);
    const base = `${api}/${accountId}/protected-items/${encodeURIComponent(itemOf(groups.osprey))}/recovery-points`;
    const preview = await app.reader.call<Json>('GET', `${base}/${seq}/preview?itemId=${encodeURIComponent(id)}`);
    expect(preview.status).toBe(200);
    const graph = await graphPost(groups.osprey, id);
    expect(preview.body).toMatchObject({
      kind: 'groupPost',
      headers: {
        subject: 'Offsite planning',
        from: `${graph.from.emailAddress.name} <${graph.from.emailAddress.address}>`,
        date: graph.receivedDateTime,
      },
      text: expect.stringContaining('Agenda below'),
      attachments: [{ name: 'Agenda.txt', contentType: 'text/plain', size: 8, inline: false }],
    });
    expect(preview.body.html).toContain('Agenda below');
    // Remote images are kept blocked, as in a mail preview.
    expect(preview.body.html).toContain('data-blocked-src="https://tracker.example/p.gif"');
    expect(preview.body.html).not.toMatch(/script|onclick|\ssrc=/);
  });

  it('refuses a restore of group posts, saying that Graph lets only a signed-in user write them', async () => {
    const refused = await app.admin.call<{ error: { message: string } }>('POST', `${api}/${accountId}/restores`, {
      protectedItemId: itemOf(groups.osprey),
      seq: 1,
      selection: { items: [changed.reply ?? 'x'] },
      target: { type: 'original' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^body\.protectedItemId: .*delegated/);
  });
});
