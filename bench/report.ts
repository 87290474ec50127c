// What the backup benchmarks share: the account they back up with, the host's peak memory while a run goes, the
// emulator's counters, and the Markdown table they print.
import { rssOf } from './args';
import { control } from '../local/cli/emulator-control';
import type { LocalApp } from '../local/cli/local-app';
import type { Counters } from '../local/m365/graph/counters';

/** An account for the emulated tenant, signing in as its backup app. */
export async function benchAccount(app: LocalApp): Promise<string> {
  const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
  const account = await app.admin.call<{ id: string }>('POST', '/api/accounts', {
    displayName: 'Bench',
    tenantId: app.tenant.tenantId,
    clientId: backupApp.clientId,
    credential: { type: 'secret', secretName: 'demo-backup' },
  });
  return account.body.id;
}

export interface RssSampler {
  /** The host's highest RSS since the last `reset()`. */
  peak: () => number;
  reset: () => void;
}

/** Runs `body` while sampling the host's RSS every 100 ms, then stops the app, whatever happened. */
export async function withRssSampler(app: LocalApp, body: (rss: RssSampler) => Promise<void>): Promise<void> {
  const pid = app.host.child.pid!;
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
  try {
    await body({ peak: () => peak, reset: () => (peak = 0) });
  } finally {
    clearInterval(timer);
    await app.stop();
  }
}

export const resetCounters = (app: LocalApp): Promise<unknown> => control(app.emulator, 'DELETE', 'counters');
export const readCounters = async (app: LocalApp): Promise<Counters> =>
  (await control<Counters>(app.emulator, 'GET', 'counters')).body;

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Prints what was measured, then the full and the incremental run as a Markdown table (the full's keys as its header),
 * then what the incremental cost in requests against the full. */
export function printRuns(
  title: string,
  full: Record<string, number | string>,
  incremental: Record<string, number | string>,
): void {
  const cols = Object.keys(full);
  console.log(`\n${title}\n`);
  console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
  for (const r of [full, incremental]) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
  console.log(
    `\nincremental / full requests: ${((100 * Number(incremental.requests)) / Number(full.requests)).toFixed(2)} %`,
  );
}
