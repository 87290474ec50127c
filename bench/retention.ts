// `npm run bench -- retention [--items 100] [--points 100] [--versions 10000] [--blob-every 10]`: what retention
// costs on a large catalog. Backs up `items` mailboxes once through the local host, then grows each one's history in
// the catalog to `points` daily recovery points and `versions` item versions (a mailbox holding a tenth as many
// messages, of which about 1 % change per day), with a content blob for every `blob-every`-th version. Then runs retention twice
// through the API with a GFS policy (last 7, 14 daily, 8 weekly, 3 monthly) and no grace period: the first run
// prunes points and versions and condemns the content they alone held, the second deletes it. Prints per run: time,
// the host's peak RSS and its live heap (in use after each major collection: what a growing structure would show),
// what was pruned and freed, and the Cosmos DB requests per container and operation, counted by
// the stand-in, with request units estimated from them (the stand-in charges none; assumptions printed).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { numberArg, rssOf } from './args';
import https from 'node:https';
import { CosmosClient, type Container } from '@azure/cosmos';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startLocalApp } from '../local/cli/local-app';
import { HEAP_LINE } from '../local/host/heap-after-gc';
import type { CosmosStats } from '../local/stack/cosmos-request-stats';
import { cosmosStats, estimateRu, requestCount, RU_ASSUMPTIONS } from './cosmos-stats';
import { pointId, type RecoveryPointDoc } from '../shared/catalog/points-store';
import { InventoryStore } from '../shared/inventory/inventory-store';
import { protectedItemId } from '../shared/inventory/schemas';
import { closedId, type ContentPointer, headId, type VersionDoc } from '../shared/catalog/version-doc';
import { referencedHashes } from '../shared/retention/collector';
import { contentBlobName } from '../shared/storage/content-publish';

const DAY = 86_400_000;
/** Messages a mailbox holds at any time (a tenth of its versions, at most 1,000); the rest are changes to them. */
const liveOf = (total: number): number => Math.min(1000, Math.ceil(total / 10));

/** Runs `work` over `inputs` with at most `width` at a time. */
async function pool<T>(inputs: readonly T[], width: number, work: (input: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < inputs.length) await work(inputs[next++]);
    }),
  );
}

/** Writes documents 32 at a time (the SDK's bulk API paces itself far below what the stand-in takes). */
async function writeAll(container: Container, docs: Array<Record<string, unknown>>): Promise<void> {
  await pool(docs, 32, async (d) => void (await container.items.upsert(d)));
}

/** The version history of one mailbox: `live` messages on day 1, then `changed` of them replaced each later day. */
function history(pid: string, containerId: string, days: number, total: number, at: (seq: number) => number) {
  const live = liveOf(total);
  const changed = Math.max(1, Math.round((total - live) / Math.max(1, days - 1)));
  const current = new Map<number, number>();
  const docs: VersionDoc[] = [];
  const hashes: string[] = [];
  const version = (n: number, seq: number): VersionDoc => {
    const sha256 = createHash('sha256').update(`${pid}:${n}:${seq}`).digest('hex');
    hashes.push(sha256);
    const itemId = `bench-${n}`;
    return {
      id: headId(pid, containerId, itemId),
      protectedItemId: pid,
      containerId,
      itemId,
      kind: 'message',
      validFrom: seq,
      changeKey: `ck-${seq}`,
      props: { subject: `Message ${n} as of day ${seq}`, receivedDateTime: new Date(at(seq)).toISOString(), size: 100 },
      content: { blob: { sha256, size: 100, encoding: 'identity' } },
    };
  };
  for (let n = 0; n < live; n++) {
    docs.push(version(n, 1));
    current.set(n, docs.length - 1);
  }
  for (let seq = 2; seq <= days && docs.length < total; seq++) {
    for (let k = 0; k < changed && docs.length < total; k++) {
      const n = (seq * changed + k) % live;
      const prev = docs[current.get(n)!];
      docs[current.get(n)!] = { ...prev, id: closedId(pid, containerId, prev.itemId, prev.validFrom), validTo: seq };
      docs.push(version(n, seq));
      current.set(n, docs.length - 1);
    }
  }
  return { docs, hashes };
}

