// `npm run bench:restore -- [--messages N] [--budget B] [--window S] [--search-docs D] [--search-runs R] [--search-only]
// [--no-service-time]`: backs up one mailbox of N messages through the local host, then restores its Inbox into another
// mailbox with Exchange-style throttling and the emulator's service-time model on, and prints items/s, MB/s, Graph
// requests per item, 429s and their share, and the share of the request budget used. Then seeds a recovery
// point of D messages straight into the catalog (concurrent bulk upserts) and times pages of searches over it
// (subject word and its next page, addresses, body text), p50 / p95 over R runs. --search-only skips the backup
// and the restore.
import https from 'node:https';
import fs from 'node:fs';
import { CosmosClient, JSONObject } from '@azure/cosmos';
import { control } from '../local/cli/emulator-control';
import { startLocalApp } from '../local/cli/local-app';
import { startStack } from '../local/stack/stack';
import { indexed, VersionStore } from '../shared/catalog/version-store';
import type { VersionDoc } from '../shared/catalog/version-doc';
import { headId } from '../shared/catalog/version-doc';
import { search } from '../shared/browse/recovery-point-queries';
import { searchTextOf } from '../shared/backup/workloads/mail';
import { numberArg } from './args';

/** As the backup writes them: the search field, and ~1 KB of body text. */
const withSearchText = (props: Record<string, unknown>): Record<string, unknown> => ({
  ...props,
  searchText: searchTextOf(props),
  bodyText:
    `${String(props.bodyPreview)} ${'minutes of the weekly sync, action items and owners. '.repeat(18)}`.toLowerCase(),
});

const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

const SEED_BATCH = 1000;
const SEED_CALLS = 10;

