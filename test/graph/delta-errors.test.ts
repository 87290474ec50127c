// Delta paging and Graph errors against the emulator: page size, next/delta links followed verbatim, incremental
// rounds, expired tokens as GraphResyncRequiredError (mail without, drive with a Location), request decoration,
// restore writes, and errors that carry request ids and feed the alarms — never a token or a secret.
import { createHash } from 'node:crypto';
import { ResyncRequired } from '../../shared/backup/ports';
import { alarmFor } from '../../shared/backup/failures';
import { GraphRequestError, GraphResyncRequiredError } from '../../shared/graph/graph-errors';
import type { Page } from '../../shared/graph/delta-page';
import { readBody } from '../../shared/graph/https-transport';
import { GraphTestBed, later, startGraphTestBed } from './support';

let bed: GraphTestBed;
let user: string;
let formerMailbox: string;

beforeAll(async () => {
  bed = await startGraphTestBed({
    seed: 'graph-client-delta',
    profile: {
      licensedUsers: 2,
      sharedMailboxes: 0,
      formerMailboxUsers: 1,
      messages: { inbox: 23 },
      filesPerDrive: 6,
      fileBytes: { min: 100, max: 2000 },
      attachmentEvery: 0,
      largeEvery: 0,
    },
  });
  const users = await bed.users();
  user = users.find((u) => u.licensed)!.id;
  formerMailbox = users.find((u) => !u.licensed && !u.mailEnabled && u.userPrincipalName)!.id;
});
afterAll(() => bed.stop());

function read(mailbox = user) {
  return { mailbox, operation: 'mail.read' as const, deadline: later() };
}
const tokenOf = (h: Record<string, string>): string => h.authorization.replace(/^Bearer /, '');

describe('delta pages', () => {
  it('pages a mail folder at the asked size, following the links verbatim, to a delta link', async () => {
    const client = bed.client();
    const seen: string[] = [];
    let url: string | undefined = `/users/${user}/mailFolders/inbox/messages/delta?$select=id,subject`;
    let pages = 0;
    let deltaLink: string | undefined;
    while (url) {
      const since = bed.sent.length;
      const page: Page<{ id: string; subject?: string }> = await client.getPage(url, { ...read(), maxPageSize: 5 });
      const sent = bed.sent.slice(since).find((s) => s.url.includes('/messages/delta'))!;
      if (/^https:/.test(url)) expect(sent.url).toBe(url);
      // A mail read: the page size and immutable ids, in one Prefer header (shared/graph/outlook-ids.ts).
      expect(sent.headers.prefer).toBe('odata.maxpagesize=5, IdType="ImmutableId"');
      expect(page.value.length).toBeLessThanOrEqual(5);
      seen.push(...page.value.map((m) => m.id));
      pages++;
      url = page.nextLink;
      deltaLink = page.deltaLink ?? deltaLink;
    }
    expect(new Set(seen).size).toBe(23);
    expect(pages).toBeGreaterThanOrEqual(5);
    expect(deltaLink).toMatch(/^https:\/\/.*\$deltatoken=/);

    await bed.t.control('POST', `mail/${user}/messages`, { folder: 'inbox', subject: 'arrived after the round' });
    const next = await client.page(deltaLink!, read());
    expect(next.value.map((m) => m.subject)).toEqual(['arrived after the round']);
    expect(next.deltaLink).toBeDefined();

    await bed.t.control('POST', 'expire-tokens', { userId: user });
    const gone = await client.page(next.deltaLink!, read()).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(GraphResyncRequiredError);
    expect(gone).toBeInstanceOf(ResyncRequired);
    expect(gone).toMatchObject({ code: 'SyncStateNotFound', location: undefined, requestId: expect.any(String) });
  });

  it('maps an expired drive delta token to a resync with the Location to restart from', async () => {
    const client = bed.client();
    const drive = (await client.get<{ id: string }>(`/users/${user}/drive`, read())).id;
    const files = { mailbox: drive, operation: 'files.read' as const, deadline: later() };
    let page = await client.getPage(`/drives/${drive}/root/delta`, files);
    while (page.nextLink) page = await client.getPage(page.nextLink, files);
    await bed.t.control('POST', 'expire-tokens', { userId: user });
    const gone = await client.getPage(page.deltaLink!, files).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(GraphResyncRequiredError);
    expect(gone).toMatchObject({
      innerCode: 'resyncChangesApplyDifferences',
      location: `${bed.t.em.graphBaseUrl}/drives/${drive}/root/delta`,
    });
  });
});

