// `npm start`: the main job on the demo tenant, end to end on the local stand-ins: start the stack, the Microsoft
// 365 emulator and the Functions host; register the account and a job through the API; run a full backup; change
// the tenant as users would; run an incremental. Progress per mailbox, OneDrive and site, then a summary.
import { createHash } from 'node:crypto';
import { control } from './emulator-control';
import { EVENT } from '../../shared/telemetry/events';
import { LocalApp, startLocalApp } from './local-app';
import { outcomeOf, RunOutcome, RunState } from './api-client';
import { PreflightReport, reportText } from '../../shared/preflight/report';

const KIND_LABEL: Record<string, string> = {
  mailbox: 'mailbox ',
  onedrive: 'OneDrive',
  site: 'site    ',
  groupMailbox: 'group   ',
};
const step = (text: string): void => console.log(`\n▶ ${text}`);
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function runWithProgress(app: LocalApp, accountId: string, jobId: string): Promise<RunOutcome> {
  const started = Date.now();
  const r = await app.admin.call<RunState>('POST', `/api/accounts/${accountId}/jobs/${jobId}/run`);
  if (r.status !== 202) throw new Error(`run request answered ${r.status}: ${JSON.stringify(r.body)}`);
  const reported = new Set<string>();
  const runId = r.body.id;
  const names = new Map<string, string>();
  let polling = Promise.resolve();
  const report = async (): Promise<void> => {
    const items = await app.reader.call<{
      value: Array<{ id: string; kind: string; address: string; displayName: string }>;
    }>('GET', `/api/accounts/${accountId}/protected-items`);
    for (const i of items.body.value ?? [])
      names.set(i.id, `${KIND_LABEL[i.kind] ?? i.kind} ${i.kind === 'onedrive' ? i.displayName : i.address}`);
    for (const [id, name] of names) {
      if (reported.has(id)) continue;
      const points = await app.reader.call<{
        value: Array<{ runId: string; status: string; containers: Record<string, { written: number; bytes: number }> }>;
      }>('GET', `/api/accounts/${accountId}/protected-items/${encodeURIComponent(id)}/recovery-points`);
      const p = points.body.value?.find((x) => x.runId === runId && x.status !== 'running');
      if (!p) continue;
      reported.add(id);
      const written = Object.values(p.containers).reduce((t, c) => t + c.written, 0);
      const bytes = Object.values(p.containers).reduce((t, c) => t + c.bytes, 0);
      console.log(
        `  ${p.status === 'success' ? '✔' : '⚠'} ${name.padEnd(64)} ${String(written).padStart(4)} changes  ${mb(bytes).padStart(8)}  ${p.status}`,
      );
    }
  };
  const poll = setInterval(() => {
    polling = polling.then(report).catch(() => undefined);
  }, 300);
  const run = await app.admin.waitForRun<RunState>(r);
  clearInterval(poll);
  await polling;
  await report();
  if (!run.summary)
    throw new Error(
      `the run ended ${run.status}${run.reason ? ` (${run.reason})` : ''}: ${run.alarms.map((a) => a.message).join('; ')}`,
    );
  const o = outcomeOf(run) as Required<RunOutcome>;
  console.log(
    `  run ${o.runId}: ${o.status}; ${o.items} items (${o.itemsFailed} failed), ${o.written} versions written, ${o.deleted} deletions recorded`,
  );
  console.log(
    `  ${mb(o.bytes)} backed up, ${mb(o.storedBytes)} stored (dedup + compression ${(o.bytes / Math.max(1, o.storedBytes)).toFixed(2)}×); ${o.graphRequests} Graph requests, ${o.throttled} throttled; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return o;
}

/** The records the app sent, once the restore's has arrived (the exporter sends every few seconds). */
async function telemetrySummary(app: LocalApp): Promise<void> {
  const ingest = app.appInsights;
  if (!ingest) return;
  for (let i = 0; i < 150 && ingest.events(EVENT.recovery).length === 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  const byName = new Map<string, number>();
  for (const e of ingest.events()) byName.set(e.name, (byName.get(e.name) ?? 0) + 1);
  const dependencies = ingest.envelopes().filter((e) => e.data.baseType === 'RemoteDependencyData').length;
  console.log(
    `  custom events: ${[...byName].map(([n, c]) => `${c} ${n}`).join(', ')}; ${dependencies} dependencies (Graph, Blob, Cosmos DB; 5 traces a second kept)`,
  );
  const run = ingest.events(EVENT.run).at(-1);
  if (run)
    console.log(
      `  last run: ${run.dimensions.jobName} ${run.dimensions.status}, ${run.measurements.items} items, ${run.measurements.written} written, ${run.measurements.graphRequests} Graph requests, ${run.measurements.throttled} throttled, ${run.measurements.durationSeconds.toFixed(1)} s`,
    );
}

/** Deletes a folder's messages, restores the folder in place through the API with progress, and checks the bytes. */
async function restoreDemo(app: LocalApp, accountId: string, user: LocalApp['tenant']['users'][number]): Promise<void> {
  const itemId = `${accountId}.mailbox.${user.id}`;
  const points = (
    await app.reader.call<{ value: Array<{ seq: number }> }>(
      'GET',
      `/api/accounts/${accountId}/protected-items/${encodeURIComponent(itemId)}/recovery-points`,
    )
  ).body.value;
  const seq = Math.max(...points.map((p) => p.seq));
  const folders = (
    await app.reader.call<{ value: Array<{ id: string; name: string; folderId?: string; wellKnownName?: string }> }>(
      'GET',
      `/api/accounts/${accountId}/protected-items/${encodeURIComponent(itemId)}/recovery-points/${seq}/folders`,
    )
  ).body.value;
  const inbox = folders.find((f) => f.wellKnownName === 'inbox')!;
  const folder = folders.find((f) => f.folderId === inbox.id) ?? inbox;
  const messages = (
    await control<Array<{ id: string; internetMessageId: string }>>(
      app.emulator,
      'GET',
      `mail/${user.id}/folders/${encodeURIComponent(folder.id)}/messages`,
    )
  ).body;
  const before = new Map<string, string>();
  for (const m of messages) {
    before.set(
      m.internetMessageId,
      createHash('sha256')
        .update((await control(app.emulator, 'GET', `mail/${user.id}/messages/${encodeURIComponent(m.id)}/mime`)).raw)
        .digest('hex'),
    );
    await control(app.emulator, 'DELETE', `mail/${user.id}/messages/${encodeURIComponent(m.id)}`);
  }
  console.log(
    `  deleted ${messages.length} messages from '${folder.name}'; restoring recovery point ${seq} (original location, skip what is there)`,
  );
  const started = await app.admin.call<{ id: string; error?: { message: string } }>(
    'POST',
    `/api/accounts/${accountId}/restores`,
    {
      protectedItemId: itemId,
      seq,
      selection: { folders: [folder.id] },
      target: { type: 'original', overwriteBehavior: 'skip' },
    },
  );
  if (started.status !== 202) throw new Error(`restore: ${started.status} ${started.body.error?.message ?? ''}`);
  let r: { status: string; counts: { total: number; restored: number; skipped: number; failed: number } } = {
    status: 'running',
    counts: { total: 0, restored: 0, skipped: 0, failed: 0 },
  };
  while (r.status === 'running') {
    await new Promise((res) => setTimeout(res, 200));
    r = (await app.reader.call<typeof r>('GET', `/api/accounts/${accountId}/restores/${started.body.id}`)).body;
    process.stdout.write(
      `\r  restore ${started.body.id.slice(0, 8)}: ${r.status} ${r.counts.restored}/${r.counts.total} restored, ${r.counts.skipped} skipped, ${r.counts.failed} failed   `,
    );
  }
  const back = (
    await control<Array<{ id: string; internetMessageId: string }>>(
      app.emulator,
      'GET',
      `mail/${user.id}/folders/${encodeURIComponent(folder.id)}/messages`,
    )
  ).body;
  let identical = 0;
  for (const m of back)
    if (
      before.get(m.internetMessageId) ===
      createHash('sha256')
        .update((await control(app.emulator, 'GET', `mail/${user.id}/messages/${encodeURIComponent(m.id)}/mime`)).raw)
        .digest('hex')
    )
      identical++;
  console.log(
    `\n  ${back.length} of ${messages.length} messages are back in '${folder.name}', ${identical} byte-identical to what was deleted`,
  );
  if (identical !== messages.length) throw new Error('the restore did not bring every message back intact');
}

async function main(): Promise<void> {
  const started = Date.now();
  step('starting the local stack, the Microsoft 365 emulator and the Functions host');
  const app = await startLocalApp();
  const stop = (): void => void app.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    console.log(
      `  host      ${app.host.url}\n  emulator  ${app.emulator.url} (tenant ${app.tenant.domain})\n  blob      ${app.stack.blobUrl}\n  cosmos    ${app.stack.cosmosEndpoint}`,
    );

    step('registering the Microsoft 365 account and a backup job through the API');
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const account = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName: `Demo tenant ${app.tenant.domain}`,
      tenantId: app.tenant.tenantId,
      clientId: backupApp.clientId,
      credential: { type: 'secret', secretName: 'demo-backup' },
    });
    if (account.status !== 201) throw new Error(`account: ${account.status} ${JSON.stringify(account.body)}`);
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${account.body.id}/jobs`, {
      name: 'Whole tenant, nightly',
      sources: { scope: 'account', include: { mailboxes: true, oneDrives: true, sites: true, groupMailboxes: true } },
      schedules: [
        {
          kind: 'daily',
          timeZone: 'Europe/Berlin',
          startAt: '22:00',
          endAt: '06:00',
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
        },
      ],
      options: { concurrency: 3 },
    });
    if (job.status !== 201) throw new Error(`job: ${job.status} ${JSON.stringify(job.body)}`);
    console.log(
      `  account ${account.body.id}\n  job     ${job.body.id} (weekdays 22:00 Europe/Berlin, run now on demand)`,
    );

    step('preflight: what the account can do before its first backup (POST /api/accounts/{id}/preflight)');
    const preflight = await app.admin.call<PreflightReport>('POST', `/api/accounts/${account.body.id}/preflight`);
    if (preflight.status !== 200) throw new Error(`preflight: ${preflight.status} ${JSON.stringify(preflight.body)}`);
    console.log(reportText(preflight.body).replace(/^/gm, '  '));

    step('full backup');
    await runWithProgress(app, account.body.id, job.body.id);

    step('users change the tenant: new mail in two mailboxes, a moved message, a new file, a file in a site library');
    const [adele, bob] = app.tenant.users.filter((u) => u.licensed);
    await control(app.emulator, 'POST', `mail/${adele.id}/messages`, {
      folder: 'inbox',
      subject: 'Offsite agenda (new today)',
    });
    const added = await control<{ id: string }>(app.emulator, 'POST', `mail/${bob.id}/messages`, {
      folder: 'inbox',
      subject: 'Invoice 4711',
    });
    await control(app.emulator, 'POST', `mail/${bob.id}/messages/${encodeURIComponent(added.body.id)}/move`, {
      to: 'archive',
    });
    await control(app.emulator, 'POST', `drive/${adele.id}/files`, {
      name: 'Offsite agenda.txt',
      content: Buffer.from('Day 1: strategy\nDay 2: planning\n').toString('base64'),
    });
    const intranet = (
      await control<
        Array<{
          id: string;
          kind: string;
          webUrl: string;
          lists: Array<{ id: string; name: string; displayName: string; template: string; driveId: string | null }>;
        }>
      >(app.emulator, 'GET', 'sites')
    ).body.find((s) => s.kind === 'communication')!;
    await control(app.emulator, 'POST', `drive/${intranet.lists.find((l) => l.driveId)!.driveId}/files`, {
      name: 'Offsite travel.txt',
      content: Buffer.from('Trains leave at 8:10\n').toString('base64'),
    });
    const list = intranet.lists.find((l) => l.template === 'genericList');
    if (list)
      await control(app.emulator, 'PATCH', `sites/${encodeURIComponent(intranet.id)}/lists/${list.id}/items/1`, {
        fields: { Status: 'Done', Done: true },
      });
    console.log(
      `  ${adele.userPrincipalName}: 1 new message, 1 new file; ${bob.userPrincipalName}: 1 new message, moved to Archive; ${intranet.webUrl}: 1 new file in Documents${list ? `, 1 item of the list '${list.displayName}' edited` : ''}`,
    );

    step('incremental backup (delta: only the changes travel)');
    await runWithProgress(app, account.body.id, job.body.id);

    step(`an accident: ${adele.userPrincipalName} empties a folder; restore it from the latest recovery point`);
    await restoreDemo(app, account.body.id, adele);

    step('what Application Insights received (the workbook and alert rules read these; here its local stand-in)');
    await telemetrySummary(app);

    step(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; stopping`);
  } finally {
    await app.stop();
  }
}

main().catch((e: Error) => {
  console.error(`\n✖ ${e.message}`);
  process.exit(1);
});