/** Search latency: a recovery point of `searchDocs` messages written straight into the catalog, as backups store them. */
async function searchLatency(
  env: Record<string, string | undefined>,
  searchDocs: number,
  searchRuns: number,
): Promise<void> {
  const client = new CosmosClient({
    endpoint: env.M365V_COSMOS_ENDPOINT!,
    key: env.M365V_COSMOS_KEY!,
    agent: new https.Agent({ ca: fs.readFileSync(env.M365V_COSMOS_CA_CERT_FILE!), keepAlive: true }),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  try {
    const versions = new VersionStore(client.database(env.M365V_COSMOS_DATABASE!));
    const pid = 'bench.mailbox.search';
    const words = ['budget', 'roadmap', 'invoice', 'contract', 'offsite', 'hiring', 'release', 'audit'];
    const doc = (i: number): VersionDoc =>
      indexed({
        id: headId(pid, `messages:f${i % 20}`, `m${i}`),
        protectedItemId: pid,
        containerId: `messages:f${i % 20}`,
        itemId: `m${i}`,
        kind: 'message',
        validFrom: 1,
        props: withSearchText({
          subject: `${words[i % words.length]} update ${i}`,
          from: { emailAddress: { address: `user${i % 500}@contoso.example` } },
          toRecipients: [{ emailAddress: { address: `team${i % 50}@contoso.example` } }],
          bodyPreview: `Notes ${i}: please review the ${words[(i * 7) % words.length]} before Friday. token${i}`,
          parentFolderId: `f${i % 20}`,
        }),
      });
    const seedStart = Date.now();
    const seed = async (from: number): Promise<void> => {
      const docs = Array.from({ length: Math.max(0, Math.min(SEED_BATCH, searchDocs - from)) }, (_, k) =>
        doc(from + k),
      );
      if (docs.length === 0) return;
      const results = await versions.container.items.executeBulkOperations(
        docs.map((d) => ({
          operationType: 'Upsert' as const,
          partitionKey: [d.protectedItemId, d.containerId, d.id],
          resourceBody: d as unknown as JSONObject,
        })),
      );
      const failed = results.find((r) => r.error || (r.response?.statusCode ?? 0) >= 300);
      if (failed) throw new Error(`seeding failed: ${failed.error?.message ?? failed.response?.statusCode}`);
    };
    // The SDK's bulk executor pauses between the batches of one call; several calls at once keep Cosmos busy.
    for (let i = 0; i < searchDocs; i += SEED_BATCH * SEED_CALLS)
      await Promise.all(Array.from({ length: SEED_CALLS }, (_, j) => seed(i + j * SEED_BATCH)));
    console.log(
      `\nseeded ${searchDocs} message versions in ${((Date.now() - seedStart) / 1000).toFixed(0)} s (bulk upserts, ${SEED_CALLS} calls of ${SEED_BATCH} at a time)`,
    );
    console.log(
      `\n| search (page of 50, ${searchRuns} runs) | query | hits | p50 ms | p95 ms |\n|---|---|---|---|---|`,
    );
    const secondPage = (await search(versions, pid, { fromSeq: 1, toSeq: 1 }, 'roadmap', 50)).continuation;
    const queries: Array<[label: string, q: string, continuation?: string]> = [
      ['subject word', 'roadmap'],
      ['subject word, next page', 'roadmap', secondPage],
      ['sender address', 'user123@contoso.example'],
      ['recipient address', 'team7@'],
      ['body text (rare word)', `token${searchDocs - 1}`],
      ['body phrase', 'weekly sync'],
    ];
    for (const [label, q, continuation] of queries) {
      const times: number[] = [];
      let hits = 0;
      for (let k = 0; k < searchRuns; k++) {
        const t = Date.now();
        hits = (await search(versions, pid, { fromSeq: 1, toSeq: 1 }, q, 50, continuation)).value.length;
        times.push(Date.now() - t);
      }
      console.log(`| ${label} | \`${q}\` | ${hits} | ${pct(times, 0.5)} | ${pct(times, 0.95)} |`);
    }
  } finally {
    client.dispose();
  }
}

async function main(): Promise<void> {
  const messages = numberArg('messages', 1000);
  const budget = numberArg('budget', 300);
  const windowSeconds = numberArg('window', 10);
  const searchDocs = numberArg('search-docs', 100_000);
  const searchRuns = numberArg('search-runs', 10);
  if (process.argv.includes('--search-only')) {
    const stack = await startStack();
    try {
      await searchLatency(stack.env, searchDocs, searchRuns);
    } finally {
      await stack.stop();
    }
    return;
  }
  const app = await startLocalApp({
    syncTimeBoxSeconds: 60,
    emulator: {
      seed: 'bench',
      profile: {
        licensedUsers: 2,
        sharedMailboxes: 0,
        messages: { inbox: messages },
        filesPerDrive: 0,
        fileBytes: { min: 1, max: 2 },
        attachmentEvery: 4,
        largeEvery: 0,
      },
      throttle: { concurrency: 4, budget, windowSeconds },
      serviceTime: { enabled: !process.argv.includes('--no-service-time') },
    },
  });
  try {
    const [source, target] = app.tenant.users.filter((u) => u.licensed);
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Bench',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
    const jobId = (
      await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
        name: 'Bench',
        sources: { scope: 'selected', items: [{ kind: 'mailbox', match: source.userPrincipalName }] },
      })
    ).body.id;
    const backup = await app.admin.runJob(accountId, jobId, 3_600_000);
    const itemId = `${accountId}.mailbox.${source.id}`;
    const folders = (
      await app.reader.call<{ value: Array<{ id: string; wellKnownName?: string }> }>(
        'GET',
        `/api/accounts/${accountId}/protected-items/${encodeURIComponent(itemId)}/recovery-points/1/folders`,
      )
    ).body.value;
    const inbox = folders.find((f) => f.wellKnownName === 'inbox')!;

    await control(app.emulator, 'DELETE', 'counters');
    const t0 = Date.now();
    const started = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/restores`, {
      protectedItemId: itemId,
      seq: 1,
      selection: { folders: [inbox.id] },
      target: { type: 'mailbox', user: target.userPrincipalName },
    });
    let r: { status: string; counts: { total: number; restored: number; failed: number } } = {
      status: 'running',
      counts: { total: 0, restored: 0, failed: 0 },
    };
    while (r.status === 'running') {
      await new Promise((res) => setTimeout(res, 250));
      r = (await app.reader.call<typeof r>('GET', `/api/accounts/${accountId}/restores/${started.body.id}`)).body;
    }
    const seconds = (Date.now() - t0) / 1000;
    const counters = (
      await control<{ requests: number; byStatus: Record<string, number> }>(app.emulator, 'GET', 'counters')
    ).body;
    const mb = (backup.bytes ?? 0) / 1024 / 1024;
    console.log(
      `\nrestore of ${r.counts.total} messages (${mb.toFixed(1)} MB of MIME) into another mailbox; throttle ${budget} requests / ${windowSeconds} s / mailbox, 4 concurrent\n`,
    );
    const throttled = counters.byStatus['429'] ?? 0;
    // Restore writes to one mailbox: its budget is what the window allows over the run.
    const available = budget * Math.max(1, seconds / windowSeconds);
    console.log(
      '| status | restored | failed | seconds | items/s | MB/s | requests | requests/item | 429s | 429 share | budget used |\n|---|---|---|---|---|---|---|---|---|---|---|',
    );
    console.log(
      `| ${r.status} | ${r.counts.restored} | ${r.counts.failed} | ${seconds.toFixed(1)} | ${(r.counts.restored / seconds).toFixed(1)} | ${(mb / seconds).toFixed(2)} | ${counters.requests} | ${(counters.requests / Math.max(1, r.counts.total)).toFixed(2)} | ${throttled} | ${((100 * throttled) / Math.max(1, counters.requests)).toFixed(2)} % | ${Math.min(100, (100 * (counters.requests - throttled)) / available).toFixed(0)} % |`,
    );

    await searchLatency(app.env, searchDocs, searchRuns);
  } finally {
    await app.stop();
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
