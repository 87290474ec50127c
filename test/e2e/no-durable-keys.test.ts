// The Durable extension's management URLs carry its system key, which acts on every instance of the task hub outside
// the product's roles and audit log. Every route of the API (as its OpenAPI document lists them), called with good
// and bad input, as administrator, reader and anonymous, must answer without one: no `code=`, no `systemKey`, no
// webhook URL, and not the key itself, in any header or body. The local host enforces the key as Azure does, so one
// that leaked would be usable here too: the test shows it is refused without it.
import { CosmosClient } from '@azure/cosmos';
import type { ApiClient } from '../../local/cli/api-client';
import { control } from '../../local/cli/emulator-control';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { SYSTEM_KEY_SETTING } from '../../local/host/durable/http-api';
import { freshCatalog } from '../support/catalog';
import { sharedStack, stackEnv, uniqueName } from '../support/env';

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

describe('no Durable management key reaches an API caller', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let key: string;
  const seen: Array<{ call: string; status: number; text: string }> = [];

  /** Calls the API and keeps what came back (headers, and the body as text: binary bodies are checked for the key). */
  const record = async (who: ApiClient | 'anonymous', call: Call): Promise<Response> => {
    const api = who === 'anonymous' ? app.admin : who;
    const r = await api.request(call.method, call.path, call.body, who === 'anonymous' ? { token: null } : {});
    const body = Buffer.from(await r.arrayBuffer());
    const headers = [...r.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
    const textual = /json|text/.test(r.headers.get('content-type') ?? '') || body.length === 0;
    seen.push({
      call: `${who === 'anonymous' ? 'anonymous' : who === app.admin ? 'admin' : 'reader'} ${call.method} ${call.path}`,
      status: r.status,
      text: `${headers}\n${textual ? body.toString('utf8') : body.toString('latin1').includes(key) ? key : ''}`,
    });
    return new Response(body.length ? body : null, { status: r.status, headers: r.headers });
  };

  beforeAll(async () => {
    const catalog = await freshCatalog('nokeys');
    client = catalog.client;
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('nokeys') });
    key = String(app.env[SYSTEM_KEY_SETTING]);
    expect(key.length).toBeGreaterThan(20);
  }, 180_000);
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  it('answers every route of its OpenAPI document without a key or a management URL, and the run route instead', async () => {
    const adele = app.tenant.users.find((u) => u.licensed)!;
    const bob = app.tenant.users.filter((u) => u.licensed)[1];
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const account = {
      displayName: 'Contoso',
      tenantId: app.tenant.tenantId,
      clientId: backupApp.clientId,
      credential: { type: 'secret', secretName: 'demo-backup' },
    };
    const accountId = (
      (await (await record(app.admin, { method: 'POST', path: '/api/accounts', body: account })).json()) as {
        id: string;
      }
    ).id;
    const jobId = (
      (await (
        await record(app.admin, {
          method: 'POST',
          path: `/api/accounts/${accountId}/jobs`,
          body: {
            name: 'Adele',
            sources: { scope: 'selected', items: [{ kind: 'mailbox', match: adele.userPrincipalName }] },
          },
        })
      ).json()) as { id: string }
    ).id;

    // Run now: the body is the run and Location its route; a second start while it runs is a 409 naming it.
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const started = await record(app.admin, { method: 'POST', path: `/api/accounts/${accountId}/jobs/${jobId}/run` });
      expect(started.status).toBe(202);
      const run = (await started.json()) as Record<string, unknown>;
      expect(Object.keys(run).filter((k) => /Uri$|Url$/i.test(k))).toEqual([]);
      expect(started.headers.get('location')).toBe(`/api/accounts/${accountId}/jobs/${jobId}/runs/${run.id as string}`);
      expect(
        (await record(app.admin, { method: 'POST', path: `/api/accounts/${accountId}/jobs/${jobId}/run` })).status,
      ).toBe(409);
      expect(
        (await app.admin.waitForRun<{ status: string }>(started.headers.get('location')!, undefined, 120_000)).status,
      ).toBe('success');
      runs.push(run.id as string);
    }
    const itemId = `${accountId}.mailbox.${adele.id}`;
    const point = `/api/accounts/${accountId}/protected-items/${encodeURIComponent(itemId)}/recovery-points/1`;
    const folders = (
      await app.reader.call<{ value: Array<{ id: string; wellKnownName?: string }> }>('GET', `${point}/folders`)
    ).body.value;
    const inbox = folders.find((f) => f.wellKnownName === 'inbox')!.id;
    const messageId = (
      await control<Array<{ immutableId: string }>>(app.emulator, 'GET', `mail/${adele.id}/folders/inbox/messages`)
    ).body[0].immutableId;
    const blobEndpoint = /BlobEndpoint=([^;]+)/.exec(stackEnv('M365V_STORAGE_CONNECTION_STRING'))![1];
    const started = async (path: string, body: unknown): Promise<string> =>
      ((await (await record(app.admin, { method: 'POST', path, body })).json()) as { id: string }).id;
    const restoreId = await started(`/api/accounts/${accountId}/restores`, {
      protectedItemId: itemId,
      seq: 1,
      selection: { items: [messageId] },
      target: { type: 'mailbox', user: bob.userPrincipalName },
    });
    await app.admin.waitForRun(`/api/accounts/${accountId}/restores/${restoreId}`, undefined, 120_000);
    const reportId = await started(`/api/accounts/${accountId}/difference-reports`, {
      protectedItemId: itemId,
      fromSeq: 1,
      toSeq: 2,
    });
    await app.admin.waitForRun(`/api/accounts/${accountId}/difference-reports/${reportId}`, undefined, 120_000);
    const exportId = await started(`${point}/exports`, { folders: [inbox] });
    await app.admin.waitForRun(`/api/accounts/${accountId}/exports/${exportId}`, undefined, 120_000);

    const retentionId = await started(`/api/accounts/${accountId}/retention-runs`, undefined);
    await app.admin.waitForRun(`/api/accounts/${accountId}/retention-runs/${retentionId}`, undefined, 120_000);
    const grantee = '33333333-3333-4333-8333-333333333333';
    // Deleted by their DELETE calls, so the other routes keep their account and job.
    const spareJobId = (
      (await (
        await record(app.admin, {
          method: 'POST',
          path: `/api/accounts/${accountId}/jobs`,
          body: { name: 'Spare', sources: { scope: 'account' } },
        })
      ).json()) as { id: string }
    ).id;
    const spareAccountId = (
      (await (
        await record(app.admin, { method: 'POST', path: '/api/accounts', body: { ...account, displayName: 'Spare' } })
      ).json()) as { id: string }
    ).id;

    // A good call for every route the document lists; one missing here fails the test, so new routes are covered.
    const good: Record<string, Call> = {
      'GET /health': { method: 'GET', path: '/api/health' },
      'GET /openapi.json': { method: 'GET', path: '/api/openapi.json' },
      'POST /accounts': { method: 'POST', path: '/api/accounts', body: { ...account, displayName: 'Contoso again' } },
      'GET /accounts': { method: 'GET', path: '/api/accounts' },
      'GET /accounts/{accountId}': { method: 'GET', path: `/api/accounts/${accountId}` },
      'PATCH /accounts/{accountId}': {
        method: 'PATCH',
        path: `/api/accounts/${accountId}`,
        body: { displayName: 'Contoso' },
      },
      'DELETE /accounts/{accountId}': { method: 'DELETE', path: `/api/accounts/${spareAccountId}` },
      'POST /accounts/{accountId}/repositories': {
        method: 'POST',
        path: `/api/accounts/${accountId}/repositories`,
        body: { name: 'second', displayName: 'Second', blobEndpoint, container: 'content' },
      },
      'GET /accounts/{accountId}/repositories': { method: 'GET', path: `/api/accounts/${accountId}/repositories` },
      'POST /accounts/{accountId}/jobs': {
        method: 'POST',
        path: `/api/accounts/${accountId}/jobs`,
        body: {
          name: 'Bob',
          sources: { scope: 'selected', items: [{ kind: 'mailbox', match: bob.userPrincipalName }] },
        },
      },
      'GET /accounts/{accountId}/jobs': { method: 'GET', path: `/api/accounts/${accountId}/jobs` },
      'GET /accounts/{accountId}/jobs/{jobId}': { method: 'GET', path: `/api/accounts/${accountId}/jobs/${jobId}` },
      'PATCH /accounts/{accountId}/jobs/{jobId}': {
        method: 'PATCH',
        path: `/api/accounts/${accountId}/jobs/${jobId}`,
        body: { name: 'Adele' },
      },
      'DELETE /accounts/{accountId}/jobs/{jobId}': {
        method: 'DELETE',
        path: `/api/accounts/${accountId}/jobs/${spareJobId}`,
      },
      'POST /accounts/{accountId}/jobs/{jobId}/run': {
        method: 'POST',
        path: `/api/accounts/${accountId}/jobs/${jobId}/run`,
      },
      'GET /accounts/{accountId}/jobs/{jobId}/runs': {
        method: 'GET',
        path: `/api/accounts/${accountId}/jobs/${jobId}/runs`,
      },
      'GET /accounts/{accountId}/jobs/{jobId}/runs/{runId}': {
        method: 'GET',
        path: `/api/accounts/${accountId}/jobs/${jobId}/runs/${runs[0]}`,
      },
      'POST /accounts/{accountId}/jobs/{jobId}/runs/{runId}/stop': {
        method: 'POST',
        path: `/api/accounts/${accountId}/jobs/${jobId}/runs/${runs[0]}/stop`,
      },
      'GET /accounts/{accountId}/protected-items': {
        method: 'GET',
        path: `/api/accounts/${accountId}/protected-items`,
      },
      'GET /accounts/{accountId}/protected-items/{itemId}/recovery-points': {
        method: 'GET',
        path: `/api/accounts/${accountId}/protected-items/${encodeURIComponent(itemId)}/recovery-points`,
      },
      'GET /accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/folders': {
        method: 'GET',
        path: `${point}/folders`,
      },
      'GET /accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/items': {
        method: 'GET',
        path: `${point}/items?folderId=${encodeURIComponent(inbox)}`,
      },
      'GET /accounts/{accountId}/protected-items/{itemId}/search': {
        method: 'GET',
        path: `/api/accounts/${accountId}/protected-items/${encodeURIComponent(itemId)}/search?q=the`,
      },
      'GET /accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/lists/{listId}': {
        method: 'GET',
        path: `${point}/lists/${encodeURIComponent(inbox)}?format=json`,
      },
      'GET /accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/preview': {
        method: 'GET',
        path: `${point}/preview?itemId=${encodeURIComponent(messageId)}`,
      },
      'GET /accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/content': {
        method: 'GET',
        path: `${point}/content?itemId=${encodeURIComponent(messageId)}`,
      },
      'POST /accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/export': {
        method: 'POST',
        path: `${point}/export`,
        body: { folders: [inbox] },
      },
      'POST /accounts/{accountId}/protected-items/{itemId}/recovery-points/{seq}/exports': {
        method: 'POST',
        path: `${point}/exports`,
        body: { items: [messageId], delivery: 'blob' },
      },
      'GET /accounts/{accountId}/exports/{exportId}': {
        method: 'GET',
        path: `/api/accounts/${accountId}/exports/${exportId}`,
      },
      'POST /accounts/{accountId}/restores': {
        method: 'POST',
        path: `/api/accounts/${accountId}/restores`,
        body: {
          protectedItemId: itemId,
          seq: 1,
          selection: { items: [messageId] },
          target: { type: 'mailbox', user: bob.userPrincipalName },
        },
      },
      'GET /accounts/{accountId}/restores': { method: 'GET', path: `/api/accounts/${accountId}/restores` },
      'GET /accounts/{accountId}/restores/{restoreId}': {
        method: 'GET',
        path: `/api/accounts/${accountId}/restores/${restoreId}`,
      },
      'POST /accounts/{accountId}/restores/{restoreId}/cancel': {
        method: 'POST',
        path: `/api/accounts/${accountId}/restores/${restoreId}/cancel`,
      },
      'POST /accounts/{accountId}/difference-reports': {
        method: 'POST',
        path: `/api/accounts/${accountId}/difference-reports`,
        body: { protectedItemId: itemId, fromSeq: 1, toSeq: 2 },
      },
      'GET /accounts/{accountId}/difference-reports': {
        method: 'GET',
        path: `/api/accounts/${accountId}/difference-reports`,
      },
      'GET /accounts/{accountId}/difference-reports/{reportId}': {
        method: 'GET',
        path: `/api/accounts/${accountId}/difference-reports/${reportId}`,
      },
      'GET /accounts/{accountId}/audit': { method: 'GET', path: `/api/accounts/${accountId}/audit` },
      'POST /accounts/{accountId}/retention-runs': {
        method: 'POST',
        path: `/api/accounts/${accountId}/retention-runs`,
      },
      'GET /accounts/{accountId}/retention-runs': { method: 'GET', path: `/api/accounts/${accountId}/retention-runs` },
      'GET /accounts/{accountId}/retention-runs/{runId}': {
        method: 'GET',
        path: `/api/accounts/${accountId}/retention-runs/${retentionId}`,
      },
      'PUT /accounts/{accountId}/hold': {
        method: 'PUT',
        path: `/api/accounts/${accountId}/hold`,
        body: { reason: 'Case 1' },
      },
      'DELETE /accounts/{accountId}/hold': { method: 'DELETE', path: `/api/accounts/${accountId}/hold` },
      'POST /accounts/{accountId}/preflight': { method: 'POST', path: `/api/accounts/${accountId}/preflight` },
      'PUT /accounts/{accountId}/protected-items/{itemId}/hold': {
        method: 'PUT',
        path: `/api/accounts/${accountId}/protected-items/${encodeURIComponent(itemId)}/hold`,
        body: { reason: 'Case 2' },
      },
      'DELETE /accounts/{accountId}/protected-items/{itemId}/hold': {
        method: 'DELETE',
        path: `/api/accounts/${accountId}/protected-items/${encodeURIComponent(itemId)}/hold`,
      },
      'GET /accounts/{accountId}/grants': { method: 'GET', path: `/api/accounts/${accountId}/grants` },
      'PUT /accounts/{accountId}/grants/{principalId}': {
        method: 'PUT',
        path: `/api/accounts/${accountId}/grants/${grantee}`,
        body: { role: 'Reader', principalType: 'user' },
      },
      'DELETE /accounts/{accountId}/grants/{principalId}': {
        method: 'DELETE',
        path: `/api/accounts/${accountId}/grants/${grantee}`,
      },
    };
    const doc = (await app.reader.call<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/openapi.json'))
      .body;
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/^\/api/, '')}`),
    );
    expect(routes.filter((r) => !good[r])).toEqual([]);
    for (const route of routes) {
      const call = good[route];
      await record(app.admin, call);
      await record(app.reader, call);
      await record('anonymous', call);
      // Bad input too: an unknown id in every path parameter, and a body that is not JSON.
      await record(app.admin, {
        ...call,
        path: call.path.replace(/\/(jobs|runs|restores|difference-reports|exports)\/[^/?]+/g, '/$1/nosuch'),
      });
      if (call.method === 'POST') await record(app.admin, { ...call, body: '{"unterminated": ' });
    }
    expect(seen.length).toBeGreaterThan(routes.length * 4);
    const leaks = seen.filter(
      (r) => /code=|systemkey|runtime\/webhooks|durabletask/i.test(r.text) || r.text.includes(key),
    );
    expect(leaks.map((l) => `${l.call} → ${l.status}: ${l.text.slice(0, 300)}`)).toEqual([]);
  }, 600_000);

  it('refuses the Durable HTTP API without the system key, so a leaked URL would be the only way in', async () => {
    const [instance] = (await (await fetch(app.durable('instances'))).json()) as Array<{ instanceId: string }>;
    expect(instance).toBeDefined();
    const bare = `${app.host.url}/runtime/webhooks/durabletask/instances`;
    expect((await fetch(bare)).status).toBe(401);
    expect((await fetch(`${bare}/${encodeURIComponent(instance.instanceId)}`)).status).toBe(401);
    expect(
      (await fetch(`${bare}/${encodeURIComponent(instance.instanceId)}/terminate?reason=x`, { method: 'POST' })).status,
    ).toBe(401);
    expect((await fetch(`${bare}?code=guess`)).status).toBe(401);
  });
});
