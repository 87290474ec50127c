// `npm run bench -- backup [--mailboxes N] [--messages M] [--budget B] [--window S] [--file-mb F] [--no-service-time]`:
// a full backup then a 1 %-change incremental of an emulated tenant, through the local host, with Exchange-style
// throttling per mailbox and the emulator's service-time model (Graph's latencies; --no-service-time answers at once).
// Prints throughput, Graph requests per item, 429s and their share, the share of the request budget used, and the
// host's peak RSS. --file-mb adds one file of F MiB (generated lazily by the emulator) to the first OneDrive and backs
// OneDrives up too.
import { numberArg } from './args';
import { benchAccount, mb, printRuns, readCounters, resetCounters, withRssSampler } from './report';
import { control } from '../local/cli/emulator-control';
import { startLocalApp } from '../local/cli/local-app';
import { cosmosStats, estimateRu, requestCount, RU_ASSUMPTIONS } from './cosmos-stats';

async function main(): Promise<void> {
  const mailboxes = numberArg('mailboxes', 4);
  const messages = numberArg('messages', 1000);
  const budget = numberArg('budget', 600);
  const windowSeconds = numberArg('window', 60);
  const fileMb = numberArg('file-mb', 0);
  const serviceTime = !process.argv.includes('--no-service-time');
  const app = await startLocalApp({
    syncTimeBoxSeconds: 60,
    emulator: {
      seed: 'bench',
      profile: {
        licensedUsers: mailboxes,
        sharedMailboxes: 0,
        messages: {
          inbox: Math.round(messages * 0.6),
          sentitems: Math.round(messages * 0.2),
          archive: messages - Math.round(messages * 0.6) - Math.round(messages * 0.2),
        },
        filesPerDrive: 0,
        fileBytes: { min: 1, max: 2 },
        attachmentEvery: 4,
        largeEvery: 0,
      },
      throttle: { concurrency: 4, budget, windowSeconds },
      serviceTime: { enabled: serviceTime },
    },
  });
  await withRssSampler(app, async (rss) => {
    const accountId = await benchAccount(app);
    if (fileMb > 0)
      await control(app.emulator, 'POST', `drive/${app.tenant.users.find((u) => u.licensed)!.id}/files`, {
        name: 'large.bin',
        size: fileMb * 1024 * 1024,
      });
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Bench',
      sources: { scope: 'account', include: { mailboxes: true, oneDrives: fileMb > 0 } },
      options: { concurrency: mailboxes },
    });
    const run = async (label: string): Promise<Record<string, number | string>> => {
      await resetCounters(app);
      await cosmosStats(app, 'DELETE');
      rss.reset();
      const t0 = Date.now();
      const o = await app.admin.runJob(accountId, job.body.id, 3_600_000);
      const seconds = (Date.now() - t0) / 1000;
      const counters = await readCounters(app);
      const cosmos = await cosmosStats(app, 'GET');
      const items = Math.max(1, Number(o.written));
      const available = mailboxes * budget * Math.max(1, seconds / windowSeconds);
      return {
        run: label,
        status: String(o.status),
        items: Number(o.written),
        seconds: seconds.toFixed(1),
        'items/s': (Number(o.written) / seconds).toFixed(1),
        'MB/s': (Number(o.bytes) / 1024 / 1024 / seconds).toFixed(2),
        requests: counters.requests,
        'requests/item': (counters.requests / Math.max(1, Number(o.written))).toFixed(2),
        '429s': counters.byStatus['429'] ?? 0,
        '429 share': `${((100 * (counters.byStatus['429'] ?? 0)) / Math.max(1, counters.requests)).toFixed(2)} %`,
        'budget used': `${Math.min(100, (100 * (counters.requests - (counters.byStatus['429'] ?? 0))) / available).toFixed(0)} %`,
        'Cosmos requests/item': (requestCount(cosmos) / items).toFixed(2),
        'RU/item (estimate)': (estimateRu(cosmos) / items).toFixed(1),
        'stored bytes/item': Math.round(Number(o.storedBytes) / items),
        'peak RSS': mb(rss.peak()),
      };
    };
    const full = await run('full');
    // 1 % of messages change (read state flips, as users read mail): the incremental must cost a fraction of the full.
    const tenantMailboxes = app.tenant.users.filter((u) => u.licensed);
    const perMailbox = Math.max(1, Math.round(messages / 100));
    for (const u of tenantMailboxes) {
      const mb = app.emulator.tenant().mailbox(u.id)!;
      const ids = [...mb.messages(mb.folder('inbox')!).all()].slice(0, perMailbox).map((m) => m.id);
      for (const id of ids)
        await control(app.emulator, 'PATCH', `mail/${u.id}/messages/${encodeURIComponent(id)}`, { isRead: true });
    }
    const incremental = await run('1 % incremental');
    printRuns(
      `${mailboxes} mailboxes × ${messages} messages${fileMb ? ` + a ${fileMb} MiB file` : ''}; throttle ${budget} requests / ${windowSeconds} s / mailbox, 4 concurrent; service time ${serviceTime ? 'on' : 'off'}`,
      full,
      incremental,
    );
    console.log(RU_ASSUMPTIONS);
  });
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
