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

/** Samples a process's RSS every 100 ms; `peak()` is the highest since the last `reset()`. */
export function rssSampler(pid: number): { peak: () => number; reset: () => void; stop: () => void } {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
  return { peak: () => peak, reset: () => (peak = 0), stop: () => clearInterval(timer) };
}

export const resetCounters = (app: LocalApp): Promise<unknown> => control(app.emulator, 'DELETE', 'counters');
export const readCounters = async (app: LocalApp): Promise<Counters> =>
  (await control<Counters>(app.emulator, 'GET', 'counters')).body;

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Prints rows as a Markdown table, the first row's keys as its header. */
export function printTable(rows: Array<Record<string, number | string>>): void {
  const cols = Object.keys(rows[0]);
  console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
}
