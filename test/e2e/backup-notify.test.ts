import { CosmosClient } from '@azure/cosmos';
import { control } from '../../local/cli/emulator-control';
import type { RunOutcome } from '../../local/cli/api-client';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { signBody } from '../../shared/notify/webhook';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

interface Delivery {
  headers: Record<string, string>;
  body: string;
}
interface Run {
  status: string;
  alarms: Array<{ code: string; severity: string; message: string; permission?: string }>;
}

describe('run notifications: pre/post-run webhooks and the e-mail report', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let accountId: string;
  const SIGNING = 'hook-signing-key-for-tests';

  const job = async (name: string, options: Record<string, unknown>): Promise<string> => {
    const r = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name,
      sources: { scope: 'selected', items: [{ kind: 'mailbox', match: `info@${app.tenant.domain}` }] },
      options,
    });
    expect(r.status).toBe(201);
    return r.body.id;
  };
  const run = (jobId: string): Promise<RunOutcome> => app.admin.runJob(accountId, jobId, 120_000);
  const runDoc = async (jobId: string, runId: string): Promise<Run> =>
    (
      await app.reader.call<{ value: Array<Run & { id: string }> }>(
        'GET',
        `/api/accounts/${accountId}/jobs/${jobId}/runs`,
      )
    ).body.value.find((r) => r.id === runId)!;
  const deliveries = async (name: string): Promise<Delivery[]> =>
    (await control<{ deliveries: Delivery[] }>(app.emulator, 'GET', `webhooks/${name}`)).body.deliveries;
  const inbox = async (
    userId: string,
  ): Promise<Array<{ subject: string; isRead: boolean; body: { content: string } }>> =>
    (
      await control<Array<{ subject: string; isRead: boolean; body: { content: string } }>>(
        app.emulator,
        'GET',
        `mail/${userId}/folders/inbox/messages`,
      )
    ).body;

  beforeAll(async () => {
    const catalog = await freshCatalog('notify');
    client = catalog.client;
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('notify'),
      secrets: { 'hook-signing': SIGNING },
    });
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Contoso',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('calls the pre-run and post-run webhooks with signed payloads and mails the report from the sender mailbox', async () => {
    const adele = app.tenant.users.find((u) => u.userPrincipalName.startsWith('adele'))!;
    const jobId = await job('Shared mailbox nightly', {
      reportRecipients: [adele.mail],
      reportSender: `info@${app.tenant.domain}`,
      webhooks: {
        preRun: `${app.emulator.url}/_webhooks/pre`,
        postRun: `${app.emulator.url}/_webhooks/post?token=receiver-secret`,
        signingSecretName: 'hook-signing',
      },
    });
    const done = await run(jobId);
    expect(done.status).toBe('success');

    const [pre] = await deliveries('pre');
    const [post] = await deliveries('post');
    expect(JSON.parse(pre.body)).toMatchObject({
      event: 'backup.run.starting',
      job: { id: jobId, name: 'Shared mailbox nightly' },
      run: { id: done.runId, status: 'running' },
    });
    const payload = JSON.parse(post.body);
    expect(payload).toMatchObject({
      event: 'backup.run.finished',
      account: { id: accountId, tenantId: app.tenant.tenantId },
      run: { id: done.runId, status: 'success', alarms: [] },
    });
    expect(payload.run.summary.items).toBe(1);
    for (const d of [pre, post]) {
      expect(d.headers['x-m365vault-signature']).toBe(signBody(d.body, SIGNING));
      expect(d.headers['x-m365vault-delivery']).toMatch(new RegExp(`^${done.runId}:backup\\.run\\.`));
    }

    const report = (await inbox(adele.id)).find((m) => m.subject === '[Success] Shared mailbox nightly')!;
    expect(report).toBeDefined();
    expect(report.isRead).toBe(false);
    expect(report.body.content).toContain(done.runId);
    expect(report.body.content).toContain('No warnings or errors.');
    expect((await runDoc(jobId, done.runId)).alarms).toEqual([]);
  });

  it('says so, without failing the backup, when a receiver refuses or the app may not send mail', async () => {
    const adele = app.tenant.users.find((u) => u.userPrincipalName.startsWith('adele'))!;
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    await control(app.emulator, 'PUT', 'webhooks/down', { status: 503 });
    await control(app.emulator, 'POST', `apps/${backupApp.clientId}/roles`, { revoke: ['Mail.Send'] });
    const jobId = await job('Refused', {
      reportRecipients: [adele.mail],
      reportSender: `info@${app.tenant.domain}`,
      webhooks: { postRun: `${app.emulator.url}/_webhooks/down?token=receiver-secret` },
    });
    // Tokens are cached by the running host: the revocation reaches it with the next token, as in Entra.
    await app.restartHost();
    const done = await run(jobId);
    expect(done.status).toBe('success');
    const r = await runDoc(jobId, done.runId);
    const hook = r.alarms.find((a) => a.code === 'notify.webhookFailed')!;
    expect(hook).toMatchObject({ severity: 'warning' });
    expect(hook.message).toContain('answered 503');
    expect(hook.message).not.toContain('receiver-secret');
    const mail = r.alarms.find((a) => a.code === 'notify.reportNotSent')!;
    expect(mail).toMatchObject({ severity: 'warning', permission: 'Mail.Send' });
    expect((await inbox(adele.id)).some((m) => m.subject === '[Success] Refused')).toBe(false);
  });

  it('refuses a report without a sender, and webhooks that are not HTTPS', async () => {
    const r = await app.admin.call<{ error: { message: string } }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Bad',
      sources: { scope: 'account' },
      options: { reportRecipients: ['a@contoso.example'], webhooks: { postRun: 'http://example.com/hook' } },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('body.options.reportSender');
    expect(r.body.error.message).toContain('body.options.webhooks.postRun');
  });
});
