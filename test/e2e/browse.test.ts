import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { OperationStore } from '../../shared/operations/operation-store';
import { sha } from '../support/bytes';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

interface Summary {
  id: string;
  kind: string;
  name: string;
  folderId?: string;
  from?: string;
  to?: string[];
  validFrom: number;
  validTo?: number;
  wellKnownName?: string;
}
interface PageOf {
  value: Summary[];
  continuation?: string;
}

describe('browse, search and download of recovery points', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let accountId: string;
  let jobId: string;
  let adele: LocalApp['tenant']['users'][number];
  let base: string;
  let databaseName: string;

  const runJob = async (): Promise<void> => {
    expect((await app.admin.runJob(accountId, jobId, 120_000)).status).toBe('success');
  };
  const all = async (path: string): Promise<Summary[]> => {
    const out: Summary[] = [];
    for (let next: string | undefined = ''; next !== undefined;) {
      const r: { status: number; body: PageOf } = await app.reader.call<PageOf>(
        'GET',
        `${path}${path.includes('?') ? '&' : '?'}pageSize=7${next ? `&continuation=${next}` : ''}`,
      );
      expect(r.status).toBe(200);
      out.push(...r.body.value);
      next = r.body.continuation;
    }
    return out;
  };

  beforeAll(async () => {
    const catalog = await freshCatalog('browse');
    client = catalog.client;
    databaseName = catalog.name;
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('browse') });
    adele = app.tenant.users.find((u) => u.licensed)!;
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Contoso',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
    jobId = (
      await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
        name: 'Adele',
        sources: { scope: 'selected', items: [{ kind: 'mailbox', match: adele.userPrincipalName }] },
      })
    ).body.id;
    await runJob();
    base = `/api/accounts/${accountId}/protected-items/${encodeURIComponent(`${accountId}.mailbox.${adele.id}`)}`;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('browses the folder tree and pages through a folder; an older point still shows what it held', async () => {
    const folders = (await app.reader.call<{ value: Summary[] }>('GET', `${base}/recovery-points/1/folders`)).body
      .value;
    const inbox = folders.find((f) => f.wellKnownName === 'inbox')!;
    expect(inbox.name).toBe('Inbox');
    // Subfolders show beside the messages, as in the navigation pane of backup consoles.
    const listed = await all(`${base}/recovery-points/1/items?folderId=${encodeURIComponent(inbox.id)}`);
    expect(
      listed
        .filter((i) => i.kind === 'mailFolder')
        .map((f) => f.id)
        .sort(),
    ).toEqual(
      folders
        .filter((f) => f.folderId === inbox.id)
        .map((f) => f.id)
        .sort(),
    );
    const items = listed.filter((i) => i.kind === 'message');
    const live = (
      await control<Array<{ immutableId: string; subject: string }>>(
        app.emulator,
        'GET',
        `mail/${adele.id}/folders/inbox/messages`,
      )
    ).body;
    expect(items.map((i) => i.id).sort()).toEqual(live.map((m) => m.immutableId).sort());
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);

    await control(app.emulator, 'DELETE', `mail/${adele.id}/messages/${encodeURIComponent(live[0].immutableId)}`);
    await runJob();
    expect((await all(`${base}/recovery-points/2/items?folderId=${encodeURIComponent(inbox.id)}`)).length).toBe(
      listed.length - 1,
    );
    expect((await all(`${base}/recovery-points/1/items?folderId=${encodeURIComponent(inbox.id)}`)).length).toBe(
      listed.length,
    );
  });

  it('searches by subject word or word beginning, by sender or recipient address and by body text, over one point or a range', async () => {
    const folders = (await app.reader.call<{ value: Summary[] }>('GET', `${base}/recovery-points/1/folders`)).body
      .value;
    const inbox = folders.find((f) => f.wellKnownName === 'inbox')!;
    const sample = (await all(`${base}/recovery-points/2/items?folderId=${encodeURIComponent(inbox.id)}`)).find(
      (i) => i.kind === 'message' && i.from && i.to?.length,
    )!;
    const word = sample.name.split(/\s+/).find((w) => w.length > 4)!;
    const bySubject = await all(`${base}/search?q=${encodeURIComponent(word.toUpperCase())}`);
    expect(bySubject.some((h) => h.id === sample.id)).toBe(true);
    expect(bySubject.every((h) => h.name.toLowerCase().includes(word.toLowerCase()) || h.from || h.to)).toBe(true);
    expect(
      (await all(`${base}/search?q=${encodeURIComponent(word.slice(0, 4))}`)).some((h) => h.id === sample.id),
    ).toBe(true);
    expect((await all(`${base}/search?q=${encodeURIComponent(sample.from!)}`)).some((h) => h.id === sample.id)).toBe(
      true,
    );
    expect((await all(`${base}/search?q=${encodeURIComponent(sample.to![0])}`)).some((h) => h.id === sample.id)).toBe(
      true,
    );
    const added = await control<{ immutableId: string }>(app.emulator, 'POST', `mail/${adele.id}/messages`, {
      folder: 'inbox',
      subject: 'Quarterly numbers',
      body: `${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(12)}In short: the zebracorn budget is approved.`,
    });
    await runJob();
    const byBody = await all(`${base}/search?q=zebracorn`);
    expect(byBody.map((h) => h.id)).toEqual([added.body.immutableId]);
    expect(await all(`${base}/search?q=zebracorn&fromSeq=1&toSeq=2`)).toEqual([]);
    expect((await all(`${base}/search?q=zebracorn&fromSeq=3&toSeq=3`)).map((h) => h.validFrom)).toEqual([3]);
  });

  it('previews a message: headers, safe body, attachments (Reader)', async () => {
    const folders = (await app.reader.call<{ value: Summary[] }>('GET', `${base}/recovery-points/3/folders`)).body
      .value;
    const inbox = folders.find((f) => f.wellKnownName === 'inbox')!;
    const messages = (await all(`${base}/recovery-points/3/items?folderId=${encodeURIComponent(inbox.id)}`)).filter(
      (i) => i.kind === 'message',
    );
    const withAttachment =
      messages.find((m) => (m as Summary & { hasAttachments?: boolean }).hasAttachments) ?? messages[0];
    const r = await app.reader.call<{
      headers: { subject: string };
      text: string;
      html?: string;
      attachments: Array<{ name: string; size: number }>;
      truncated: boolean;
    }>('GET', `${base}/recovery-points/3/preview?itemId=${encodeURIComponent(withAttachment.id)}`);
    expect(r.status).toBe(200);
    expect(r.body.headers.subject).toBe(withAttachment.name);
    expect(r.body.text.length + (r.body.html?.length ?? 0)).toBeGreaterThan(0);
    expect(r.body.html ?? '').not.toMatch(/<script/i);
    if ((withAttachment as Summary & { hasAttachments?: boolean }).hasAttachments)
      expect(r.body.attachments.length).toBeGreaterThan(0);
    expect(r.body.truncated).toBe(false);
    const folderPreview = await app.reader.call<{ kind: string; properties: { displayName: string } }>(
      'GET',
      `${base}/recovery-points/3/preview?itemId=${encodeURIComponent(inbox.id)}`,
    );
    expect(folderPreview.body).toMatchObject({ kind: 'mailFolder', properties: { displayName: 'Inbox' } });
  });

  it('downloads a message as .eml, byte for byte, audited; a reader may not download', async () => {
    const folders = (await app.reader.call<{ value: Summary[] }>('GET', `${base}/recovery-points/1/folders`)).body
      .value;
    const inbox = folders.find((f) => f.wellKnownName === 'inbox')!;
    const first = (await all(`${base}/recovery-points/3/items?folderId=${encodeURIComponent(inbox.id)}`)).find(
      (i) => i.kind === 'message',
    );
    const url = `${base}/recovery-points/3/content?itemId=${encodeURIComponent(first!.id)}`;
    expect((await app.reader.call('GET', url)).status).toBe(403);
    const r = await app.admin.call<unknown>('GET', url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('message/rfc822');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.eml"/);
    const original = await control(
      app.emulator,
      'GET',
      `mail/${adele.id}/messages/${encodeURIComponent(first!.id)}/mime`,
    );
    expect(sha(r.raw)).toBe(sha(original.raw));
    const audit = await app.admin.call<{
      value: Array<{ action: string; principal: { name: string }; subject: { itemId: string; seq: number } }>;
    }>('GET', `/api/accounts/${accountId}/audit`);
    expect(audit.body.value).toContainEqual(
      expect.objectContaining({ action: 'download', subject: expect.objectContaining({ itemId: first!.id, seq: 3 }) }),
    );
    expect((await app.reader.call('GET', `/api/accounts/${accountId}/audit`)).status).toBe(403);
  });

  it('exports a folder tree and a single item as a zip laid out like the mailbox, bytes intact, audited', async () => {
    const folders = (await app.reader.call<{ value: Summary[] }>('GET', `${base}/recovery-points/3/folders`)).body
      .value;
    const inbox = folders.find((f) => f.wellKnownName === 'inbox')!;
    const sent = folders.find((f) => f.wellKnownName === 'sentitems')!;
    const single = (await all(`${base}/recovery-points/3/items?folderId=${encodeURIComponent(sent.id)}`)).find(
      (i) => i.kind === 'message',
    )!;
    const url = `${base}/recovery-points/3/export`;
    expect((await app.reader.call('POST', url, { folders: [inbox.id] })).status).toBe(403);
    expect((await app.admin.call('POST', url, { folders: ['nope'] })).status).toBe(400);
    const r = await app.admin.call('POST', url, { folders: [inbox.id], items: [single.id] });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/zip');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-'));
    fs.writeFileSync(path.join(dir, 'x.zip'), r.raw);
    expect(execFileSync('unzip', ['-tq', path.join(dir, 'x.zip')]).toString()).toMatch(/No errors detected/);
    execFileSync('unzip', ['-q', path.join(dir, 'x.zip'), '-d', path.join(dir, 'out')]);
    const files = (fs.readdirSync(path.join(dir, 'out'), { recursive: true }) as string[]).filter((f) =>
      fs.statSync(path.join(dir, 'out', f)).isFile(),
    );
    const inboxMessages = (
      await all(`${base}/recovery-points/3/items?folderId=${encodeURIComponent(inbox.id)}`)
    ).filter((i) => i.kind === 'message');
    expect(files.filter((f) => f.split(path.sep)[0] === 'Inbox' && f.split(path.sep).length === 2).length).toBe(
      inboxMessages.length,
    );
    expect(files.some((f) => f.split(path.sep).length === 3)).toBe(true);
    const singleFile = files.find((f) => f.startsWith(`Sent Items${path.sep}`))!;
    const original = await control(
      app.emulator,
      'GET',
      `mail/${adele.id}/messages/${encodeURIComponent(single.id)}/mime`,
    );
    expect(sha(fs.readFileSync(path.join(dir, 'out', singleFile)))).toBe(sha(original.raw));
    fs.rmSync(dir, { recursive: true, force: true });
    const audit = (
      await app.admin.call<{ value: Array<{ action: string }> }>('GET', `/api/accounts/${accountId}/audit`)
    ).body.value;
    expect(audit.filter((a) => a.action === 'export')).toHaveLength(1);
  });

  it('reports the differences between two recovery points as a job (Reader), with the job rules', async () => {
    const item = `${accountId}.mailbox.${adele.id}`;
    const started = await app.reader.call<{ id: string }>('POST', `/api/accounts/${accountId}/difference-reports`, {
      protectedItemId: item,
      fromSeq: 1,
      toSeq: 3,
    });
    expect(started.status).toBe(202);
    let report: {
      status: string;
      summary?: Record<string, number>;
      entries?: Array<{ change: string; kind: string; name: string; itemId: string }>;
    } = { status: 'running' };
    for (
      const t0 = Date.now();
      report.status === 'running' && Date.now() - t0 < 60_000;
      await new Promise((r) => setTimeout(r, 200))
    ) {
      report = (
        await app.reader.call<typeof report>('GET', `/api/accounts/${accountId}/difference-reports/${started.body.id}`)
      ).body;
    }
    expect(report.status).toBe('completed');
    const messages = report.entries!.filter((e) => e.kind === 'message');
    expect(messages.filter((e) => e.change === 'added').map((e) => e.name)).toEqual(['Quarterly numbers']);
    expect(messages.filter((e) => e.change === 'removed')).toHaveLength(1);
    expect(messages.filter((e) => e.change === 'changed')).toEqual([]);
    expect(
      (
        await app.reader.call('POST', `/api/accounts/${accountId}/difference-reports`, {
          protectedItemId: item,
          fromSeq: 3,
          toSeq: 1,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await app.reader.call('POST', `/api/accounts/${accountId}/difference-reports`, {
          protectedItemId: item,
          fromSeq: 1,
          toSeq: 9,
        })
      ).status,
    ).toBe(404);
    expect((await app.reader.call('GET', `/api/accounts/${accountId}/difference-reports/nope`)).status).toBe(404);
    expect(
      (await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/difference-reports`)).body.value,
    ).toHaveLength(1);
  });

  it('answers simultaneous difference-report starts with one 202 and 409s naming it, never a 500', async () => {
    const item = `${accountId}.mailbox.${adele.id}`;
    const failures: string[] = [];
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          app.reader.call<{ id?: string; error?: { code: string; message: string } }>(
            'POST',
            `/api/accounts/${accountId}/difference-reports`,
            { protectedItemId: item, fromSeq: 1, toSeq: 2 },
          ),
        ),
      );
      const started = answers.filter((a) => a.status === 202);
      const busy = answers.filter((a) => a.status === 409);
      if (started.length !== 1 || busy.length !== 7)
        failures.push(`round ${round}: ${answers.map((a) => a.status).join(',')}`);
      if (
        !busy.every(
          (a) =>
            a.body.error?.code === 'operationRunning' &&
            started.every((w) => a.body.error!.message.includes(w.body.id!)),
        )
      )
        failures.push(`round ${round}: a 409 does not name the job`);
      for (const w of started) {
        let status = 'running';
        for (let i = 0; status === 'running' && i < 300; i++, await new Promise((r) => setTimeout(r, 200))) {
          status = (
            await app.reader.call<{ status: string }>(
              'GET',
              `/api/accounts/${accountId}/difference-reports/${w.body.id}`,
            )
          ).body.status;
        }
        if (status !== 'completed') failures.push(`round ${round}: report ended ${status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("frees the account when a report's orchestration is over but its record still says running", async () => {
    const item = `${accountId}.mailbox.${adele.id}`;
    const waitEnd = async (id: string): Promise<string> => {
      let status = 'running';
      for (let i = 0; status === 'running' && i < 300; i++, await new Promise((r) => setTimeout(r, 200))) {
        status = (
          await app.reader.call<{ status: string }>('GET', `/api/accounts/${accountId}/difference-reports/${id}`)
        ).body.status;
      }
      return status;
    };
    const first = await app.reader.call<{ id: string }>('POST', `/api/accounts/${accountId}/difference-reports`, {
      protectedItemId: item,
      fromSeq: 1,
      toSeq: 2,
    });
    expect(await waitEnd(first.body.id)).toBe('completed');
    // What an end step failing for good (or a terminated instance) leaves: the record running, the lock claimed.
    const ops = new OperationStore(client.database(databaseName));
    const record = (await ops.find(accountId, first.body.id))!;
    await ops.container.items.upsert({ ...record, status: 'running', ttl: -1 });
    await ops.container.items.upsert({
      id: 'lock',
      accountId,
      type: 'operationLock',
      operationId: record.id,
      kind: record.kind,
      startedAt: record.createdAt,
    });
    const next = await app.reader.call<{ id: string }>('POST', `/api/accounts/${accountId}/difference-reports`, {
      protectedItemId: item,
      fromSeq: 1,
      toSeq: 2,
    });
    expect(next.status).toBe(202);
    expect(await ops.find(accountId, first.body.id)).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('stopped without recording its end'),
    });
    expect(await waitEnd(next.body.id)).toBe('completed');
  });

  it('serves its OpenAPI document without a token', async () => {
    const doc = await app.reader.call<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      '/api/openapi.json',
      undefined,
      { token: null },
    );
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/api/accounts/{accountId}/restores');
  });

  it('lists recovery points taken in a time range', async () => {
    const points = (
      await app.reader.call<{ value: Array<{ seq: number; startedAt: string }> }>('GET', `${base}/recovery-points`)
    ).body.value;
    expect(points.map((p) => p.seq).sort()).toEqual([1, 2, 3]);
    const second = points.find((p) => p.seq === 2)!;
    const only = await app.reader.call<{ value: Array<{ seq: number }> }>(
      'GET',
      `${base}/recovery-points?from=${encodeURIComponent(second.startedAt)}&to=${encodeURIComponent(second.startedAt)}`,
    );
    expect(only.body.value.map((p) => p.seq)).toEqual([2]);
    expect((await app.reader.call('GET', `${base}/recovery-points?from=yesterday`)).status).toBe(400);
  });

  it('answers 400/404 for bad or foreign input, never 500', async () => {
    const other = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Other',
        tenantId: app.tenant.tenantId,
        clientId: app.tenant.apps[0].clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
    const foreign = `/api/accounts/${other}/protected-items/${encodeURIComponent(`${accountId}.mailbox.${adele.id}`)}/recovery-points/1/folders`;
    expect((await app.reader.call('GET', foreign)).status).toBe(404);
    const cases: Array<[string, number, string]> = [
      [`${base}/recovery-points/0/folders`, 400, 'path.seq'],
      [`${base}/recovery-points/abc/folders`, 400, 'path.seq'],
      [`${base}/recovery-points/77/folders`, 404, 'not a valid recovery point'],
      [`${base}/recovery-points/1/items`, 400, 'query.folderId'],
      [`${base}/recovery-points/1/items?folderId=x&pageSize=100000`, 400, 'query.pageSize'],
      [`${base}/recovery-points/1/items?folderId=x&continuation=%7B%22bad%22`, 400, 'query.continuation'],
      [
        `${base}/recovery-points/1/items?folderId=x&continuation=${Buffer.from('{"token":"forged"}').toString('base64url')}`,
        400,
        'query.continuation',
      ],
      [`${base}/search?q=a`, 400, 'query.q'],
      [`${base}/search?q=abc&fromSeq=3&toSeq=1`, 400, 'query.fromSeq'],
      [`${base}/search?q=${encodeURIComponent("'; DROP --")}`, 200, ''],
      [
        `${base}/recovery-points/1/content?itemId=${encodeURIComponent('../../etc/passwd')}`,
        404,
        'query.itemId: no such item in recovery point 1',
      ],
      [
        `${base}/recovery-points/1/content?itemId=${encodeURIComponent('a#b')}`,
        400,
        'query.itemId: not a Microsoft Graph id',
      ],
    ];
    for (const [url, status, text] of cases) {
      const r = await app.admin.call<{ error?: { message: string } }>('GET', url);
      expect([url, r.status]).toEqual([url, status]);
      if (text) expect(r.body.error!.message).toContain(text);
    }
  });
});
