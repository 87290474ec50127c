#!/usr/bin/env node
// Entry point of `npm start`, `npm test` and `npm run emulator` on any clone, fresh or not:
// installs dependencies when package-lock.json changed since the last install, compiles
// the TypeScript, then hands over to the compiled command. Plain JavaScript with no
// dependencies, because it must run before node_modules exists.
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const commands = {
  start: ['dist/local/cli/start.js'],
  emulator: ['dist/local/m365/main.js'],
  test: ['node_modules/jest/bin/jest.js'],
  bench: [],
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function lockDigest() {
  const lock = path.join(root, 'package-lock.json');
  const text = fs.existsSync(lock) ? fs.readFileSync(lock) : fs.readFileSync(path.join(root, 'package.json'));
  return createHash('sha256').update(text).digest('hex');
}

function ensureInstalled() {
  const stamp = path.join(root, 'node_modules', '.m365-vault-install');
  const digest = lockDigest();
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // `npm install` honours package-lock.json's versions. Not `npm ci`: npm 11 writes locks without other platforms'
  // optional packages (jest's native resolver bindings) and its own `npm ci` then rejects them as out of sync.
  console.log('[setup] installing dependencies (npm install) ...');
  const status = run(npm, ['install', '--no-audit', '--no-fund']);
  if (status !== 0) process.exit(status);
  fs.writeFileSync(stamp, digest);
}

function build() {
  // A clean output: compiled files of deleted sources would otherwise still load (the app's main is a glob).
  fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  const status = run(process.execPath, [
    path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    'tsconfig.json',
  ]);
  if (status !== 0) {
    console.error('[setup] TypeScript build failed');
    process.exit(status);
  }
}

/** The formatter and the linter (type-checked rules) over every source: a test run fails on either, as on a test. */
function lint() {
  for (const [name, args] of [
    [
      'Prettier',
      [path.join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--check', '.', '--log-level', 'warn'],
    ],
    ['ESLint', [path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.', '--max-warnings', '0']],
  ]) {
    console.log(`[test] ${name} ...`);
    const status = run(process.execPath, args);
    if (status !== 0) {
      console.error(`[test] ${name} found problems: run \`npm run format\` (then fix what remains by hand)`);
      process.exit(status);
    }
  }
}

const [verb, ...rest] = process.argv.slice(2);
if (!verb || !(verb in commands)) {
  console.error(`usage: node local/bootstrap.js <${Object.keys(commands).join('|')}> [args...]`);
  process.exit(2);
}
ensureInstalled();
build();
if (verb === 'test') lint();
const target = verb === 'bench' ? [`dist/bench/${rest.shift()}.js`] : commands[verb];
let status = run(process.execPath, ['--enable-source-maps', ...target, ...rest]);
// The isolated files (jest.config.js) in a jest process of their own, after the rest passed.
if (verb === 'test' && rest.length === 0 && status === 0) {
  status = run(process.execPath, ['--enable-source-maps', ...target], {
    env: { ...process.env, M365V_TEST_ISOLATED: '1' },
  });
}
process.exit(status);
