// Every operation of the API, fed hostile input: never a 500, always a JSON error naming what was wrong, and no
// write left behind by a refused request.
import { CosmosClient } from '@azure/cosmos';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { API_OPERATIONS } from '../../shared/api/operations';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

/** Deterministic pseudo-random generator (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE = ['', ' ', '../../etc/passwd', '%00', '\u0000', 'a'.repeat(5000), '😀😀', "' OR 1=1 --", '<script>alert(1)</script>', '-1', '0', '1e309', 'NaN', 'null', '{}', '[]', 'true', '９９', 'AAMk' + '/'.repeat(10)];

function value(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 6 : 9));
  switch (k) {
    case 0: return HOSTILE[Math.floor(r() * HOSTILE.length)];
    case 1: return Math.floor(r() * 2 ** 40) * (r() < 0.5 ? -1 : 1);
    case 2: return r() < 0.5;
    case 3: return null;
    case 4: return r() * 1e308;
    case 5: return 'x'.repeat(Math.floor(r() * 300));
    case 6: return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: Math.floor(r() * 5) }, () => [pick(r, ['name', 'displayName', 'tenantId', 'clientId', 'credential', 'type', 'sources', 'scope', 'items', 'folders', 'selection', 'target', 'seq', 'protectedItemId', 'fromSeq', 'toSeq', 'user', 'overwriteBehavior', 'destination', 'options', 'schedules', 'container', 'blobEndpoint', String(r())]), value(r, depth + 1)]));
  }
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

describe('API fuzzing: hostile input never gets a 500 nor leaves a partial write', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let accountId: string;
  let itemId: string;
  let jobId: string;

  beforeAll(async () => {
    const catalog = await freshCatalog('fuzz');
    client = catalog.client;
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('fuzz') });
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    accountId = (await app.admin.call<{ id: string }>('POST', '/api/accounts', { displayName: 'Contoso', tenantId: app.tenant.tenantId, clientId: backupApp.clientId, credential: { type: 'secret', secretName: 'demo-backup' } })).body.id;
    const adele = app.tenant.users.find((u) => u.licensed)!;
    jobId = (await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, { name: 'Adele', sources: { scope: 'selected', items: [{ kind: 'mailbox', match: adele.userPrincipalName }] } })).body.id;
    await app.admin.runJob(accountId, jobId, 120_000);
    itemId = `${accountId}.mailbox.${adele.id}`;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('answers every operation with a status below 500 and an error body naming the problem', async () => {
    const r = rng(20261123);
    const before = { accounts: (await app.reader.call<{ value: unknown[] }>('GET', '/api/accounts')).body.value.length, jobs: (await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/jobs`)).body.value.length };
    const failures: string[] = [];
    let calls = 0;
    for (const op of API_OPERATIONS) {
      if (op.id === 'jobsRun') continue; // valid without a body: it would legitimately start runs
      for (let round = 0; round < 25; round++) {
        const real: Record<string, string> = { accountId, itemId: encodeURIComponent(itemId), seq: '1', jobId, restoreId: 'x', reportId: 'x' };
        const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => (r() < 0.6 ? real[name] ?? 'x' : encodeURIComponent(String(pick(r, HOSTILE)) || 'x')));
        const query = op.query || r() < 0.3 ? `?${Array.from({ length: 1 + Math.floor(r() * 3) }, () => `${encodeURIComponent(pick(r, ['q', 'folderId', 'pageSize', 'continuation', 'fromSeq', 'toSeq', 'itemId', 'offset', 'zzz']))}=${encodeURIComponent(String(value(r)))}`).join('&')}` : '';
        const body = op.method === 'GET' ? undefined : r() < 0.15 ? '{"unterminated": ' : value(r);
        const res = await app.admin.call<{ error?: { code?: string; message?: string } }>(op.method, `/api${path}${query}`, body);
        calls++;
        const ok = res.status < 500 && (res.status < 400 || (typeof res.body?.error?.code === 'string' && typeof res.body.error.message === 'string'));
        if (!ok) failures.push(`${op.method} ${path}${query} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(500);
    // Refused requests wrote nothing: no new account, job, restore or report (none of the random bodies is valid).
    expect((await app.reader.call<{ value: unknown[] }>('GET', '/api/accounts')).body.value.length).toBe(before.accounts);
    expect((await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/jobs`)).body.value.length).toBe(before.jobs);
    expect((await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/restores`)).body.value).toEqual([]);
    expect((await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/difference-reports`)).body.value).toEqual([]);
  });
});
