// `npm start`: starts the local stack (Azurite + Cosmos DB stand-in) and the local Functions host with the product
// app, then runs the smoke job through its HTTP starter with progress. Ctrl+C stops everything.
import path from 'node:path';
import { spawnUntilReady } from '../stack/child-process';
import { startStack, stopOnSignals } from '../stack/stack';
import { ApiClient } from './api-client';

const root = path.resolve(__dirname, '../../..');
const step = (text: string): void => console.log(`\n▶ ${text}`);

async function main(): Promise<void> {
  const started = Date.now();
  step('starting the local stack (Azurite, Cosmos DB stand-in)');
  const stack = await startStack();
  stopOnSignals(stack);
  console.log(`  blob  ${stack.blobUrl}\n  cosmos ${stack.cosmosEndpoint}`);

  step('starting the local Functions host with the product app');
  const host = await spawnUntilReady('Functions host', path.join(root, 'dist/local/host/main.js'), ['--app', root, '--no-timers'], [/\[host\] listening on (\S+)/], {
    env: { ...process.env, ...stack.env, TASKHUB_NAME: 'm365vault' },
    onLine: (line) => {
      if (/^\[host\] (loaded|resumed)/.test(line)) console.log(`  ${line}`);
    },
  });
  const url = host.matches[0]![1]!;
  console.log(`  host  ${url}`);

  step('running the hello orchestration (HTTP starter → fan-out → activities)');
  const api = new ApiClient(url);
  const names = ['Adele', 'Bob', 'Chen', 'Diego', 'Eun-ji'];
  const r = await api.call<{ statusQueryGetUri: string; id: string }>('POST', '/api/hello', { names });
  if (r.status !== 202) throw new Error(`starter answered ${r.status}: ${JSON.stringify(r.body)}`);
  console.log(`  instance ${r.body.id}\n  status   ${r.body.statusQueryGetUri}`);
  let last = '';
  const done = await api.waitForCompletion<{ greetings: string[] }>(r.body.statusQueryGetUri, (custom) => {
    const text = JSON.stringify(custom);
    if (text !== last) console.log(`  progress ${text}`);
    last = text;
  });
  console.log(`  ${done.runtimeStatus}: ${done.output.greetings.join(' ')}`);
  if (done.runtimeStatus !== 'Completed') throw new Error(`the hello orchestration ended ${done.runtimeStatus}`);

  step(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; stopping`);
  await host.stop();
  await stack.stop();
}

main().catch((e: Error) => {
  console.error(`\n✖ ${e.message}`);
  process.exit(1);
});
