// Roles per account, as an MSP runs one deployment for many customers: an operator granted one account can act on
// it (as Reader or Administrator) and on no other. Every account route is read from the OpenAPI document, so a route
// added later is covered without touching this test.
import { CosmosClient } from '@azure/cosmos';
import type { ApiClient } from '../../local/cli/api-client';
import { LocalApp, startLocalApp } from '../../local/cli/local-app';
import { freshCatalog } from '../support/catalog';
import { sharedStack, uniqueName } from '../support/env';

interface Operation {
  method: string;
  path: string;
  role: string;
  access?: string;
  id: string;
}
interface ErrorBody {
  error?: { code: string; message: string };
}

describe('per-account grants', () => {
  let app: LocalApp;
  let client: CosmosClient;
  let operations: Operation[];
  const accounts: Record<'A' | 'B', { id: string; jobId: string; itemId: string; inboxId: string; messageId: string }> =
    {} as never;
  let readerOfA: { client: ApiClient; objectId: string };
  let adminOfA: { client: ApiClient; objectId: string };
  let groupMember: { client: ApiClient; objectId: string };
  const opsGroup = '0f0e0d0c-0b0a-4909-8807-060504030201';

  /** Starts a run and waits until the job lists it as ended (the product's own runs route, no Durable URL). */
  const runToEnd = async (accountId: string, jobId: string): Promise<void> => {
    expect((await app.admin.call('POST', `/api/accounts/${accountId}/jobs/${jobId}/run`)).status).toBe(202);
    for (let i = 0; i < 600; i++) {
      const runs = (
        await app.admin.call<{ value: Array<{ status: string }> }>(
          'GET',
          `/api/accounts/${accountId}/jobs/${jobId}/runs`,
        )
      ).body.value;
      if (runs.length && runs.every((r) => r.status !== 'running')) {
        expect(runs.map((r) => r.status)).toEqual(['success']);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('the run did not end');
  };

  /** Path and body of an operation against an account, with that account's real ids. */
  const request = (op: Operation, k: 'A' | 'B', principalId: string): { path: string; body?: unknown } => {
    const a = accounts[k];
    const params: Record<string, string> = {
      accountId: a.id,
      itemId: encodeURIComponent(a.itemId),
      seq: '1',
      jobId: a.jobId,
      restoreId: '5f0e5f0e-0000-4000-8000-000000000001',
      reportId: '5f0e5f0e-0000-4000-8000-000000000002',
      principalId,
    };
    const path = `/api${op.path.replace(/\{(\w+)\}/g, (_, n: string) => params[n] ?? 'x')}`;
    const query: Record<string, string> = {
      pointItems: `folderId=${encodeURIComponent(a.inboxId)}`,
      itemSearch: 'q=the',
      itemContent: `itemId=${encodeURIComponent(a.messageId)}`,
      itemPreview: `itemId=${encodeURIComponent(a.messageId)}`,
    };
    const bodies: Record<string, unknown> = {
      restoresStart: {
        protectedItemId: a.itemId,
        seq: 1,
        selection: { items: [a.messageId] },
        target: { type: 'original', overwriteBehavior: 'skip' },
      },
      differencesStart: { protectedItemId: a.itemId, fromSeq: 1, toSeq: 2 },
      pointExport: { items: [a.messageId] },
      jobsCreate: { name: 'intruder', sources: { scope: 'account' } },
      repositoriesCreate: {
        name: 'elsewhere',
        displayName: 'Elsewhere',
        blobEndpoint: 'https://example.blob.core.windows.net',
        container: 'backups',
      },
      grantsSet: { role: 'Administrator', principalType: 'servicePrincipal' },
    };
    return {
      path: `${path}${query[op.id] ? `?${query[op.id]}` : ''}`,
      ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: bodies[op.id] ?? {} }),
    };
  };

  beforeAll(async () => {
    const catalog = await freshCatalog('access');
    client = catalog.client;
    app = await startLocalApp({ stack: sharedStack(), cosmosDatabase: catalog.name, taskHub: uniqueName('access') });
    const backupApp = app.tenant.apps.find((a) => a.displayName === 'm365-vault backup')!;
    const [adele, alex] = app.tenant.users.filter((u) => u.licensed);
    for (const [k, user] of [
      ['A', adele],
      ['B', alex],
    ] as const) {
      const id = (
        await app.admin.call<{ id: string }>('POST', '/api/accounts', {
          displayName: `Customer ${k}`,
          tenantId: app.tenant.tenantId,
          clientId: backupApp.clientId,
          credential: { type: 'secret', secretName: 'demo-backup' },
        })
      ).body.id;
      const jobId = (
        await app.admin.call<{ id: string }>('POST', `/api/accounts/${id}/jobs`, {
          name: user.displayName,
          sources: { scope: 'selected', items: [{ kind: 'mailbox', match: user.userPrincipalName }] },
        })
      ).body.id;
      await runToEnd(id, jobId);
      const itemId = `${id}.mailbox.${user.id}`;
      const point = `/api/accounts/${id}/protected-items/${encodeURIComponent(itemId)}/recovery-points/1`;
      const inboxId = (
        await app.admin.call<{ value: Array<{ id: string; wellKnownName?: string }> }>('GET', `${point}/folders`)
      ).body.value.find((f) => f.wellKnownName === 'inbox')!.id;
      const messageId = (
        await app.admin.call<{ value: Array<{ id: string; kind: string }> }>(
          'GET',
          `${point}/items?folderId=${encodeURIComponent(inboxId)}`,
        )
      ).body.value.find((i) => i.kind === 'message')!.id;
      accounts[k] = { id, jobId, itemId, inboxId, messageId };
    }
    readerOfA = await app.apiClientFor('operator reading A');
    adminOfA = await app.apiClientFor('operator administering A');
    groupMember = await app.apiClientFor('operator in the A group', { groups: [opsGroup] });
    const grant = async (principalId: string, role: string, principalType: string) =>
      expect(
        (
          await app.admin.call('PUT', `/api/accounts/${accounts.A.id}/grants/${principalId}`, {
            role,
            principalType,
            displayName: 'test',
          })
        ).status,
      ).toBe(201);
    await grant(readerOfA.objectId, 'Reader', 'servicePrincipal');
    await grant(adminOfA.objectId, 'Administrator', 'servicePrincipal');
    await grant(opsGroup, 'Reader', 'group');
    const doc = (
      await app.reader.call<{
        paths: Record<string, Record<string, { operationId: string; 'x-required-role': string; 'x-access'?: string }>>;
      }>('GET', '/api/openapi.json')
    ).body;
    operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, o]) => ({
        method: method.toUpperCase(),
        path: path.replace(/^\/api/, ''),
        role: o['x-required-role'],
        ...(o['x-access'] ? { access: o['x-access'] } : {}),
        id: o.operationId,
      })),
    );
  }, 600_000);
  afterAll(async () => {
    await app?.stop();
    client?.dispose();
  });

  const accountOps = (): Operation[] => operations.filter((o) => o.path.includes('{accountId}'));

  it('refuses an operator of account A on every route of account B, search and content download included, and audits it', async () => {
    const ops = accountOps();
    expect(ops.map((o) => o.id)).toEqual(
      expect.arrayContaining([
        'itemSearch',
        'itemContent',
        'itemPreview',
        'pointExport',
        'restoresStart',
        'differencesStart',
        'jobsRun',
        'runsList',
        'protectedItemsList',
        'auditList',
        'grantsSet',
      ]),
    );
    const wrong: string[] = [];
    for (const who of [adminOfA, readerOfA, groupMember]) {
      for (const op of ops) {
        const { path, body } = request(op, 'B', adminOfA.objectId);
        const res = await who.client.call<ErrorBody>(op.method, path, body);
        if (res.status !== 403 || res.body?.error?.code !== 'forbidden')
          wrong.push(`${op.method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
    // Nothing was started or changed on B.
    expect(
      (await app.admin.call<{ value: unknown[] }>('GET', `/api/accounts/${accounts.B.id}/restores`)).body.value,
    ).toEqual([]);
    expect(
      (await app.admin.call<{ value: unknown[] }>('GET', `/api/accounts/${accounts.B.id}/jobs`)).body.value,
    ).toHaveLength(1);
    expect(
      (await app.admin.call<{ value: unknown[] }>('GET', `/api/accounts/${accounts.B.id}/grants`)).body.value,
    ).toEqual([]);
    const audit = (
      await app.admin.call<{
        value: Array<{ action: string; principal: { id: string }; subject: { operation: string; method: string } }>;
      }>('GET', `/api/accounts/${accounts.B.id}/audit`)
    ).body.value;
    // One record per refused request, naming the function and the method (one function may serve PUT and DELETE).
    const denied = audit.filter((e) => e.action === 'access.denied' && e.principal.id === adminOfA.objectId);
    expect(denied).toHaveLength(ops.length);
    expect(denied.map((e) => `${e.subject.method} ${e.subject.operation}`)).toEqual(
      expect.arrayContaining(['GET itemSearch', 'GET itemContent', 'POST restoresStart', 'PUT grantsSet']),
    );
  });

  it('lets a Reader grant read its account but not download, export, restore or change it', async () => {
    const wrong: string[] = [];
    for (const op of accountOps()) {
      const readOnly = op.role === 'Backup.Reader' && op.method === 'GET';
      if (!readOnly && op.role === 'Backup.Reader') continue; // starting a difference report: checked below
      const { path, body } = request(op, 'A', readerOfA.objectId);
      const res = await readerOfA.client.call<ErrorBody>(op.method, path, body);
      // Admitted reads answer 200, or 404 for the made-up restore and report ids; refusals are 403s.
      const admitted = readOnly && op.access !== 'global';
      if (admitted ? res.status === 403 || res.status >= 500 : res.status !== 403)
        wrong.push(
          `${op.method} ${path} → ${res.status}, expected ${admitted ? 'admitted' : '403'}: ${JSON.stringify(res.body).slice(0, 160)}`,
        );
    }
    expect(wrong).toEqual([]);
    const difference = await readerOfA.client.call<ErrorBody>(
      'POST',
      `/api/accounts/${accounts.A.id}/difference-reports`,
      { protectedItemId: accounts.A.itemId, fromSeq: 1, toSeq: 2 },
    );
    expect(difference.status).toBe(404); // admitted: only the second point is missing
    const groupRead = await groupMember.client.call('GET', `/api/accounts/${accounts.A.id}/protected-items`);
    expect(groupRead.status).toBe(200);
  });

  it('lets an Administrator grant download, export and audit its account, but neither manage grants nor restore into another account', async () => {
    const point = `/api/accounts/${accounts.A.id}/protected-items/${encodeURIComponent(accounts.A.itemId)}/recovery-points/1`;
    const content = await adminOfA.client.call(
      'GET',
      `${point}/content?itemId=${encodeURIComponent(accounts.A.messageId)}`,
    );
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('message/rfc822');
    expect((await adminOfA.client.call('POST', `${point}/export`, { items: [accounts.A.messageId] })).status).toBe(200);
    const audit = await adminOfA.client.call<{ value: Array<{ action: string; principal: { id: string } }> }>(
      'GET',
      `/api/accounts/${accounts.A.id}/audit`,
    );
    expect(audit.status).toBe(200);
    expect(audit.body.value.filter((e) => e.principal.id === adminOfA.objectId).map((e) => e.action)).toEqual(
      expect.arrayContaining(['download', 'export']),
    );
    const escalate = await adminOfA.client.call<ErrorBody>(
      'PUT',
      `/api/accounts/${accounts.A.id}/grants/${readerOfA.objectId}`,
      { role: 'Administrator', principalType: 'servicePrincipal' },
    );
    expect(escalate.status).toBe(403);
    expect(escalate.body.error!.message).toContain('app role');
    const intoB = await adminOfA.client.call<ErrorBody>('POST', `/api/accounts/${accounts.A.id}/restores`, {
      protectedItemId: accounts.A.itemId,
      seq: 1,
      selection: { items: [accounts.A.messageId] },
      target: { type: 'account', accountId: accounts.B.id, user: 'someone@contoso.example' },
    });
    expect(intoB.status).toBe(403);
    expect(intoB.body.error!.message).toContain(accounts.B.id);
  });

  it('lists to each caller only the accounts it may see', async () => {
    const ids = async (c: ApiClient) =>
      (await c.call<{ value: Array<{ id: string }> }>('GET', '/api/accounts')).body.value.map((a) => a.id).sort();
    expect(await ids(readerOfA.client)).toEqual([accounts.A.id]);
    expect(await ids(groupMember.client)).toEqual([accounts.A.id]);
    expect(await ids((await app.apiClientFor('operator without grants')).client)).toEqual([]);
    expect(await ids(app.reader)).toEqual([accounts.A.id, accounts.B.id].sort());
  });

  it('keeps the app roles global: the auditor reads both accounts, the admin console administers both', async () => {
    for (const k of ['A', 'B'] as const) {
      expect((await app.reader.call('GET', `/api/accounts/${accounts[k].id}/protected-items`)).status).toBe(200);
      expect((await app.reader.call('GET', `/api/accounts/${accounts[k].id}/audit`)).status).toBe(403);
      expect((await app.admin.call('GET', `/api/accounts/${accounts[k].id}/audit`)).status).toBe(200);
    }
    expect(
      (
        await app.reader.call('PUT', `/api/accounts/${accounts.B.id}/grants/${readerOfA.objectId}`, {
          role: 'Reader',
          principalType: 'servicePrincipal',
        })
      ).status,
    ).toBe(403);
  });

  it('manages grants (audited): replace, withdraw, and the operator is refused from then on', async () => {
    const g = `/api/accounts/${accounts.A.id}/grants`;
    const before = (await app.admin.call<{ value: Array<{ principalId: string; role: string }> }>('GET', g)).body.value;
    expect(before).toEqual(
      expect.arrayContaining([expect.objectContaining({ principalId: readerOfA.objectId, role: 'Reader' })]),
    );
    const temp = await app.apiClientFor('temporary operator');
    expect(
      (await app.admin.call('PUT', `${g}/${temp.objectId}`, { role: 'Reader', principalType: 'servicePrincipal' }))
        .status,
    ).toBe(201);
    expect(
      (
        await app.admin.call('PUT', `${g}/${temp.objectId}`, {
          role: 'Administrator',
          principalType: 'servicePrincipal',
        })
      ).status,
    ).toBe(200);
    expect((await temp.client.call('GET', `/api/accounts/${accounts.A.id}/audit`)).status).toBe(200);
    expect((await app.admin.call('DELETE', `${g}/${temp.objectId}`)).status).toBe(204);
    expect((await app.admin.call('DELETE', `${g}/${temp.objectId}`)).status).toBe(404);
    expect((await temp.client.call('GET', `/api/accounts/${accounts.A.id}/protected-items`)).status).toBe(403);
    const bad = await app.admin.call<ErrorBody>('PUT', `${g}/not-a-guid`, {
      role: 'Owner',
      principalType: 'servicePrincipal',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error!.message).toContain('path.principalId');
    const audit = (
      await app.admin.call<{ value: Array<{ action: string; subject: Record<string, unknown> }> }>(
        'GET',
        `/api/accounts/${accounts.A.id}/audit`,
      )
    ).body.value;
    const changes = audit
      .filter((e) => e.subject.principalId === temp.objectId)
      .map((e) => [e.action, e.subject.role, e.subject.previousRole])
      .reverse();
    expect(changes).toEqual([
      ['grant.set', 'Reader', undefined],
      ['grant.set', 'Administrator', 'Reader'],
      ['grant.remove', 'Administrator', undefined],
    ]);
  });

  it('refuses a caller whose groups overflowed the token when only a group grant would admit it, saying why', async () => {
    const crowded = await app.apiClientFor('operator in many groups', {
      groups: [
        opsGroup,
        ...Array.from({ length: 210 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
      ],
    });
    const res = await crowded.client.call<ErrorBody>('GET', `/api/accounts/${accounts.A.id}/protected-items`);
    expect(res.status).toBe(403);
    expect(res.body.error!.message).toContain('group overage');
  });
});
