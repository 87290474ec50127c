import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import type { VersionDoc } from '../../shared/catalog/version-doc';
import { VersionStore } from '../../shared/catalog/version-store';
import { referencedHashes } from '../../shared/retention/collector';
import { contentBlobName } from '../../shared/storage/content-publish';
import { freshCatalog } from '../support/catalog';
import { sharedStack, stackEnv, uniqueName } from '../support/env';

const DAY = 86_400_000;
const DAYS = 365;
/** Day `seq` of 2030 (1 January is seq 1), at `hour` UTC. */
const dayOf = (seq: number, hour: number): number => Date.UTC(2030, 0, seq, hour);
/** The seq of a calendar day of 2030. */
const seqOf = (month: number, day: number): number => (Date.UTC(2030, month - 1, day) - Date.UTC(2030, 0, 1)) / DAY + 1;

interface RetentionRun {
  status: string;
  totals: Record<string, number>;
  items: Array<{ protectedItemId: string; kept: Array<{ seq: number; reasons: string[] }>; removed: number[] }>;
}

// A year of daily backups of a changing mailbox through the local host, on a clock the test moves: the backup at
// 10:00 UTC, retention with its default grace period of a day at 02:30 the next night. At the end exactly the points
// the calendar names are kept, each by the rules it names; each still downloads the messages it saw byte for byte;
// a message deleted in the tenant stays downloadable while a point holding it is kept and its content goes once
// none is.
describe('a year of daily backups and retention runs through the local host', () => {
  let app: LocalApp;
  let versions: VersionStore;
  let dispose: () => void;
  const content = BlobServiceClient.fromConnectionString(
    stackEnv('M365V_STORAGE_CONNECTION_STRING'),
  ).getContainerClient('content');

  beforeAll(async () => {
    const catalog = await freshCatalog('year');
    dispose = () => catalog.client.dispose();
    versions = new VersionStore(catalog.database);
    app = await startLocalApp({
      stack: sharedStack(),
      cosmosDatabase: catalog.name,
      taskHub: uniqueName('year'),
      virtualClock: true,
      emulator: {
        seed: 'year',
        profile: {
          licensedUsers: 1,
          sharedMailboxes: 0,
          messages: { inbox: 2 },
          filesPerDrive: 0,
          fileBytes: { min: 1, max: 2 },
          attachmentEvery: 0,
          largeEvery: 0,
        },
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
    dispose?.();
  });

  it('keeps the last 3, 7 daily, 4 weekly, 12 monthly and 2 yearly points, each whole, and frees what no point holds', async () => {
    const user = app.tenant.users.find((u) => u.licensed)!;
    const mail = `mail/${user.id}/messages`;
    await app.advanceClock(dayOf(1, 9) - app.now());
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Year',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
    const job = await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
      name: 'Daily',
      sources: { scope: 'selected', items: [{ kind: 'mailbox', match: user.userPrincipalName }] },
      retention: {
        keepLast: 3,
        keepDaily: 7,
        keepWeekly: 4,
        keepMonthly: 12,
        keepYearly: 2,
        timeZone: 'Europe/Berlin',
        weekStartsOn: 'mon',
      },
    });
    expect(job.status).toBe(201);
    const pid = `${accountId}.mailbox.${user.id}`;

    // The tenant: one message a day with an attachment found nowhere else, deleted ten days later; one message whose
    // categories change every fifth day.
    const planted = new Map<number, { id: string; immutableId: string; mime: Buffer; hashes: string[] }>();
    const removedOn = new Map<number, number>();
    let edited: string | undefined;
    let last: RetentionRun | undefined;
    for (let seq = 1; seq <= DAYS; seq++) {
      await app.advanceClock(dayOf(seq, 10) - app.now());
      const mime = messageOn(seq, user.userPrincipalName);
      const m = (
        await control<{ id: string; immutableId: string }>(app.emulator, 'POST', mail, {
          mime: mime.toString('base64'),
        })
      ).body;
      planted.set(seq, { ...m, mime, hashes: [] });
      edited ??= m.id;
      if (seq % 5 === 0)
        await control(app.emulator, 'PATCH', `${mail}/${encodeURIComponent(edited)}`, { categories: [`Day ${seq}`] });
      if (planted.has(seq - 10) && seq - 10 !== 1)
        await control(app.emulator, 'DELETE', `${mail}/${encodeURIComponent(planted.get(seq - 10)!.id)}`);
      const run = await app.admin.runJob(accountId, job.body.id, 180_000);
      expect({ seq, status: run.status }).toEqual({ seq, status: 'success' });
      const [doc] = ((await versions.view(pid, seq).fetchAll()).resources as VersionDoc[]).filter(
        (d) => d.props.subject === `Day ${seq}`,
      );
      planted.get(seq)!.hashes = referencedHashes(doc.content!);

      await app.advanceClock(dayOf(seq + 1, 2) + 30 * 60_000 - app.now());
      const started = await app.admin.call('POST', `/api/accounts/${accountId}/retention-runs`);
      expect(started.status).toBe(202);
      last = await app.admin.waitForRun<RetentionRun>(started, undefined, 180_000);
      expect({ seq, status: last.status }).toEqual({ seq, status: 'success' });
      for (const r of last.items.find((i) => i.protectedItemId === pid)?.removed ?? []) removedOn.set(r, seq);
    }

    // Counted from the calendar (Berlin; weeks from Monday). The last run is in the night to Wednesday 1 January 2031,
    // "today": 7 days reach back to 26 December, 4 weeks to Monday 9 December, 12 months to February 2030.
    const expected = new Map<number, string[]>();
    const keep = (reason: string, seqs: number[]): void => {
      for (const s of seqs) expected.set(s, [...(expected.get(s) ?? []), reason]);
    };
    keep('base', [DAYS]);
    keep(
      'last',
      [29, 30, 31].map((d) => seqOf(12, d)),
    );
    keep(
      'daily',
      [26, 27, 28, 29, 30, 31].map((d) => seqOf(12, d)),
    );
    keep(
      'weekly',
      [15, 22, 29, 31].map((d) => seqOf(12, d)),
    );
    keep(
      'monthly',
      [28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31].map((d, m) => seqOf(m + 2, d)),
    );
    keep('yearly', [seqOf(12, 31)]);
    const kept = last!.items.find((i) => i.protectedItemId === pid)!.kept;
    expect(kept.map((k) => ({ seq: k.seq, reasons: [...k.reasons].sort() }))).toEqual(
      [...expected].sort(([a], [b]) => a - b).map(([seq, reasons]) => ({ seq, reasons: reasons.sort() })),
    );
    const listed = await app.reader.call<{ value: Array<{ seq: number; status: string }> }>(
      'GET',
      `/api/accounts/${accountId}/protected-items/${encodeURIComponent(pid)}/recovery-points`,
    );
    expect(
      listed.body.value
        .filter((p) => p.status !== 'pruning')
        .map((p) => p.seq)
        .sort((a, b) => a - b),
    ).toEqual([...expected.keys()].sort((a, b) => a - b));

    const keptSeqs = new Set(expected.keys());
    for (const [day, m] of planted) {
      // The points that saw the message: from its day until its deletion ten days later (the first one, never).
      const heldBy = [...Array(day === 1 ? DAYS : 10).keys()].map((k) => day + k).filter((s) => s <= DAYS);
      const keptBy = heldBy.filter((s) => keptSeqs.has(s));
      if (keptBy.length > 0) {
        // Downloadable, byte for byte, from every kept point that saw it.
        for (const s of keptBy) {
          const got = await app.admin.call(
            'GET',
            `/api/accounts/${accountId}/protected-items/${encodeURIComponent(pid)}/recovery-points/${s}/content?itemId=${encodeURIComponent(m.immutableId)}`,
          );
          expect({ day, point: s, status: got.status, same: got.raw.equals(m.mime) }).toEqual({
            day,
            point: s,
            status: 200,
            same: true,
          });
        }
        for (const h of m.hashes) expect({ day, h, stored: await exists(h) }).toEqual({ day, h, stored: true });
      } else if (Math.max(...heldBy.map((s) => removedOn.get(s) ?? DAYS)) <= DAYS - 3) {
        // Its last point went at least two runs (a grace period) before the end: its content is gone.
        for (const h of m.hashes) expect({ day, h, stored: await exists(h) }).toEqual({ day, h, stored: false });
      }
    }

    async function exists(sha: string): Promise<boolean> {
      return content.getBlobClient(contentBlobName(app.tenant.tenantId, sha)).exists();
    }
  }, 3_600_000);
});

/** A message whose attachment exists nowhere else. */
function messageOn(seq: number, to: string): Buffer {
  const unique = randomBytes(3_000).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    `From: a@fabrikam.example\r\nTo: ${to}\r\nSubject: Day ${seq}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nDay ${seq}.\r\n--b\r\nContent-Type: application/octet-stream; name=day-${seq}.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n${unique}\r\n--b--\r\n`,
  );
}
