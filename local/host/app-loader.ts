// Loads a function app the way the Functions host does: host.json for settings, package.json `main` (a file or a
// glob) for the code, local.settings.json Values into the environment when present.
import fs from 'node:fs';
import path from 'node:path';
import { CoreRegistry, installCoreShim } from './core-shim';

export interface HostConfig {
  routePrefix: string;
  hubName: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  functionTimeoutMs: number | undefined;
}

export interface LoadedApp {
  registry: CoreRegistry;
  config: HostConfig;
  files: string[];
}

/** `%NAME%` in host.json refers to an app setting, as in Azure. */
const expand = (value: string): string => value.replace(/%([^%]+)%/g, (_, name: string) => process.env[name] ?? '');

function timeSpanMs(span: string | undefined): number | undefined {
  const m = span ? /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(span) : null;
  if (!m) return undefined;
  return (((Number(m[1] ?? 0) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1000;
}

/** The parts of host.json the local host reads. */
interface HostJson {
  functionTimeout?: string;
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: {
      hubName?: string;
      maxConcurrentActivityFunctions?: number;
      maxConcurrentOrchestratorFunctions?: number;
    };
  };
}

export function readHostConfig(appDir: string): HostConfig {
  const file = path.join(appDir, 'host.json');
  const host = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as HostJson) : {};
  const durable = host.extensions?.durableTask ?? {};
  return {
    routePrefix: host.extensions?.http?.routePrefix ?? 'api',
    hubName: expand(String(durable.hubName ?? 'TestHubName')) || 'TestHubName',
    maxConcurrentActivityFunctions: Number(durable.maxConcurrentActivityFunctions ?? 20),
    maxConcurrentOrchestratorFunctions: Number(durable.maxConcurrentOrchestratorFunctions ?? 20),
    functionTimeoutMs: timeSpanMs(host.functionTimeout),
  };
}

function globToRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (glob.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** `a/{b,c}/d` → `a/b/d`, `a/c/d`, in order (one level of braces, as `main` patterns use them). */
function expandBraces(pattern: string): string[] {
  const m = /\{([^{}]*)\}/.exec(pattern);
  if (!m) return [pattern];
  return m[1]
    .split(',')
    .flatMap((alt) => expandBraces(pattern.slice(0, m.index) + alt + pattern.slice(m.index + m[0].length)));
}

/**
 * Expands a package.json `main` glob (`*` within one folder, `**` across folders, `{a,b}` alternatives). As the
 * worker's globby does, alternatives keep their order and a file matched twice loads once: `{index.js,*.js}` loads
 * index.js first (the documented way to run setup code before the functions register).
 */
export function expandMain(appDir: string, main: string): string[] {
  const files = expandBraces(main.replace(/^\.\//, '')).flatMap((p) => expandOne(appDir, p));
  return [...new Set(files)];
}

function expandOne(appDir: string, pattern: string): string[] {
  if (!/[*?]/.test(pattern)) return fs.existsSync(path.join(appDir, pattern)) ? [path.join(appDir, pattern)] : [];
  const segments = pattern.split('/');
  const base = path.join(
    appDir,
    ...segments.slice(
      0,
      segments.findIndex((s) => /[*?]/.test(s)),
    ),
  );
  const regex = globToRegex(pattern);
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (regex.test(path.relative(appDir, full).split(path.sep).join('/'))) out.push(full);
    }
  };
  walk(base);
  return out.sort();
}

export function loadApp(appDir: string): LoadedApp {
  const registry = installCoreShim();
  const settingsFile = path.join(appDir, 'local.settings.json');
  if (fs.existsSync(settingsFile)) {
    const values =
      (JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    for (const [k, v] of Object.entries(values)) if (process.env[k] === undefined) process.env[k] = v;
  }
  const config = readHostConfig(appDir);
  const pkg = JSON.parse(fs.readFileSync(path.join(appDir, 'package.json'), 'utf8')) as { main?: string };
  const files = expandMain(appDir, pkg.main ?? 'index.js');
  if (files.length === 0)
    throw new Error(`package.json main "${pkg.main}" matches no file under ${appDir} (build the app first)`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the app's compiled files, as the worker does
  for (const f of files) require(f);
  return { registry, config, files };
}
