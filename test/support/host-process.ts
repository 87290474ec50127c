import path from 'node:path';
import { spawnUntilReady, StartedChild } from '../../local/stack/child-process';

export const repoRoot = path.resolve(__dirname, '../../..');
export const hostMain = path.join(repoRoot, 'dist/local/host/main.js');

export interface HostProcess extends StartedChild {
  url: string;
  lines: string[];
}

/** Starts the local Functions host as its own process, as the real host runs the worker. */
export async function startHostProcess(appDir: string, env: NodeJS.ProcessEnv, extraArgs: string[] = ['--no-timers']): Promise<HostProcess> {
  const lines: string[] = [];
  const started = await spawnUntilReady('Functions host', hostMain, ['--app', appDir, ...extraArgs], [/\[host\] listening on (http:\/\/\S+)/], {
    env: { ...process.env, ...env },
    onLine: (l) => lines.push(l),
  });
  return { ...started, url: started.matches[0]![1]!, lines };
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
