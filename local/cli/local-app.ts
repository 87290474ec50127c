// Starts the whole product locally: the stack (or reuses one), the Microsoft 365 emulator on the stack's loopback
// certificate, and the Functions host with the product app configured against both. Used by `npm start` and by
// the end-to-end tests, so both exercise exactly the same wiring.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { spawnUntilReady, StartedChild } from '../stack/child-process';
import { AppInsightsIngest, startAppInsightsIngest } from '../stack/app-insights-ingest';
import { ensureLoopbackCert } from '../stack/loopback-cert';
import { Stack, startStack } from '../stack/stack';
import { startM365Emulator, M365Emulator, EmulatorOptions } from '../m365/server';
import { systemClock } from '../m365/runtime';
import { API_AUDIENCE } from '../m365/auth/apps';
import { ApiClient, clientCredentials } from './api-client';
import { control } from './emulator-control';
import { SYSTEM_KEY_SETTING, webhookUrl } from '../host/durable/http-api';

export const repoRoot = path.resolve(__dirname, '../../..');

export interface DemoTenant {
  tenantId: string;
  domain: string;
  apps: Array<{ clientId: string; objectId: string; displayName: string; clientSecret: string; graphRoles: string[] }>;
  users: Array<{ id: string; displayName: string; userPrincipalName: string; mail: string | null; licensed: boolean }>;
}

