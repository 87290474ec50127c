// `npm run bench -- durable-payloads [--folders 50,150,500]`: how big the product's Durable payloads and histories
// get for one mailbox with many mail folders. Backs the mailbox up through the local host with its payload guard
// off, adding folders between runs, and reads every instance's history back from the Durable HTTP API. Then runs
// once more with the guard on (45 KB, as the Azure Storage provider's large-message threshold) and prints what fails.
import { control } from '../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../local/cli/local-app';
import type { HistoryEvent } from '../local/host/durable/history';
import { EventType } from '../local/host/durable/history';
import { DEFAULT_MAX_PAYLOAD_BYTES, jsonText, PAYLOAD_LIMIT_SETTING } from '../local/host/durable/payload-limits';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

interface Status {
  runtimeStatus: string;
  output: unknown;
  customStatus: unknown;
  historyEvents: HistoryEvent[];
}
interface Measure {
  events: number;
  episodes: number;
  historyBytes: number;
  payloads: Map<string, number>;
}

/** The largest payload of each kind and function in one instance's history. */
function measure(s: Status): Measure {
  const names = new Map<number, string>();
  const payloads = new Map<string, number>();
  const note = (what: string, json: unknown): void => {
    if (json === null || json === undefined) return;
    payloads.set(what, Math.max(payloads.get(what) ?? 0, Buffer.byteLength(jsonText(json))));
  };
  for (const e of s.historyEvents) {
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated)
      names.set(e.EventId, String(e.Name));
    if (e.EventType === EventType.ExecutionStarted) note('input', e.Input);
    if (e.EventType === EventType.TaskScheduled) note(`input of activity ${String(e.Name)}`, e.Input);
    if (e.EventType === EventType.TaskCompleted)
      note(`result of activity ${names.get(e.TaskScheduledId as number)}`, e.Result);
    if (e.EventType === EventType.SubOrchestrationInstanceCreated)
      note(`input of sub-orchestration ${String(e.Name)}`, e.Input);
    if (e.EventType === EventType.SubOrchestrationInstanceCompleted)
      note(`output of sub-orchestration ${names.get(e.TaskScheduledId as number)}`, e.Result);
    if (e.EventType === EventType.ExecutionCompleted) note('output', e.Result);
  }
  note('custom status', s.customStatus === null ? null : JSON.stringify(s.customStatus));
  const history = JSON.stringify(s.historyEvents);
  return {
    events: s.historyEvents.length,
    episodes: s.historyEvents.filter((e) => e.EventType === EventType.OrchestratorStarted).length,
    historyBytes: Buffer.byteLength(history),
    payloads,
  };
}

async function status(app: LocalApp, instanceId: string): Promise<Status> {
  const r = await fetch(app.durable(`instances/${encodeURIComponent(instanceId)}?showHistory=true`));
  return (await r.json()) as Status;
}

async function main(): Promise<void> {
  const targets = arg('folders', '50,150,500').split(',').map(Number);
  process.env[PAYLOAD_LIMIT_SETTING] = '0';
  const app = await startLocalApp({
    emulator: {
      seed: 'payloads',
      profile: {
        licensedUsers: 1,
        sharedMailboxes: 0,
        messages: { inbox: 2 },
        filesPerDrive: 0,
        fileBytes: { min: 1, max: 2 },
        attachmentEvery: 0,
        largeEvery: 0,
        eventsPerMailbox: 1,
        contactsPerMailbox: 1,
        contactFolders: 0,
      },
    },
  });
  try {
    const user = app.tenant.users.find((u) => u.licensed)!;
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const account = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
      displayName: 'Payloads',
      tenantId: app.tenant.tenantId,
      clientId: backupApp.clientId,
      credential: { type: 'secret', secretName: 'demo-backup' },
    });
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${account.body.id}/jobs`, {
      name: 'Payloads',
      sources: { scope: 'account', include: { mailboxes: true, oneDrives: false } },
      options: { concurrency: 1 },
    });
    const jobInstance = `backup-${job.body.id}`;
    /** Runs the job to its end; then its instance as the Durable API shows it (with the system key). */
    const run = async (): Promise<Status & { runId: string }> => {
      const { runId } = await app.admin.runJob(account.body.id, job.body.id, 3_600_000);
      return { ...(await status(app, jobInstance)), runId };
    };
    const rows: string[] = [];
    let created = 0;
    for (const target of targets) {
      for (; created < target; created++)
        await control(app.emulator, 'POST', `mail/${user.id}/folders`, {
          displayName: `Project ${created + 1} – customer correspondence`,
        });
      const t0 = Date.now();
      const done = await run();
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      const { runId } = done;
      const instances = {
        backupJob: jobInstance,
        backupLane: `${jobInstance}:${runId}:lane0`,
        backupItem: `${runId}:item0`,
      };
      for (const [name, id] of Object.entries(instances)) {
        const m = measure(await status(app, id));
        rows.push(
          `| ${target} | ${name} | ${m.events} | ${m.episodes} | ${(m.historyBytes / 1024).toFixed(1)} KB | ${name === 'backupJob' ? `${seconds} s` : ''} |`,
        );
        for (const [what, bytes] of [...m.payloads].sort((a, b) => b[1] - a[1]).slice(0, 3)) {
          rows.push(
            `| | | ${what} | | ${(bytes / 1024).toFixed(1)} KB | ${bytes > DEFAULT_MAX_PAYLOAD_BYTES ? '**over 45 KB**' : ''} |`,
          );
        }
      }
    }
    console.log(`\nOne mailbox; mail folders created on top of the emulator's well-known ones. Guard off.\n`);
    console.log(
      '| folders | instance / largest payloads | history events | episodes | size | |\n|---|---|---|---|---|---|',
    );
    for (const r of rows) console.log(r);

    process.env[PAYLOAD_LIMIT_SETTING] = String(DEFAULT_MAX_PAYLOAD_BYTES);
    await app.restartHost();
    const guarded = await run();
    const item = await status(app, `${guarded.runId}:item0`);
    const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, 400);
    console.log(
      `\nWith the guard on (${DEFAULT_MAX_PAYLOAD_BYTES} bytes): backupJob ${guarded.runtimeStatus}: ${text(guarded.output)}`,
    );
    console.log(`backupItem ${item.runtimeStatus}: ${text(item.output)}`);
  } finally {
    await app.stop();
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