async function main(): Promise<void> {
  const items = numberArg('items', 100);
  const days = numberArg('points', 100);
  const perItem = numberArg('versions', 10_000);
  const blobEvery = numberArg('blob-every', 10);
  // The live heap after each major collection, with when it was taken, for the run under way.
  let heap: Array<{ at: number; bytes: number }> = [];
  process.env.M365V_HOST_HEAP_LOG = '1';
  const app = await startLocalApp({
    onHostLine: (line) => {
      const m = HEAP_LINE.exec(line);
      if (m) heap.push({ at: Date.now(), bytes: Number(m[1]) });
    },
    syncTimeBoxSeconds: 60,
    retentionGraceSeconds: 0,
    emulator: {
      seed: 'bench-retention',
      profile: {
        licensedUsers: items,
        sharedMailboxes: 0,
        messages: { inbox: 0 },
        filesPerDrive: 0,
        fileBytes: { min: 1, max: 2 },
        attachmentEvery: 0,
        largeEvery: 0,
      },
    },
  });
  const pid = app.host.child.pid!;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
  const env = app.stack.env;
  const ca = fs.readFileSync(env.M365V_COSMOS_CA_CERT_FILE);
  const client = new CosmosClient({
    endpoint: env.M365V_COSMOS_ENDPOINT,
    key: env.M365V_COSMOS_KEY,
    agent: new https.Agent({ ca, keepAlive: true }),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  const stats = (method: 'GET' | 'DELETE'): Promise<CosmosStats> => cosmosStats(app, method);
  try {
    const db = client.database(app.stack.cosmosDatabase);
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const account = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Bench',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body;
    const job = (
      await app.admin.call<{ id: string }>('POST', `/api/accounts/${account.id}/jobs`, {
        name: 'Bench',
        sources: { scope: 'account', include: { mailboxes: true, oneDrives: false } },
        options: { concurrency: 8 },
        retention: { keepLast: 7, keepDaily: 14, keepWeekly: 8, keepMonthly: 3, keepYearly: 0 },
      })
    ).body;
    // The catalog a hundred days of daily backups would have left.
    let t0 = Date.now();
    const content: ContainerClient = BlobServiceClient.fromConnectionString(
      env.M365V_STORAGE_CONNECTION_STRING,
    ).getContainerClient('content');
    const now = Date.now();
    const at = (seq: number): number => now - (days - seq) * DAY - 3_600_000;
    const inventory = new InventoryStore(db);
    const seeds: RecoveryPointDoc[] = [];
    for (const user of app.tenant.users.filter((u) => u.licensed).slice(0, items)) {
      const id = protectedItemId(account.id, 'mailbox', user.id);
      await inventory.recordDiscovered({
        id,
        accountId: account.id,
        type: 'protectedItem',
        kind: 'mailbox',
        userId: user.id,
        displayName: user.displayName,
        address: user.userPrincipalName,
        lastSeq: days,
        firstSeenRunId: 'bench-1',
        lastSeenRunId: `bench-${days}`,
      });
      seeds.push({
        id: pointId(id, 'bench'),
        accountId: account.id,
        protectedItemId: id,
        jobId: job.id,
        runId: 'bench',
        seq: 1,
        status: 'success',
        startedAt: '',
        containers: {},
        alarms: [],
      });
    }
    let versionCount = 0;
    let blobCount = 0;
    for (const seed of seeds) {
      const points = Array.from({ length: days }, (_, i) => {
        const seq = i + 1;
        const doc = seed as RecoveryPointDoc & Record<string, unknown>;
        const startedAt = new Date(at(seq)).toISOString();
        return seq === 1
          ? { ...doc, startedAt, completedAt: startedAt }
          : { ...doc, id: `${doc.id}-${seq}`, runId: `bench-${seq}`, seq, startedAt, completedAt: startedAt };
      });
      await writeAll(db.container('recoveryPoints'), points);
      const containerId = 'inbox';
      const { docs, hashes } = history(seed.protectedItemId, containerId, days, perItem, at);
      await writeAll(db.container('versions'), docs as unknown as Array<Record<string, unknown>>);
      versionCount += docs.length;
      const blobs = hashes.filter((_, i) => i % blobEvery === 0);
      await pool(blobs, 16, async (h) => {
        await content.getBlockBlobClient(contentBlobName(app.tenant.tenantId, h)).upload('x'.repeat(100), 100);
      });
      blobCount += blobs.length;
    }
    console.log(
      `seeded ${seeds.length * days} recovery points, ${versionCount} versions, ${blobCount} content blobs in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );

    const rows: Array<Record<string, string | number>> = [];
    for (const label of ['prune + condemn', 'delete condemned']) {
      await stats('DELETE');
      peak = 0;
      heap = [];
      t0 = Date.now();
      const started = await app.admin.call('POST', `/api/accounts/${account.id}/retention-runs`);
      const run = await app.admin.waitForRun<{ status: string; totals: Record<string, number> }>(
        started,
        undefined,
        6 * 3_600_000,
      );
      const seconds = (Date.now() - t0) / 1000;
      // Flat memory: the live heap late in the run is no larger than early in it.
      const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`;
      const liveMax = (from: number, to: number): string => {
        const inside = heap.filter((h) => h.at >= t0 + from * seconds * 1000 && h.at < t0 + to * seconds * 1000);
        return inside.length ? mb(Math.max(...inside.map((h) => h.bytes))) : '-';
      };
      const cosmos = await stats('GET');
      const requests = requestCount(cosmos);
      rows.push({
        run: label,
        status: run.status,
        seconds: seconds.toFixed(0),
        'points removed': run.totals.pointsRemoved,
        'versions removed': run.totals.versionsRemoved,
        'blobs scanned': run.totals.blobsScanned,
        condemned: run.totals.blobsCondemned,
        deleted: run.totals.blobsDeleted,
        'Cosmos requests': requests,
        'RU (estimate)': Math.round(estimateRu(cosmos)),
        'peak RSS': mb(peak),
        'major GCs': heap.length,
        'live heap max, 1st / 2nd / 3rd / 4th quarter': [0, 1, 2, 3]
          .map((q) => liveMax(q / 4, (q + 1) / 4))
          .join(' / '),
      });
      console.log(`\n${label}: Cosmos DB requests by container and operation`);
      for (const [container, ops] of Object.entries(cosmos))
        for (const [op, s] of Object.entries(ops))
          console.log(
            `  ${container.padEnd(15)} ${op.padEnd(8)} ${String(s.requests).padStart(9)} requests ${String(s.documents).padStart(9)} documents ${(s.bytes / 1024 / 1024).toFixed(1).padStart(8)} MiB`,
          );
    }
    // Garbage the mark set's false positives kept: content no remaining version references, still stored.
    const referenced = new Set<string>();
    const pointers = db
      .container('versions')
      .items.query<ContentPointer>('SELECT VALUE c.content FROM c WHERE IS_DEFINED(c.content)', {
        maxItemCount: 10_000,
      });
    while (pointers.hasMoreResults())
      for (const p of (await pointers.fetchNext()).resources) for (const h of referencedHashes(p)) referenced.add(h);
    let stored = 0;
    let kept = 0;
    for await (const b of content.listBlobsFlat({ prefix: `${app.tenant.tenantId}/sha256/` })) {
      stored++;
      if (!referenced.has(b.name.slice(b.name.lastIndexOf('/') + 1))) kept++;
    }
    console.log(
      `\nafter both runs: ${stored} content blobs stored, ${kept} of them referenced by no version (kept by mark-set false positives)`,
    );
    const cols = Object.keys(rows[0]);
    console.log(
      `\n${items} mailboxes × ${days} daily points = ${items * days} recovery points, ${versionCount} versions, ${blobCount} blobs; keep last 7, 14 daily, 8 weekly, 3 monthly\n`,
    );
    console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
    for (const r of rows) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
    console.log(
      "\nLive heap: the host's heap in use right after each major collection, the largest per quarter of the run.\n" +
        RU_ASSUMPTIONS,
    );
  } finally {
    clearInterval(sampler);
    client.dispose();
    await app.stop();
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