describe('requests', () => {
  it('decorate every request: User-Agent, a fresh client-request-id, the bearer token', async () => {
    const client = bed.client();
    const since = bed.sent.length;
    await Promise.all([1, 2, 3].map(() => client.get(`/users/${user}/mailFolders`, read())));
    const graph = bed.sent.slice(since).filter((s) => s.url.includes('/v1.0/'));
    expect(graph).toHaveLength(3);
    expect(graph.every((s) => s.headers['user-agent'] === 'ISV|m365-vault|m365-vault/0.0.0-test')).toBe(true);
    expect(new Set(graph.map((s) => s.headers['client-request-id'])).size).toBe(3);
    expect(graph.every((s) => /^Bearer ey/.test(s.headers.authorization))).toBe(true);
  });

  it('restore a message from its MIME (base64, text/plain), byte-identical', async () => {
    const client = bed.client();
    const [original] = (
      await client.getPage<{ id: string }>(`/users/${user}/mailFolders/inbox/messages?$top=1&$select=id`, read())
    ).value;
    const mime = await readBody((await client.download(`/users/${user}/messages/${original.id}/$value`, read())).body);
    const created = await client.send<{ id: string; parentFolderId: string }>(
      'POST',
      `/users/${user}/mailFolders/archive/messages`,
      mime.toString('base64'),
      { ...read(), operation: 'mail.write', headers: { 'content-type': 'text/plain' } },
    );
    expect(created.id).not.toBe(original.id);
    const restored = await bed.t.fetch(
      `${bed.t.em.url}/_emulator/mail/${user}/messages/${encodeURIComponent(created.id)}/mime`,
    );
    expect(restored.headers.get('x-sha256')).toBe(createHash('sha256').update(mime).digest('hex'));
  });
});

describe('errors', () => {
  it('carry status, codes and request ids, feed the alarms, and hold neither token nor secret', async () => {
    const { clientId, clientSecret } = bed.app();
    const client = bed.client();
    await bed.t.control('PUT', 'access-policy', { appId: clientId, deniedUsers: [user] });
    try {
      const since = bed.sent.length;
      const e = (await client.get(`/users/${user}/mailFolders`, read()).catch((x: unknown) => x)) as GraphRequestError;
      const token = tokenOf(bed.sent.slice(since).find((s) => s.url.includes('/mailFolders'))!.headers);
      expect(e).toBeInstanceOf(GraphRequestError);
      expect(e).toMatchObject({
        status: 403,
        code: 'ErrorAccessDenied',
        operation: 'mail.read',
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        clientRequestId: expect.any(String),
      });
      for (const text of [JSON.stringify(e), e.message, e.stack ?? '', JSON.stringify(bed.logs)]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(clientSecret);
      }
      // The app holds Mail.Read, so the alarm blames the access policy rather than a missing permission.
      const alarm = alarmFor(e, 'mail.read', { kind: 'mailbox', name: user }, await client.grantedRoles());
      expect(alarm).toMatchObject({ code: 'graph.accessDenied', requestId: e.requestId });
    } finally {
      await bed.t.control('PUT', 'access-policy', { appId: clientId, deniedUsers: [] });
    }
  });

  it('name the missing permission when the token lacks it', async () => {
    const readOnly = bed.app('m365-vault read-only backup');
    await bed.t.control('POST', `apps/${readOnly.clientId}/roles`, { revoke: ['Mail.Read'] });
    try {
      const client = bed.client({
        tokens: bed.tokens({ clientSecret: readOnly.clientSecret }, { clientId: readOnly.clientId }),
      });
      const e = await client.get(`/users/${user}/mailFolders`, read()).catch((x: unknown) => x);
      expect(e).toMatchObject({ status: 403, code: 'ErrorAccessDenied' });
      expect(alarmFor(e, 'mail.read', { kind: 'mailbox', name: user }, await client.grantedRoles())).toMatchObject({
        code: 'graph.permissionMissing',
        permission: 'Mail.Read',
      });
    } finally {
      await bed.t.control('POST', `apps/${readOnly.clientId}/roles`, { grant: ['Mail.Read'] });
    }
  });

  it('say when a mailbox is not licensed', async () => {
    const e = await bed
      .client()
      .get(`/users/${formerMailbox}/mailFolders`, read(formerMailbox))
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ status: 404, code: 'MailboxNotEnabledForRESTAPI' });
    expect(alarmFor(e, 'mail.read', { kind: 'mailbox', name: formerMailbox })).toMatchObject({
      code: 'mailbox.notLicensed',
    });
  });
});
