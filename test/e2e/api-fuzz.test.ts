// Every operation of the API, fed hostile input: never a 500, always a JSON error naming what was wrong (and never a
// stack trace, a file path, an internal host name or the hostile input itself), and no write left behind by a refused
// request. Then the edge itself: ids that are no ids, undecodable paths, oversized bodies and headers, a spoofed
// X-Forwarded-For, and every kind of bad token.
import fs from 'node:fs';
import http from 'node:http';
import { CosmosClient } from '@azure/cosmos';
import { SignJWT } from 'jose';
import { clientCredentials } from '../../local/cli/api-client';
import { API_AUDIENCE } from '../../local/m365/auth/apps';
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

const HOSTILE = [
  '',
  ' ',
  '../../etc/passwd',
  '%00',
  '\u0000',
  'a'.repeat(5000),
  '😀😀',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '-1',
  '0',
  '1e309',
  'NaN',
  'null',
  '{}',
  '[]',
  'true',
  '９９',
  'AAMk' + '/'.repeat(10),
];

function value(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 6 : 9));
  switch (k) {
    case 0:
      return HOSTILE[Math.floor(r() * HOSTILE.length)];
    case 1:
      return Math.floor(r() * 2 ** 40) * (r() < 0.5 ? -1 : 1);
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return r() * 1e308;
    case 5:
      return 'x'.repeat(Math.floor(r() * 300));
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(r() * 5) }, () => [
          pick(r, [
            'name',
            'displayName',
            'tenantId',
            'clientId',
            'credential',
            'type',
            'sources',
            'scope',
            'items',
            'folders',
            'selection',
            'target',
            'seq',
            'protectedItemId',
            'fromSeq',
            'toSeq',
            'user',
            'overwriteBehavior',
            'destination',
            'options',
            'schedules',
            'container',
            'blobEndpoint',
            String(r()),
          ]),
          value(r, depth + 1),
        ]),
      );
  }
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** What an error message must never carry: internals, and the caller's hostile input echoed back. */
const LEAKS = [
  /\n\s+at\s/,
  /\.[jt]s:\d+/,
  /\/(work|home|tmp|usr)\//,
  /node_modules/,
  /127\.0\.0\.1/,
  /localhost/i,
  /<script>/i,
  /OR 1=1/,
  /\.\.\/\.\.\//,
  /😀/,
  /\/{10}/,
];
const leaks = (body: unknown): string[] => LEAKS.filter((re) => re.test(JSON.stringify(body ?? ''))).map(String);
/** A 400 says where the problem is: the body, a query parameter or a path parameter. */
const namesField = (message: string): boolean =>
  message.split('; ').every((part) => /^(body|query\.|path\.)/.test(part));

