import { randomBytes } from 'node:crypto';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { control } from '../../local/cli/emulator-control';
import type { ApiResponse } from '../../local/cli/api-client';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import type { VersionDoc } from '../../shared/catalog/version-doc';
import { VersionStore } from '../../shared/catalog/version-store';
import { referencedHashes } from '../../shared/retention/collector';
import { contentBlobName } from '../../shared/storage/content-publish';
import { freshCatalog } from '../support/catalog';
import { sharedStack, stackEnv, uniqueName } from '../support/env';

interface RetentionRun {
  id: string;
  status: string;
  totals: Record<string, number>;
  items: Array<{
    protectedItemId: string;
    kept: Array<{ seq: number; reasons: string[] }>;
    marked: number[];
    removed: number[];
    versionsRemoved: number;
    skipped?: string;
  }>;
}

describe('retention through the local host', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let versions: VersionStore;
  let accountId: string;
  const content = BlobServiceClient.fromConnectionString(
    stackEnv('M365V_STORAGE_CONNECTION_STRING'),
  ).getContainerClient('content');

  beforeAll(async () => {
    const catalog = await freshCatalog('ret');
    client = catalog.client;
    versions = new VersionStore(catalog.database);
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('ret'),
      syncTimeBoxSeconds: 20,
      retentionGraceSeconds: 0,
      emulator: {
        seed: 'retention',
        profile: {
          licensedUsers: 1,
          sharedMailboxes: 0,
          messages: { inbox: 12, sentitems: 2 },
          filesPerDrive: 1,
          fileBytes: { min: 100, max: 300 },
          attachmentEvery: 5,
          largeEvery: 0,
        },
      },
    });
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Retention',
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

  const retain = async (): Promise<RetentionRun> => {
    const started = await app.admin.call('POST', `/api/accounts/${accountId}/retention-runs`);
    expect(started.status).toBe(202);
    return app.admin.waitForRun<RetentionRun>(started, undefined, 180_000);
  };
  /** Starts a run and suspends it at once, so it is held mid-run (as a long run over a large tenant would be). */
  const startHeld = async (): Promise<{
    started: ApiResponse<{ id: string }>;
    control: (op: string) => Promise<number>;
  }> => {
    const started = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/retention-runs`);
    expect(started.status).toBe(202);
    const instance = `instances/retention-${accountId}-${started.body.id}`;
    const control = async (op: string): Promise<number> =>
      (await fetch(app.durable(`${instance}/${op}?reason=operator`), { method: 'POST' })).status;
    expect(await control('suspend')).toBe(202);
    return { started, control };
  };
  const blobExists = (sha: string): Promise<boolean> =>
    content.getBlobClient(contentBlobName(app.tenant.tenantId, sha)).exists();

  it('prunes by the job policy, keeps the kept point whole, and frees a deleted message only once no point holds it', async () => {
    const user = app.tenant.users.find((u) => u.licensed)!;
    const pid = `${accountId}.mailbox.${user.id}`;
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Keep one',
      sources: { scope: 'selected', items: [{ kind: 'mailbox', match: user.userPrincipalName }] },
      retention: { keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 },
    });
    expect(job.status).toBe(201);
    // A message whose attachment exists nowhere else, so its content is referenced by this message alone.
    const unique = randomBytes(20_000).toString('base64');
    const mime = `From: a@fabrikam.example\r\nTo: ${user.userPrincipalName}\r\nSubject: Only here\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: application/octet-stream; name=x.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n${unique.replace(/.{76}/g, '$&\r\n')}\r\n--b--\r\n`;
    const planted = (
      await control<{ id: string }>(app.emulator, 'POST', `mail/${user.id}/messages`, {
        mime: Buffer.from(mime).toString('base64'),
      })
    ).body;
    expect((await app.admin.runJob(accountId, job.body.id, 180_000)).status).toBe('success');

    const [doc] = (await versions.view(pid, 1).fetchAll()).resources.filter(
      (d: VersionDoc) => d.kind === 'message' && d.props.subject === 'Only here',
    );
    const hashes = referencedHashes(doc.content!);
    for (const h of hashes) expect(await blobExists(h)).toBe(true);

    await control(app.emulator, 'DELETE', `mail/${user.id}/messages/${encodeURIComponent(planted.id)}`);
    expect((await app.admin.runJob(accountId, job.body.id, 180_000)).status).toBe('success');
    const point2 = (await versions.view(pid, 2).fetchAll()).resources
      .map((d) => `${d.containerId}|${d.itemId}|${d.validFrom}`)
      .sort();

    // Point 1 goes (keep the last one; no grace here), with the message's version; its blobs are condemned, not deleted.
    const first = await retain();
    expect(first.status).toBe('success');
    const report = first.items.find((i) => i.protectedItemId === pid)!;
    expect(report).toMatchObject({ marked: [1], removed: [1] });
    expect(report.versionsRemoved).toBeGreaterThan(0);
    expect(report.kept).toEqual([{ seq: 2, reasons: ['base', 'last'] }]);
    expect(first.totals.blobsCondemned).toBeGreaterThanOrEqual(hashes.length);
    for (const h of hashes) expect(await blobExists(h)).toBe(true);
    const points = (
      await app.reader.call<{ value: Array<{ seq: number }> }>(
        'GET',
        `/api/accounts/${accountId}/protected-items/${encodeURIComponent(pid)}/recovery-points`,
      )
    ).body.value;
    expect(points.map((p) => p.seq)).toEqual([2]);
    expect(
      (await versions.view(pid, 2).fetchAll()).resources
        .map((d) => `${d.containerId}|${d.itemId}|${d.validFrom}`)
        .sort(),
    ).toEqual(point2);
    const gone = await app.reader.call(
      'GET',
      `/api/accounts/${accountId}/protected-items/${encodeURIComponent(pid)}/recovery-points/1/folders`,
    );
    expect(gone.status).toBe(404);

    // The next run's marking began after the condemnation: the message's content goes, nothing else does.
    const second = await retain();
    // A run of its own, even begun within the second the first began in: it marks afresh, not under the first's marking.
    expect(second.id).not.toBe(first.id);
    expect(second.totals.blobsDeleted).toBeGreaterThanOrEqual(hashes.length);
    for (const h of hashes) expect(await blobExists(h)).toBe(false);
    for (const d of (await versions.view(pid, 2).fetchAll()).resources) {
      if (d.content) for (const h of referencedHashes(d.content)) expect(await blobExists(h)).toBe(true);
    }
    // Every message of the kept point still downloads byte for byte as the tenant has it.
    const inbox = (
      await control<Array<{ id: string; displayName: string }>>(app.emulator, 'GET', `mail/${user.id}/folders`)
    ).body.find((f) => f.displayName === 'Inbox')!;
    const [sample] = (
      await control<Array<{ id: string; immutableId: string }>>(
        app.emulator,
        'GET',
        `mail/${user.id}/folders/${encodeURIComponent(inbox.id)}/messages`,
      )
    ).body;
    const original = (
      await control<{ mime: string }>(
        app.emulator,
        'GET',
        `mail/${user.id}/messages/${encodeURIComponent(sample.id)}/mime`,
      )
    ).raw;
    const download = await app.admin.call(
      'GET',
      `/api/accounts/${accountId}/protected-items/${encodeURIComponent(pid)}/recovery-points/2/content?itemId=${encodeURIComponent(sample.immutableId)}`,
    );
    expect(download.status).toBe(200);
    expect(download.raw.equals(original)).toBe(true);
  });

  it('prunes nothing of an account on hold, says so, and resumes once released', async () => {
    const hold = await app.admin.call<{ hold: { reason: string } }>('PUT', `/api/accounts/${accountId}/hold`, {
      reason: 'Case 2026-117',
    });
    expect(hold.status).toBe(200);
    const jobs = (await app.reader.call<{ value: Array<{ id: string }> }>('GET', `/api/accounts/${accountId}/jobs`))
      .body.value;
    expect((await app.admin.runJob(accountId, jobs[0].id, 180_000)).status).toBe('success');
    const held = await retain();
    expect(held.status).toBe('warning');
    expect(held.items.every((i) => /on hold .*Case 2026-117/.test(i.skipped ?? ''))).toBe(true);
    expect(held.totals.pointsRemoved).toBe(0);
    expect((await app.admin.call('DELETE', `/api/accounts/${accountId}/hold`)).status).toBe(200);
    const released = await retain();
    expect(released.totals.pointsRemoved).toBe(1);
    const audit = (
      await app.admin.call<{ value: Array<{ action: string }> }>('GET', `/api/accounts/${accountId}/audit`)
    ).body.value.map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['hold.set', 'hold.release', 'retention.start']));
  });

  it('runs one retention run of an account at a time, and refuses a second start naming the running one', async () => {
    const path = `/api/accounts/${accountId}/retention-runs`;
    const { started: a, control } = await startHeld();
    const b = await app.admin.call<{ error: { code: string; message: string } }>('POST', path);
    expect(b.status).toBe(409);
    expect(b.body.error.code).toBe('retentionRunning');
    expect(b.body.error.message).toContain(a.body.id);
    expect(b.headers.get('location')).toBe(a.headers.get('location'));
    expect(await control('resume')).toBe(202);
    const ended = await app.admin.waitForRun<RetentionRun & { endedAt: string }>(a, undefined, 180_000);
    expect(ended.status).toBe('success');
    const next = await retain();
    expect(next.id).not.toBe(a.body.id);
    expect(next.status).toBe('success');
    expect((await app.reader.call<{ value: Array<{ id: string }> }>('GET', path)).body.value.map((r) => r.id)).toEqual(
      expect.arrayContaining([a.body.id, next.id]),
    );
  });

  it('shows a run whose orchestration was terminated as failed, and it blocks no later start', async () => {
    const path = `/api/accounts/${accountId}/retention-runs`;
    // Held first, so it cannot finish before the operator's terminate lands.
    const { started: a, control } = await startHeld();
    expect(await control('terminate')).toBe(202);
    const ended = await app.admin.waitForRun<RetentionRun & { message: string }>(a, undefined, 180_000);
    expect(ended.status).toBe('failed');
    expect(ended.message).toMatch(/orchestration was terminated \(operator\)/);
    const listed = await app.reader.call<{ value: Array<{ id: string; status: string }> }>('GET', path);
    expect(listed.body.value.find((r) => r.id === a.body.id)?.status).toBe('failed');
    const next = await retain();
    expect(next.id).not.toBe(a.body.id);
    expect(next.status).toBe('success');
  });
});
