import { classifyAuthFailure } from '../../../shared/domain/alarms';
import { signIn } from '../../../shared/preflight/sign-in';

describe('sign-in failures, by AADSTS number', () => {
  it.each([
    ['AADSTS90002', 'auth.unknownTenant', /tenant id/],
    ['AADSTS700016', 'auth.unknownApplication', /wait a few minutes and try again.*deleted/],
    ['AADSTS7000215', 'auth.badSecret', /Value \(not its Secret ID\)/],
    ['AADSTS7000222', 'auth.secretExpired', /new client secret/],
    ['AADSTS700027', 'auth.badCertificate', /Certificates & secrets/],
    ['AADSTS700024', 'auth.clockSkew', /Synchronise the clock/],
    ['AADSTS53003', 'auth.blockedByPolicy', /Service principal sign-ins/],
    ['AADSTS7000112', 'auth.applicationDisabled', /Enabled for users to sign in/],
    ['AADSTS700025', 'auth.wrongApplicationType', /public client flows/],
  ])('%s is %s with its fix', (description, code, fix) => {
    const a = classifyAuthFailure(`${description}: whatever Entra ID says`);
    expect(a.code).toBe(code);
    expect(a.fix).toMatch(fix);
    expect(a.severity).toBe('error');
  });
  it('keeps an unknown number in the message', () => {
    expect(classifyAuthFailure('AADSTS123456: new')).toMatchObject({ code: 'auth.failed' });
    expect(classifyAuthFailure('AADSTS123456: new').message).toContain('AADSTS123456');
  });
});

describe('sign-in that cannot reach Entra ID', () => {
  it('is a failed step naming the authority host, not an exception', async () => {
    const r = await signIn(
      {
        authorityHost: 'https://login.example.invalid',
        tenantId: '3f2b1c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d',
        clientId: '9a8b7c6d-5e4f-4321-8abc-def012345678',
        credential: { clientSecret: 'Abc8Q~secret-value-not-to-be-shown-000000' },
        transport: () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })),
      },
      () => new Date(),
    );
    expect(r.roles).toBeUndefined();
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ id: 'auth.signIn', status: 'failed', code: 'auth.unreachable' });
    expect(r.steps[0].fix).toContain('https://login.example.invalid');
    expect(JSON.stringify(r)).not.toContain('not-to-be-shown');
  });
});
