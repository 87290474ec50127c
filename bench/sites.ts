// `npm run bench -- sites [--sites N] [--lists L] [--items I] [--files F] [--file-kb K] [--ru R] [--concurrency C]
// [--no-service-time]`: a full backup then a 1 %-change incremental of N SharePoint sites (root, one subsite, the rest
// communication and team sites; L generic lists of I items and F files of up to K KiB per library), through the
// local host, with SharePoint's resource-unit budget (R a minute per app and tenant, 1,200 by default: the documented
// budget for 0–1k licences) and the emulator's service-time model (--no-service-time answers at once).
// Prints per run files/s (library items, folders included), MB/s, list items/s, Graph requests per item, the share of
// the resource-unit budget used, 429s and the host's peak RSS.
import { numberArg } from './args';
import { benchAccount, mb, printRuns, readCounters, resetCounters, withRssSampler } from './report';
import { control } from '../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../local/cli/local-app';
import { LIST_CONTAINER } from '../shared/backup/workloads/list-items';

interface EmuSite {
  id: string;
  lists: Array<{ id: string; template: string; driveId: string | null }>;
}
interface Point {
  runId: string;
  containers: Record<string, { written: number }>;
}

const seg = encodeURIComponent;

/** What one run wrote, from the recovery points it made: library items (files, folders) and list items. */
async function written(app: LocalApp, accountId: string, runId: string): Promise<{ files: number; listItems: number }> {
  const items = await app.reader.call<{ value: Array<{ id: string; kind: string }> }>(
    'GET',
    `/api/accounts/${accountId}/protected-items`,
  );
  const sum = { files: 0, listItems: 0 };
  for (const item of items.body.value.filter((i) => i.kind === 'site')) {
    const points = await app.reader.call<{ value: Point[] }>(
      'GET',
      `/api/accounts/${accountId}/protected-items/${seg(item.id)}/recovery-points`,
    );
    for (const p of points.body.value.filter((x) => x.runId === runId))
      for (const [id, c] of Object.entries(p.containers)) {
        if (id.startsWith('drive:')) sum.files += c.written;
        else if (id.startsWith(LIST_CONTAINER)) sum.listItems += c.written;
      }
  }
  return sum;
}

/** Edits, adds and deletes in turn about 1 % of the list items and of the library files, spread over every list and
 * library, as users would. */
async function changeOnePercent(app: LocalApp, sites: EmuSite[]): Promise<{ listItems: number; files: number }> {
  const lists: Array<{ site: string; list: string; ids: string[] }> = [];
  const drives: Array<{ drive: string; ids: string[] }> = [];
  for (const s of sites)
    for (const l of s.lists) {
      if (l.driveId) {
        const tree = await control<Array<{ id: string; folder: boolean }>>(
          app.emulator,
          'GET',
          `drive/${seg(l.driveId)}/items`,
        );
        drives.push({ drive: l.driveId, ids: tree.body.filter((x) => !x.folder).map((x) => x.id) });
      } else if (l.template === 'genericList') {
        const items = await control<Array<{ id: string }>>(
          app.emulator,
          'GET',
          `sites/${seg(s.id)}/lists/${l.id}/items`,
        );
        lists.push({ site: s.id, list: l.id, ids: items.body.map((x) => x.id) });
      }
    }
  const count = (xs: Array<{ ids: string[] }>): number =>
    xs.length ? Math.max(1, Math.round(xs.reduce((n, x) => n + x.ids.length, 0) / 100)) : 0;
  const listChanges = count(lists);
  for (let k = 0; k < listChanges; k++) {
    const { site, list, ids } = lists[k % lists.length];
    const base = `sites/${seg(site)}/lists/${list}/items`;
    const id = ids.pop()!;
    if (k % 3 === 0) await control(app.emulator, 'PATCH', `${base}/${id}`, { fields: { Title: `Edited ${k}` } });
    else if (k % 3 === 1) await control(app.emulator, 'POST', base, { fields: { Title: `Added ${k}` } });
    else await control(app.emulator, 'DELETE', `${base}/${id}`);
  }
  const fileChanges = count(drives);
  for (let k = 0; k < fileChanges; k++) {
    const { drive, ids } = drives[k % drives.length];
    const base = `drive/${seg(drive)}/files`;
    const id = ids.pop()!;
    if (k % 3 === 0)
      await control(app.emulator, 'PATCH', `${base}/${seg(id)}`, {
        content: Buffer.from(`edited ${k}`).toString('base64'),
      });
    else if (k % 3 === 1) await control(app.emulator, 'POST', base, { name: `added-${k}.bin`, size: 50_000 });
    else await control(app.emulator, 'DELETE', `${base}/${seg(id)}`);
  }
  return { listItems: listChanges, files: fileChanges };
}