export interface LocalApp {
  stack: Stack;
  emulator: M365Emulator;
  tenant: DemoTenant;
  /** The emulator's other tenants (extraTenants), in order. */
  otherTenants: DemoTenant[];
  host: StartedChild & { url: string };
  /** What the app sent Application Insights (its ingestion stand-in); undefined with `telemetry: false`. */
  appInsights: AppInsightsIngest | undefined;
  /** API client holding Backup.Administrator. */
  admin: ApiClient;
  /** API client holding Backup.Reader only. */
  reader: ApiClient;
  /**
   * Registers another app in the (first) tenant and answers an API client signing in as it, with the object id of
   * its service principal (what per-account grants name): an operator with these app roles (none: grants only) and
   * membership in these security groups. Bound to the running host (ask again after restartHost).
   */
  apiClientFor(
    displayName: string,
    opts?: { apiRoles?: string[]; groups?: string[] },
  ): Promise<{ client: ApiClient; objectId: string }>;
  env: NodeJS.ProcessEnv;
  /**
   * A URL of the Durable extension's HTTP API (below /runtime/webhooks/durabletask/) with its system key, as an
   * operator holding the key calls it; the product's API never hands these out.
   */
  durable(path: string): string;
  /**
   * Moves the clock of the host and the emulator forward together (`virtualClock` apps only): what the product does
   * next happens that much later, with tokens, Graph and the catalog agreeing on the time.
   */
  advanceClock(ms: number): Promise<void>;
  /** The time on the host's and the emulator's clock (the real time unless advanceClock moved it). */
  now(): number;
  restartHost(): Promise<void>;
  killHost(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalAppOptions {
  stack?: Stack;
  cosmosDatabase?: string;
  taskHub?: string;
  emulator?: Partial<Pick<EmulatorOptions, 'profile' | 'throttle' | 'seed' | 'extraTenants' | 'serviceTime'>>;
  syncTimeBoxSeconds?: number;
  /** M365V_RETENTION_GRACE_SECONDS: how long retention waits before removing what it chose (a day by default). */
  retentionGraceSeconds?: number;
  /** M365V_RESUMABLE_FILE_BYTES: files from this size on are downloaded across sync steps. */
  resumableFileBytes?: number;
  /** M365V_RECONCILE_EVERY_RUNS: containers without delta (group conversations) are listed whole every this many runs. */
  reconcileEveryRuns?: number;
  onHostLine?: (line: string) => void;
  /** Run the host on a clock the test moves with advanceClock (host `--virtual-clock`), the emulator's with it. */
  virtualClock?: boolean;
  /** More secrets for the app's local secret file (name → value), e.g. a webhook signing secret. */
  secrets?: Record<string, string>;
  /** Telemetry to the Application Insights stand-in, as in Azure (default); false leaves it off. */
  telemetry?: boolean;
  /**
   * The share of traces (dependencies) kept, 0..1, instead of the distro's default of 5 traces a second. Here the
   * host's own Durable storage traffic shares that budget with the app's, which in Azure it does not.
   */
  traceSampling?: number;
}

export async function startLocalApp(opts: LocalAppOptions = {}): Promise<LocalApp> {
  const ownStack = !opts.stack;
  const stack = opts.stack ?? (await startStack());
  const certDir = path.dirname(stack.cosmosCaCertFile);
  const clock = systemClock();
  let clockOffset = 0;
  const emulator = await startM365Emulator({ certDir, ...opts.emulator, clock });
  // On the emulator's loopback certificate, which the host trusts (NODE_EXTRA_CA_CERTS below).
  const appInsights =
    opts.telemetry === false ? undefined : await startAppInsightsIngest(await ensureLoopbackCert(certDir));
  const ca = fs.readFileSync(emulator.caCertFile);
  const summary = (query: string): Promise<DemoTenant> =>
    new Promise<DemoTenant>((resolve, reject) => {
      https
        .get(`${emulator.url}/_emulator/tenant${query}`, { ca }, (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as DemoTenant));
        })
        .on('error', reject);
    });
  const tenant = await summary('');
  const others = await Promise.all(emulator.tenants.slice(1).map((t) => summary(`?tenant=${t.tenantId}`)));
  const backupApp = tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
  // Other tenants' backup apps: '<domain label>-backup', e.g. 'fabrikam-backup'.
  const otherSecrets = Object.fromEntries(
    others.map((t) => [
      `${t.domain.split('.')[0]}-backup`,
      t.apps.find((a) => a.displayName === 'm365-vault backup')!.clientSecret,
    ]),
  );
  // One file per app: test files running side by side share the stack's folder.
  const secretsFile = path.join(certDir, `local-secrets-${randomUUID()}.json`);
  fs.writeFileSync(
    secretsFile,
    JSON.stringify({
      'demo-backup': backupApp.clientSecret,
      ...Object.fromEntries(tenant.apps.map((a) => [a.displayName.replace(/[^a-z0-9]+/gi, '-'), a.clientSecret])),
      ...otherSecrets,
      ...opts.secrets,
    }),
    { mode: 0o600 },
  );
  const env: NodeJS.ProcessEnv = {
    ...stack.env,
    ...(opts.cosmosDatabase ? { M365V_COSMOS_DATABASE: opts.cosmosDatabase } : {}),
    TASKHUB_NAME: opts.taskHub ?? 'm365vault',
    M365V_GRAPH_BASE_URL: emulator.graphBaseUrl,
    M365V_AUTHORITY_HOST: emulator.authorityHost,
    M365V_GRAPH_CA_CERT_FILE: emulator.caCertFile,
    // The API's token validation fetches the emulator's signing keys with fetch(), which trusts this CA file.
    NODE_EXTRA_CA_CERTS: emulator.caCertFile,
    M365V_LOCAL_SECRETS_FILE: secretsFile,
    M365V_API_TENANT_ID: tenant.tenantId,
    M365V_API_AUDIENCE: API_AUDIENCE,
    M365V_SYNC_TIME_BOX_SECONDS: String(opts.syncTimeBoxSeconds ?? 60),
    ...(appInsights
      ? {
          APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.connectionString,
          // The SDK's own usage statistics go to Microsoft's endpoints, which this machine does not reach.
          APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
          ...(opts.traceSampling !== undefined
            ? // Not `microsoft.fixed_percentage`: the distro (1.18) takes that one's ratio but keeps its limit of 5
              // traces a second, which wins, so dependencies were still dropped. Its own spelling of OpenTelemetry's
              // `parentbased_traceidratio`, the one it accepts.
              {
                OTEL_TRACES_SAMPLER: 'parentbased_trace_id_ratio',
                OTEL_TRACES_SAMPLER_ARG: String(opts.traceSampling),
              }
            : {}),
        }
      : {}),
    ...(opts.retentionGraceSeconds !== undefined
      ? { M365V_RETENTION_GRACE_SECONDS: String(opts.retentionGraceSeconds) }
      : {}),
    // Fixed for the app's lifetime, so it holds across host restarts; known here only, as the key is in Azure.
    [SYSTEM_KEY_SETTING]: randomBytes(24).toString('base64url'),
    ...(opts.resumableFileBytes ? { M365V_RESUMABLE_FILE_BYTES: String(opts.resumableFileBytes) } : {}),
    ...(opts.reconcileEveryRuns ? { M365V_RECONCILE_EVERY_RUNS: String(opts.reconcileEveryRuns) } : {}),
  };
  const startHost = async (): Promise<StartedChild & { url: string }> => {
    const child = await spawnUntilReady(
      'Functions host',
      path.join(repoRoot, 'dist/local/host/main.js'),
      [
        '--app',
        repoRoot,
        '--no-timers',
        // A restarted host resumes where the clock stands.
        ...(opts.virtualClock ? ['--virtual-clock', String(clockOffset)] : []),
      ],
      [/\[host\] listening on (\S+)/],
      {
        env: { ...process.env, ...env },
        onLine: (line: string) => {
          opts.onHostLine?.(line);
          // Debugging a test: M365V_TEST_HOST_LOG=1 shows the host's log.
          if (process.env.M365V_TEST_HOST_LOG) process.stderr.write(`${line}\n`);
        },
      },
    );
    return { ...child, url: child.matches[0][1] };
  };
  let host = await startHost();
  const client = (name: string): ApiClient => {
    const app = tenant.apps.find((a) => a.displayName === name)!;
    return new ApiClient(
      host.url,
      clientCredentials({
        authorityHost: emulator.authorityHost,
        tenantId: tenant.tenantId,
        clientId: app.clientId,
        clientSecret: app.clientSecret,
        scope: `${API_AUDIENCE}/.default`,
        ca,
        now: () => clock.now(),
      }),
    );
  };
  const app: LocalApp = {
    stack,
    emulator,
    tenant,
    otherTenants: others,
    host,
    appInsights,
    env,
    durable: (p) => webhookUrl(host.url, p, String(env[SYSTEM_KEY_SETTING])),
    admin: client('m365-vault admin console'),
    reader: client('m365-vault auditor'),
    async apiClientFor(displayName, o = {}) {
      const r = await control<{ clientId: string; objectId: string; clientSecret: string; error?: string }>(
        emulator,
        'POST',
        'apps',
        { displayName, apiRoles: o.apiRoles ?? [], groups: o.groups ?? [] },
      );
      if (r.status !== 201) throw new Error(`registering app '${displayName}' failed: ${r.body.error ?? r.status}`);
      const tokens = clientCredentials({
        authorityHost: emulator.authorityHost,
        tenantId: tenant.tenantId,
        clientId: r.body.clientId,
        clientSecret: r.body.clientSecret,
        scope: `${API_AUDIENCE}/.default`,
        ca,
        now: () => clock.now(),
      });
      return { client: new ApiClient(host.url, tokens), objectId: r.body.objectId };
    },
    now: () => clock.now(),
    async advanceClock(ms) {
      if (!opts.virtualClock) throw new Error('advanceClock needs an app started with virtualClock');
      const res = await fetch(`${host.url}/admin/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: ms }) });
      if (res.status !== 200) throw new Error(`the host's clock did not move: ${res.status} ${await res.text()}`);
      clock.advance(ms);
      clockOffset += ms;
    },
    async killHost() {
      host.child.kill('SIGKILL');
      await new Promise((r) => host.child.once('exit', r));
    },
    async restartHost() {
      // A host still running (not killed first) is stopped: two hosts on one task hub would both run its work.
      await host.stop();
      host = await startHost();
      app.host = host;
      app.admin = client('m365-vault admin console');
      app.reader = client('m365-vault auditor');
    },
    async stop() {
      await host.stop();
      await emulator.stop();
      await appInsights?.stop();
      fs.rmSync(secretsFile, { force: true });
      if (ownStack) await stack.stop();
    },
  };
  return app;
}
