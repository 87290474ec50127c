// Emulator throughput: requests per second for message GETs (JSON), raw MIME ($value) and message delta pages, with
// keep-alive connections and N concurrent clients, throttling lifted. The emulator runs in its own process (as
// `npm run emulator --profile bench --no-service-time`: the emulator's own speed, not Graph's latencies), so client
// and server do not share an event loop.
//   node dist/bench/emulator-throughput.js [--clients 1,8,32] [--seconds 3]
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

interface Reply {
  status: number;
  body: Buffer;
}

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const clientsList = arg('--clients', '1,8,32').split(',').map(Number);
const seconds = Number(arg('--seconds', '3'));

function request(
  agent: https.Agent,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        agent,
        headers: { ...opts.headers, ...(opts.body ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function startEmulator(): Promise<{ child: ChildProcess; url: string; ca: Buffer }> {
  const main = path.resolve(__dirname, '../local/m365/main.js');
  const certDir = path.join(os.tmpdir(), 'm365v-bench-emulator');
  const child = spawn(
    process.execPath,
    [main, '--profile', 'bench', '--no-service-time', '--seed', 'bench', '--cert-dir', certDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited (${code})`)));
  });
  return { child, url, ca: fs.readFileSync(path.join(certDir, 'loopback-cert.pem')) };
}

interface Scenario {
  name: string;
  /** One request; returns the bytes received. */
  run(agent: https.Agent, worker: number): Promise<number>;
}

async function measure(s: Scenario, clients: number, ca: Buffer): Promise<Record<string, string | number>> {
  const agent = new https.Agent({ ca, keepAlive: true, maxSockets: clients });
  // Warm-up: one request per client opens its connection.
  await Promise.all(Array.from({ length: clients }, (_, w) => s.run(agent, w)));
  const latencies: number[] = [];
  let bytes = 0;
  const end = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async (_, w) => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        const received = await s.run(agent, w);
        bytes += received;
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  return {
    scenario: s.name,
    clients,
    'req/s': Math.round(latencies.length / elapsed),
    'p50 ms': pct(0.5),
    'p99 ms': pct(0.99),
    'MB/s': (bytes / 1024 / 1024 / elapsed).toFixed(1),
  };
}

async function main(): Promise<void> {
  const { child, url, ca } = await startEmulator();
  try {
    const setup = new https.Agent({ ca, keepAlive: true });
    const control = (method: string, p: string, body?: unknown) =>
      request(setup, `${url}/_emulator/${p}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    await control('PUT', 'throttle', {
      mailboxConcurrency: 100_000,
      mailboxRequestsPerWindow: 1_000_000_000,
      windowSeconds: 1,
    });
    const tenant = JSON.parse((await control('GET', 'tenant')).body.toString()) as {
      tenantId: string;
      apps: Array<{ displayName: string; clientId: string; clientSecret: string }>;
      users: Array<{ id: string; mailEnabled: boolean; kind: string }>;
    };
    const app = tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    }).toString();
    const token = (
      JSON.parse(
        (
          await request(setup, `${url}/${tenant.tenantId}/oauth2/v2.0/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: form,
          })
        ).body.toString(),
      ) as { access_token: string }
    ).access_token;
    const auth = { authorization: `Bearer ${token}` };
    const graph = `${url}/v1.0`;
    const mailboxes = tenant.users
      .filter((u) => u.kind === 'member')
      .slice(0, 32)
      .map((u) => u.id);
    // Message ids per mailbox (one inbox page each), for the GET and $value scenarios.
    const ids = await Promise.all(
      mailboxes.map(async (m) =>
        (
          JSON.parse(
            (
              await request(setup, `${graph}/users/${m}/mailFolders/inbox/messages?$top=100&$select=id`, {
                headers: auth,
              })
            ).body.toString(),
          ) as { value: Array<{ id: string }> }
        ).value.map((x) => x.id),
      ),
    );
    setup.destroy();
    let n = 0;
    const pick = (w: number): { user: string; id: string } => {
      const mb = w % mailboxes.length;
      const list = ids[mb];
      return { user: mailboxes[mb], id: list[n++ % list.length] };
    };
    const ok = (r: Reply): number => {
      if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.body.toString().slice(0, 200)}`);
      return r.body.length;
    };
    // Delta rounds per client: follow nextLinks, start over at the end (a deltaLink) so every request is a full page.
    const deltaScenario = (
      name: string,
      first: (w: number) => string,
      headers: Record<string, string> = {},
    ): Scenario => {
      const nextLinks = new Map<number, string>();
      return {
        name,
        run: async (agent, w) => {
          const r = await request(agent, nextLinks.get(w) ?? first(w), { headers: { ...auth, ...headers } });
          const page = JSON.parse(r.body.toString()) as { '@odata.nextLink'?: string };
          if (page['@odata.nextLink']) nextLinks.set(w, page['@odata.nextLink']);
          else nextLinks.delete(w);
          return ok(r);
        },
      };
    };
    const sites = JSON.parse((await control('GET', 'sites')).body.toString()) as Array<{
      id: string;
      lists: Array<{ id: string; template: string; driveId: string | null }>;
    }>;
    const lists = sites.flatMap((site) =>
      site.lists
        .filter((l) => l.template === 'genericList')
        .map((l) => `${graph}/sites/${site.id}/lists/${l.id}/items/delta?$expand=fields`),
    );
    const teams = JSON.parse((await control('GET', 'teams')).body.toString()) as Array<{
      id: string;
      channels: Array<{ id: string }>;
    }>;
    const channels = teams.flatMap((t) =>
      t.channels.map((c) => `${graph}/teams/${t.id}/channels/${c.id}/messages/delta?$top=50`),
    );
    await control('PUT', 'teams-throttle', { requestsPerSecond: null });
    const scenarios: Scenario[] = [
      {
        name: 'GET message (JSON)',
        run: async (agent, w) => {
          const { user, id } = pick(w);
          return ok(await request(agent, `${graph}/users/${user}/messages/${id}`, { headers: auth }));
        },
      },
      {
        name: 'GET message $value (MIME)',
        run: async (agent, w) => {
          const { user, id } = pick(w);
          return ok(await request(agent, `${graph}/users/${user}/messages/${id}/$value`, { headers: auth }));
        },
      },
      deltaScenario(
        'messages delta page (100)',
        (w) =>
          `${graph}/users/${mailboxes[w % mailboxes.length]}/mailFolders/inbox/messages/delta?$select=subject,from,receivedDateTime,isRead,flag,categories`,
        { prefer: 'odata.maxpagesize=100' },
      ),
      deltaScenario('OneDrive delta page', (w) => `${graph}/users/${mailboxes[w % mailboxes.length]}/drive/root/delta`),
      deltaScenario('list items delta page', (w) => lists[w % lists.length]),
      deltaScenario('channel messages delta page (50)', (w) => channels[w % channels.length]),
    ];
    const rows: Array<Record<string, string | number>> = [];
    for (const s of scenarios) for (const c of clientsList) rows.push(await measure(s, c, ca));
    const cols = Object.keys(rows[0]);
    console.log(
      `\nemulator throughput: bench profile, throttling lifted, keep-alive, ${seconds} s per row, node ${process.version}, ${os.cpus().length} CPUs\n`,
    );
    console.log(`| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
    for (const r of rows) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
