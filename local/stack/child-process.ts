import { ChildProcess, spawn } from 'node:child_process';

/** Children started by the stack; killed when this process exits, however it exits. */
const children = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL');
  });
}

export interface StartedChild {
  child: ChildProcess;
  /** The capture groups of each `ready` pattern, in order. */
  matches: RegExpMatchArray[];
  stop(): Promise<void>;
}

/**
 * Spawns a Node script and resolves once every `ready` pattern has matched a line of its stdout/stderr.
 * Fails with the process's last output when it exits early or stays silent past the timeout.
 */
export interface SpawnOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Receives every output line after readiness too (progress, logs). */
  onLine?: (line: string) => void;
}

export function spawnUntilReady(
  name: string,
  script: string,
  args: string[],
  ready: RegExp[],
  opts: SpawnOptions = {},
): Promise<StartedChild> {
  installExitHook();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const child = spawn(process.execPath, ['--enable-source-maps', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const matches: RegExpMatchArray[] = [];
  const tail: string[] = [];

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not become ready within ${timeoutMs} ms`), timeoutMs);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name} ${why}. Last output:\n${tail.join('\n')}`));
    };
    const onLine = (line: string): void => {
      opts.onLine?.(line);
      tail.push(line);
      if (tail.length > 20) tail.shift();
      const pattern = ready[matches.length];
      const m = pattern ? line.match(pattern) : null;
      if (!m) return;
      matches.push(m);
      if (matches.length === ready.length) {
        clearTimeout(timer);
        resolve({ child, matches, stop: () => stopChild(child) });
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split(/\r?\n/);
        buffered = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    child.once('error', (err) => fail(`failed to start: ${err.message}`));
    child.once('exit', (code, signal) => {
      if (matches.length < ready.length) fail(`exited early (code ${code}, signal ${signal})`);
    });
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within a grace period. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
