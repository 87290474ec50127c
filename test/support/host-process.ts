import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnUntilReady, StartedChild } from '../../local/stack/child-process';
import { SYSTEM_KEY_SETTING, webhookUrl } from '../../local/host/durable/http-api';
import { stackEnv, uniqueName } from './env';

export const repoRoot = path.resolve(__dirname, '../../..');
export const hostMain = path.join(repoRoot, 'dist/local/host/main.js');

export interface HostProcess extends StartedChild {
  url: string;
  lines: string[];
}

/** Starts the local Functions host as its own process, as the real host runs the worker. */
export async function startHostProcess(
  appDir: string,
  env: NodeJS.ProcessEnv,
  extraArgs: string[] = ['--no-timers'],
): Promise<HostProcess> {
  const lines: string[] = [];
  const started = await spawnUntilReady(
    'Functions host',
    hostMain,
    ['--app', appDir, ...extraArgs],
    [/\[host\] listening on (http:\/\/\S+)/],
    {
      env: { ...process.env, ...env },
      onLine: (l) => lines.push(l),
    },
  );
  return { ...started, url: started.matches[0][1], lines };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A host running `appDir` for one test file: started before its tests with a fresh task hub and fixture folder,
 * stopped (and the folder removed) after them. Tests that restart the host assign `host` anew.
 */
export interface FixtureHost {
  host: HostProcess;
  env: NodeJS.ProcessEnv;
  fixtureDir: string;
  /** A Durable webhook URL (below /runtime/webhooks/durabletask/) carrying the host's system key. */
  webhook(path: string): string;
}

export function fixtureHost(appDir: string, extraEnv: NodeJS.ProcessEnv = {}): FixtureHost {
  const fx = { webhook: (p: string) => webhookUrl(fx.host.url, p, String(fx.env[SYSTEM_KEY_SETTING])) } as FixtureHost;
  beforeAll(async () => {
    fx.fixtureDir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-host-'));
    fx.env = {
      AzureWebJobsStorage: stackEnv('AzureWebJobsStorage'),
      TASKHUB_NAME: uniqueName('hub'),
      FIXTURE_DIR: fx.fixtureDir,
      [SYSTEM_KEY_SETTING]: randomBytes(24).toString('base64url'),
      ...extraEnv,
    };
    fx.host = await startHostProcess(appDir, fx.env);
  });
  afterAll(async () => {
    await fx.host?.stop();
    fs.rmSync(fx.fixtureDir, { recursive: true, force: true });
  });
  return fx;
}
