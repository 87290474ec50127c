import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { SYSTEM_KEY_SETTING } from '../../local/host/durable/http-api';
import { stackEnv, uniqueName } from '../support/env';
import { HostProcess, repoRoot, startHostProcess, waitFor } from '../support/host-process';

const appDir = path.join(repoRoot, 'test/fixtures/host-app');
const DAY = 86_400_000;

// The local host's clock moves only when asked (`--virtual-clock`): durable timers armed before the jump fire on the
// moved clock, and the Durable history records the moved time, as a year-long test needs.
describe('local Functions host: virtual clock', () => {
  const env = (): NodeJS.ProcessEnv => ({
    AzureWebJobsStorage: stackEnv('AzureWebJobsStorage'),
    TASKHUB_NAME: uniqueName('clock'),
    [SYSTEM_KEY_SETTING]: randomBytes(24).toString('base64url'),
  });
  let host: HostProcess | undefined;
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });
  const advance = (ms: unknown): Promise<Response> =>
    fetch(`${host!.url}/admin/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: ms }) });

  it('fires a two-day durable timer once the clock is moved past it, and starts where it is told', async () => {
    host = await startHostProcess(appDir, env(), ['--no-timers', '--virtual-clock', String(10 * DAY)]);
    const started = await fetch(`${host.url}/api/start/timer`, { method: 'POST', body: JSON.stringify(2 * DAY) });
    expect(started.status).toBe(202);
    const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
    const status = async (): Promise<{ runtimeStatus: string; output: unknown; createdTime: string }> =>
      (await (await fetch(statusQueryGetUri)).json()) as {
        runtimeStatus: string;
        output: unknown;
        createdTime: string;
      };
    // Created on the clock as it started: ten days ahead of the real one.
    const created = Date.parse((await status()).createdTime);
    expect(created - Date.now()).toBeGreaterThan(9 * DAY);

    const moved = await advance(2 * DAY);
    expect(moved.status).toBe(200);
    expect(Date.parse(((await moved.json()) as { now: string }).now)).toBeGreaterThanOrEqual(created + 2 * DAY);
    const done = await waitFor(async () => {
      const s = await status();
      return s.runtimeStatus === 'Completed' ? s : undefined;
    });
    expect(done.output).toBeGreaterThanOrEqual(2 * DAY);
  });

  it('refuses a bad advance, and has no clock route unless started with one', async () => {
    host = await startHostProcess(appDir, env(), ['--no-timers', '--virtual-clock', '0']);
    for (const bad of [-1, 1.5, 'soon', null]) expect((await advance(bad)).status).toBe(400);
    await host.stop();
    host = await startHostProcess(appDir, env());
    expect((await advance(1000)).status).toBe(404);
  });
});