async function main(): Promise<void> {
  const siteCount = numberArg('sites', 50);
  const listsPerSite = numberArg('lists', 2);
  const itemsPerList = numberArg('items', 100);
  const filesPerDrive = numberArg('files', 10);
  const fileKb = numberArg('file-kb', 200);
  const ruPerMinute = numberArg('ru', 1200);
  const concurrency = numberArg('concurrency', 4);
  const serviceTime = !process.argv.includes('--no-service-time');
  // The root site and its one subsite come with every tenant; the rest are half communication, half team sites.
  const others = Math.max(0, siteCount - 2);
  const app = await startLocalApp({
    syncTimeBoxSeconds: 60,
    emulator: {
      seed: 'bench-sites',
      profile: {
        licensedUsers: 1,
        sharedMailboxes: 0,
        messages: {},
        filesPerDrive,
        fileBytes: { min: 1_000, max: fileKb * 1024 },
        attachmentEvery: 0,
        largeEvery: 0,
        sites: { communication: Math.ceil(others / 2), team: Math.floor(others / 2), listsPerSite, itemsPerList },
      },
      serviceTime: { enabled: serviceTime },
    },
  });
  await withRssSampler(app, async (rss) => {
    await control(app.emulator, 'PUT', 'resource-units', { perMinute: ruPerMinute });
    const accountId = await benchAccount(app);
    const sites = (await control<EmuSite[]>(app.emulator, 'GET', 'sites')).body;
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Sites',
      sources: { scope: 'account', include: { mailboxes: false, oneDrives: false, sites: true } },
      options: { concurrency },
    });
    if (job.status !== 201) throw new Error(`job not created: ${JSON.stringify(job.body)}`);
    const run = async (label: string): Promise<Record<string, number | string>> => {
      await resetCounters(app);
      rss.reset();
      const t0 = Date.now();
      const o = await app.admin.runJob(accountId, job.body.id, 3_600_000);
      const seconds = (Date.now() - t0) / 1000;
      const counters = await readCounters(app);
      const { files, listItems } = await written(app, accountId, o.runId);
      const throttled = counters.byStatus['429'] ?? 0;
      return {
        run: label,
        status: String(o.status),
        seconds: seconds.toFixed(1),
        files,
        'files/s': (files / seconds).toFixed(1),
        'MB/s': (Number(o.bytes) / 1024 / 1024 / seconds).toFixed(2),
        'list items': listItems,
        'list items/s': (listItems / seconds).toFixed(1),
        requests: counters.requests,
        'requests/item': (counters.requests / Math.max(1, files + listItems)).toFixed(2),
        RU: counters.resourceUnits,
        'RU budget used': `${((100 * counters.resourceUnits) / (ruPerMinute * Math.max(1, seconds / 60))).toFixed(0)} %`,
        '429s': throttled,
        'peak RSS': mb(rss.peak()),
      };
    };
    const full = await run('full');
    const changed = await changeOnePercent(app, sites);
    const incremental = await run('1 % incremental');
    printRuns(
      `${sites.length} sites, ${listsPerSite} lists × ${itemsPerList} items and ${filesPerDrive} files (≤ ${fileKb} KiB) per library; ` +
        `incremental after ${changed.listItems} list items and ${changed.files} files edited/added/deleted; ` +
        `${ruPerMinute} RU a minute; job concurrency ${concurrency}; service time ${serviceTime ? 'on' : 'off'}`,
      full,
      incremental,
    );
  });
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
