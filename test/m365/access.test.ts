// Access and licensing errors a backup meets (graph-semantics.md §4, §5.3; acceptance check 11, mail and directory
// parts): each in Graph's envelope with request-id headers.
import { json, startTestEmulator, TestEmulator } from './support';

describe('access and licensing errors', () => {
  let t: TestEmulator;
  const person = (kind: string): string => [...t.em.tenant().directory.users.all()].find((u) => u.kind === kind)!.id;

  const expectError = async (res: Response, status: number, code: string): Promise<Record<string, any>> => {
    expect(res.status).toBe(status);
    const body = await json(res);
    expect(body.error).toMatchObject({
      code,
      message: expect.any(String),
      innerError: {
        date: expect.any(String),
        'request-id': res.headers.get('request-id'),
        'client-request-id': expect.any(String),
      },
    });
    expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    return body;
  };

  beforeAll(async () => {
    t = await startTestEmulator({
      seed: 'access',
      profile: {
        licensedUsers: 2,
        sharedMailboxes: 1,
        messages: { inbox: 3 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 0,
        largeEvery: 0,
        unlicensedUsers: 1,
        formerMailboxUsers: 1,
      },
    });
  });
  afterAll(() => t?.stop());

  it('answers 404 MailboxNotEnabledForRESTAPI for users without an Exchange licence, whether or not mail is set', async () => {
    for (const kind of ['unlicensed', 'former', 'guest']) {
      const body = await expectError(
        await t.graph('GET', `/users/${person(kind)}/mailFolders/inbox/messages/delta`),
        404,
        'MailboxNotEnabledForRESTAPI',
      );
      expect(body.error.message).toBe('The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
    }
    expect((await t.graph('GET', `/users/${person('shared')}/mailFolders/inbox/messages/delta`)).status).toBe(200);
    await expectError(await t.graph('GET', '/users/nobody@access.onmicrosoft.com/messages'), 404, 'ErrorInvalidUser');
  });

  it("answers 403 with the workload's own code when the token lacks the permission", async () => {
    const app = t.em.tenants[0].apps.find((a) => a.displayName === 'm365-vault read-only backup')!;
    expect(
      (
        await t.control('POST', `apps/${app.clientId}/roles`, {
          revoke: ['Mail.Read', 'User.Read.All', 'Calendars.Read', 'Contacts.Read', 'GroupMember.Read.All'],
        })
      ).status,
    ).toBe(200);
    const token = await t.token('m365-vault read-only backup', { fresh: true });
    const user = person('member');
    const body = await expectError(
      await t.graph('GET', `/users/${user}/messages`, { token }),
      403,
      'ErrorAccessDenied',
    );
    expect(body.error.message).toBe('Access is denied. Check credentials and try again.');
    await expectError(
      await t.graph(
        'GET',
        `/users/${user}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-12-31T00:00:00Z`,
        { token },
      ),
      403,
      'ErrorAccessDenied',
    );
    await expectError(await t.graph('GET', `/users/${user}/contacts`, { token }), 403, 'ErrorAccessDenied');
    const dir = await expectError(await t.graph('GET', '/users', { token }), 403, 'Authorization_RequestDenied');
    expect(dir.error.message).toBe('Insufficient privileges to complete the operation.');
    await expectError(await t.graph('GET', '/groups/delta', { token }), 403, 'Authorization_RequestDenied');
    // The permission check comes before the mailbox's own state: no licence leaks through a 404.
    await expectError(
      await t.graph('GET', `/users/${person('unlicensed')}/messages`, { token }),
      403,
      'ErrorAccessDenied',
    );
  });

  it('answers 403 ErrorAccessDenied for mailboxes an application access policy excludes, and only those', async () => {
    const app = t.em.tenants[0].apps.find((a) => a.displayName === 'm365-vault backup')!;
    const [a, b] = t.em.tenant().directory.correspondents();
    await t.control('PUT', 'access-policy', { appId: app.clientId, deniedUsers: [b.userPrincipalName] });
    await expectError(await t.graph('GET', `/users/${b.id}/mailFolders`), 403, 'ErrorAccessDenied');
    await expectError(await t.graph('GET', `/users/${b.userPrincipalName}/calendar`), 403, 'ErrorAccessDenied');
    expect((await t.graph('GET', `/users/${a.id}/mailFolders`)).status).toBe(200);
    expect((await t.graph('GET', `/users/${b.id}`)).status).toBe(200);
    await t.control('PUT', 'access-policy', { appId: app.clientId, deniedUsers: [] });
    expect((await t.graph('GET', `/users/${b.id}/mailFolders`)).status).toBe(200);
  });

  it('rejects /me with an app-only token, and bad, foreign or expired tokens with 401', async () => {
    const me = await expectError(await t.graph('GET', '/me/messages'), 400, 'BadRequest');
    expect(me.error.message).toMatch(/only valid with delegated authentication flow/);
    const token = await t.token();
    const [h, p] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), roles: ['Mail.ReadWrite'] })).toString('base64url')}.${token.split('.')[2]}`;
    for (const bad of ['', 'not-a-jwt', forged])
      await expectError(await t.graph('GET', '/users', { token: bad }), 401, 'InvalidAuthenticationToken');
    await t.control('POST', 'clock', { advanceSeconds: 2 * 3600 });
    await expectError(await t.graph('GET', '/users', { token }), 401, 'InvalidAuthenticationToken');
  });

  it('answers 400 for unknown segments and 405 for unsupported methods, and echoes client-request-id', async () => {
    const token = await t.token('m365-vault backup', { fresh: true });
    const res = await t.graph('GET', '/users/x/notAThing', {
      token,
      headers: { 'client-request-id': 'c0ffee00-0000-4000-8000-000000000001' },
    });
    const body = await expectError(res, 400, 'BadRequest');
    expect(body.error.innerError['client-request-id']).toBe('c0ffee00-0000-4000-8000-000000000001');
    expect(res.headers.get('client-request-id')).toBe('c0ffee00-0000-4000-8000-000000000001');
    await expectError(await t.graph('DELETE', '/users', { token }), 405, 'Request_BadRequest');
  });
});