/** A raw request (fetch would normalise the path) on a connection of its own, answering status and body text. */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      { method, agent: false, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('API fuzzing: hostile input never gets a 500 nor leaves a partial write', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let accountId: string;
  let itemId: string;
  let jobId: string;
  let adminToken: () => Promise<string>;

  beforeAll(async () => {
    const catalog = await freshCatalog('fuzz');
    client = catalog.client;
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('fuzz') });
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const adminApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault admin console')!;
    const tokens = clientCredentials({
      authorityHost: app.emulator.authorityHost,
      tenantId: app.tenant.tenantId,
      clientId: adminApp.clientId,
      clientSecret: adminApp.clientSecret,
      scope: `${API_AUDIENCE}/.default`,
      ca: fs.readFileSync(app.emulator.caCertFile),
    });
    adminToken = () => tokens.token();
    accountId = (
      await app.admin.call<{ id: string }>('POST', '/api/accounts', {
        displayName: 'Contoso',
        tenantId: app.tenant.tenantId,
        clientId: backupApp.clientId,
        credential: { type: 'secret', secretName: 'demo-backup' },
      })
    ).body.id;
    const adele = app.tenant.users.find((u) => u.licensed)!;
    jobId = (
      await app.admin.call<{ id: string }>('POST', `/api/accounts/${accountId}/jobs`, {
        name: 'Adele',
        sources: { scope: 'selected', items: [{ kind: 'mailbox', match: adele.userPrincipalName }] },
      })
    ).body.id;
    await app.admin.runJob(accountId, jobId, 120_000);
    itemId = `${accountId}.mailbox.${adele.id}`;
  });
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('answers every operation with a status below 500 and an error body naming the problem', async () => {
    const r = rng(20261123);
    const before = {
      accounts: (await app.reader.call<{ value: unknown[] }>('GET', '/api/accounts')).body.value.length,
      jobs: (await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/jobs`)).body.value.length,
    };
    const failures: string[] = [];
    let calls = 0;
    for (const op of API_OPERATIONS) {
      // Valid without a body: they would legitimately start runs, or delete the job and account the others use.
      if (['jobsRun', 'retentionStart', 'jobsDelete', 'accountsDelete'].includes(op.id)) continue;
      for (let round = 0; round < 25; round++) {
        const real: Record<string, string> = {
          accountId,
          itemId: encodeURIComponent(itemId),
          seq: '1',
          jobId,
          restoreId: 'x',
          reportId: 'x',
        };
        const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
          r() < 0.6 ? (real[name] ?? 'x') : encodeURIComponent(String(pick(r, HOSTILE)) || 'x'),
        );
        const query =
          op.query || r() < 0.3
            ? `?${Array.from({ length: 1 + Math.floor(r() * 3) }, () => `${encodeURIComponent(pick(r, ['q', 'folderId', 'pageSize', 'continuation', 'fromSeq', 'toSeq', 'itemId', 'offset', 'zzz']))}=${encodeURIComponent(String(value(r)))}`).join('&')}`
            : '';
        const body = op.method === 'GET' ? undefined : r() < 0.15 ? '{"unterminated": ' : value(r);
        const res = await app.admin.call<{ error?: { code?: string; message?: string } }>(
          op.method,
          `/api${path}${query}`,
          body,
        );
        calls++;
        const message = res.body?.error?.message;
        const ok =
          res.status < 500 &&
          (res.status < 400 || (typeof res.body?.error?.code === 'string' && typeof message === 'string')) &&
          (res.status !== 400 || namesField(message!)) &&
          (res.status < 400 || leaks(res.body).length === 0);
        if (!ok)
          failures.push(
            `${op.method} ${path}${query} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)} ${leaks(res.body).join(' ')}`,
          );
      }
    }
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(500);
    // Refused requests wrote nothing: no new account, job, restore or report (none of the random bodies is valid).
    expect((await app.reader.call<{ value: unknown[] }>('GET', '/api/accounts')).body.value.length).toBe(
      before.accounts,
    );
    expect(
      (await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/jobs`)).body.value.length,
    ).toBe(before.jobs);
    expect(
      (await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/restores`)).body.value,
    ).toEqual([]);
    expect(
      (await app.reader.call<{ value: unknown[] }>('GET', `/api/accounts/${accountId}/difference-reports`)).body.value,
    ).toEqual([]);
  });

  const ITEM = () => `/api/accounts/${accountId}/protected-items/${encodeURIComponent(itemId)}`;

  it('refuses ids that are no ids with a 400 naming the field, never echoing them, before they reach Cosmos DB', async () => {
    for (const bad of ['a/b', 'a\\b', 'a#b', 'a?b', '../x', ' ']) {
      const difference = await app.admin.call<{ error: { message: string } }>(
        'POST',
        `/api/accounts/${accountId}/difference-reports`,
        { protectedItemId: `${itemId}${bad}`, fromSeq: 1, toSeq: 2 },
      );
      expect([difference.status, difference.body.error.message]).toEqual([
        400,
        'body.protectedItemId: not an id this API issues',
      ]);
      const restore = await app.admin.call<{ error: { message: string } }>(
        'POST',
        `/api/accounts/${accountId}/restores`,
        { protectedItemId: bad, seq: 1, selection: { items: ['AAMkAAA='] }, target: { type: 'original' } },
      );
      expect([restore.status, restore.body.error.message]).toEqual([
        400,
        'body.protectedItemId: not an id this API issues',
      ]);
    }
    const intoBad = await app.admin.call<{ error: { message: string } }>(
      'POST',
      `/api/accounts/${accountId}/restores`,
      {
        protectedItemId: itemId,
        seq: 1,
        selection: { items: ['AAMkAAA=', 'x#y'] },
        target: { type: 'account', accountId: 'a/b', user: 'u@contoso.example' },
      },
    );
    expect(intoBad.status).toBe(400);
    expect(intoBad.body.error.message).toBe(
      'body.selection.items[1]: not a Microsoft Graph id; body.target.accountId: not an id this API issues',
    );
    const exportBad = await app.admin.call<{ error: { message: string } }>(
      'POST',
      `${ITEM()}/recovery-points/1/export`,
      { items: ['<script>alert(1)</script>'] },
    );
    expect([exportBad.status, exportBad.body.error.message]).toEqual([400, 'body.items[0]: not a Microsoft Graph id']);
    const exportUnknown = await app.admin.call<{ error: { message: string } }>(
      'POST',
      `${ITEM()}/recovery-points/1/export`,
      { folders: [], items: ['AAMkAAAunknown=', 'AAMkAAAunknown2='] },
    );
    expect([exportUnknown.status, exportUnknown.body.error.message]).toEqual([
      400,
      'body.items[0]: not in this recovery point; body.items[1]: not in this recovery point',
    ]);
    const content = await app.admin.call<{ error: { message: string } }>(
      'GET',
      `${ITEM()}/recovery-points/1/content?itemId=${encodeURIComponent('AAMkAAAunknown=')}`,
    );
    expect([content.status, content.body.error.message]).toEqual([
      404,
      'query.itemId: no such item in recovery point 1.',
    ]);
  });

  it('answers retention runs started at once (one run of an account at a time) with 202 or 409, never 500', async () => {
    const starts = await Promise.all(
      [1, 2, 3].map(() => app.admin.call('POST', `/api/accounts/${accountId}/retention-runs`)),
    );
    expect(starts.map((r) => r.status).filter((s) => s !== 202 && s !== 409)).toEqual([]);
    expect(starts.some((r) => r.status === 202)).toBe(true);
  });

  it('says a repository cannot be reached without naming the addresses it tried', async () => {
    const res = await app.admin.call<{ error: { message: string } }>(
      'POST',
      `/api/accounts/${accountId}/repositories`,
      { name: 'probe', displayName: 'Probe', blobEndpoint: 'http://127.0.0.1:9/devstoreaccount1', container: 'probe' },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^body\.container: the Blob endpoint could not be reached \(\w+\)$/);
  });

  it('answers a path whose percent-escapes do not decode with 400 before authentication, as Azure does', async () => {
    for (const path of [
      '/api/accounts/%C0%AF',
      '/api/accounts/%zz',
      '/api/accounts/%',
      `/api/accounts/${accountId}/jobs/%E2%82`,
    ]) {
      expect((await raw(app.host.url, 'GET', path)).status).toBe(400);
      expect((await raw(app.host.url, 'GET', path, { authorization: `Bearer ${await adminToken()}` })).status).toBe(
        400,
      );
    }
  });

  it('answers an oversized body with 413 and oversized headers with 431, not 500', async () => {
    const big = Buffer.from(
      JSON.stringify({
        protectedItemId: itemId,
        seq: 1,
        selection: { items: Array.from({ length: 50_000 }, (_, i) => `AAMk${'A'.repeat(100)}${i}=`) },
        target: { type: 'original' },
      }),
    );
    expect(big.length).toBeGreaterThan(4 * 1024 * 1024);
    const res = await raw(
      app.host.url,
      'POST',
      `/api/accounts/${accountId}/restores`,
      { authorization: `Bearer ${await adminToken()}`, 'content-type': 'application/json' },
      big,
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).error.message).toMatch(/^body: larger than/);
    expect(
      (
        await raw(app.host.url, 'GET', '/api/accounts', {
          authorization: `Bearer ${await adminToken()}`,
          'x-padding': 'p'.repeat(64 * 1024),
        })
      ).status,
    ).toBe(431);
  });

  it('audits the address the platform saw, not the X-Forwarded-For hop the caller wrote', async () => {
    const folders = (
      await app.admin.call<{ value: Array<{ id: string; wellKnownName?: string }> }>(
        'GET',
        `${ITEM()}/recovery-points/1/folders`,
      )
    ).body.value;
    const inbox = folders.find((f) => f.wellKnownName === 'inbox')!.id;
    const message = (
      await app.admin.call<{ value: Array<{ id: string; kind: string }> }>(
        'GET',
        `${ITEM()}/recovery-points/1/items?folderId=${encodeURIComponent(inbox)}`,
      )
    ).body.value.find((i) => i.kind === 'message')!.id;
    const res = await app.admin.call(
      'GET',
      `${ITEM()}/recovery-points/1/content?itemId=${encodeURIComponent(message)}`,
      undefined,
      { headers: { 'x-forwarded-for': '203.0.113.66' } },
    );
    expect(res.status).toBe(200);
    const audit = (
      await app.admin.call<{ value: Array<{ action: string; clientIp?: string; subject: { itemId?: string } }> }>(
        'GET',
        `/api/accounts/${accountId}/audit`,
      )
    ).body.value;
    expect(audit.find((a) => a.action === 'download' && a.subject.itemId === message)?.clientIp).toBe('127.0.0.1');
  });

  it('answers every kind of bad token with 401', async () => {
    const key = app.emulator.runtime.tenants.signingKeys[0];
    const claims = JSON.parse(Buffer.from((await adminToken()).split('.')[1], 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const now = Math.floor(Date.now() / 1000);
    const other = '0badc0de-0000-4000-8000-000000000000';
    const signed = (change: Record<string, unknown>) =>
      new SignJWT({ ...claims, ...change })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
        .sign(key.privateKey);
    const publicPem = new Uint8Array(key.publicKey.export({ type: 'spki', format: 'pem' }) as Buffer);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    // The same claims re-signed pass: every refusal below is for what was changed.
    expect((await app.admin.call('GET', '/api/accounts', undefined, { token: await signed({}) })).status).toBe(200);
    const bad: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      'HS256 signed with the public key': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
        .sign(publicPem),
      'another audience': await signed({ aud: 'https://graph.microsoft.com' }),
      'another tenant': await signed({ iss: `https://sts.windows.net/${other}/`, tid: other }),
      "a tid that is not the issuer's": await signed({ tid: other }),
      expired: await signed({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 }),
      'not yet valid': await signed({ iat: now, nbf: now + 3600, exp: now + 7200 }),
    };
    for (const [what, token] of Object.entries(bad)) {
      const res = await app.admin.call<{ error: { code: string } }>('GET', '/api/accounts', undefined, { token });
      expect([what, res.status, res.body.error.code, res.headers.get('www-authenticate')]).toEqual([
        what,
        401,
        'unauthenticated',
        'Bearer',
      ]);
    }
  });
});
