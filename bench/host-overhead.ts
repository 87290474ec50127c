// `npm run bench -- host-overhead`: the local host's own overhead, on the contract fixture app with trivial
// activities: a 1,000-activity fan-out, and a 2,000-step sequential orchestration (replay grows with history).
import path from 'node:path';
import { spawnUntilReady } from '../local/stack/child-process';
import { startStack } from '../local/stack/stack';

const root = path.resolve(__dirname, '../..');

interface Status {
  runtimeStatus: string;
  historyEvents?: Array<{ EventType: number }>;
}

async function run(
  url: string,
  name: string,
  input: unknown,
): Promise<{ ms: number; episodes: number; events: number }> {
  const started = Date.now();
  const r = await fetch(`${url}/api/start/${name}`, { method: 'POST', body: JSON.stringify(input) });
  const { statusQueryGetUri } = (await r.json()) as { statusQueryGetUri: string };
  for (;;) {
    const s = (await (await fetch(`${statusQueryGetUri}&showHistory=true`)).json()) as Status;
    if (s.runtimeStatus === 'Completed') {
      const ms = Date.now() - started;
      const history = s.historyEvents ?? [];
      return { ms, episodes: history.filter((e) => e.EventType === 12).length, events: history.length };
    }
    if (s.runtimeStatus === 'Failed') throw new Error(`${name} failed`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

async function main(): Promise<void> {
  const stack = await startStack();
  try {
    const host = await spawnUntilReady(
      'host',
      path.join(root, 'dist/local/host/main.js'),
      ['--app', path.join(root, 'test/fixtures/host-app'), '--no-timers'],
      [/\[host\] listening on (\S+)/],
      {
        env: { ...process.env, ...stack.env, TASKHUB_NAME: 'bench' },
      },
    );
    const url = host.matches[0][1];
    await run(url, 'fanOut', 10); // warm-up
    const rows: Array<[string, { ms: number; episodes: number; events: number }]> = [];
    rows.push(['fan-out 1,000 activities', await run(url, 'fanOut', 1000)]);
    rows.push(['sequential 2,000 activities', await run(url, 'sequence', 2000)]);
    console.log('\n| scenario | total | episodes | history events | per episode |');
    console.log('|---|---|---|---|---|');
    for (const [name, r] of rows)
      console.log(
        `| ${name} | ${(r.ms / 1000).toFixed(2)} s | ${r.episodes} | ${r.events} | ${(r.ms / r.episodes).toFixed(2)} ms |`,
      );
    await host.stop();
  } finally {
    await stack.stop();
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
