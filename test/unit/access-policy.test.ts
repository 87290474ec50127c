// Who may do what on which account: app roles hold for every account, grants for one; groups through the token's
// groups claim; group overage refused with the way out; managing grants needs the app role itself.
import type { Principal } from '../../shared/api-auth/authorizer';
import { accountDecision, globalDecision } from '../../shared/access/access-policy';
import type { GrantDoc } from '../../shared/access/grants';

const who = (p: Partial<Principal>): Principal => ({
  id: 'op-1',
  name: 'operator@msp.example',
  tenantId: 't',
  roles: [],
  groups: [],
  groupsOverage: false,
  ...p,
});
const grant = (
  accountId: string,
  principalId: string,
  role: GrantDoc['role'],
  principalType: GrantDoc['principalType'] = 'user',
): GrantDoc => ({
  id: `grant.${principalId}`,
  type: 'grant',
  accountId,
  principalId,
  principalType,
  role,
  grantedBy: { id: 'admin', name: 'admin' },
  grantedAt: '2026-01-01T00:00:00Z',
});

const A = 'account-a';
const allowed = (d: ReturnType<typeof accountDecision>) => d.allowed;

describe('access policy', () => {
  it('app roles hold on every account; Administrator implies Reader', () => {
    expect(allowed(accountDecision(who({ roles: ['Backup.Reader'] }), 'Backup.Reader', A, []))).toBe(true);
    expect(allowed(accountDecision(who({ roles: ['Backup.Reader'] }), 'Backup.Administrator', A, []))).toBe(false);
    expect(allowed(accountDecision(who({ roles: ['Backup.Administrator'] }), 'Backup.Reader', A, []))).toBe(true);
    expect(allowed(accountDecision(who({ roles: ['Backup.Administrator'] }), 'Backup.Administrator', A, []))).toBe(
      true,
    );
  });

  it('a Reader grant reads its account only; an Administrator grant also administers it', () => {
    const grants = [grant(A, 'op-1', 'Reader')];
    expect(accountDecision(who({}), 'Backup.Reader', A, grants)).toEqual({ allowed: true, via: 'grant' });
    const denied = accountDecision(who({}), 'Backup.Administrator', A, grants);
    expect(denied).toMatchObject({ allowed: false, message: expect.stringContaining('has Reader on this account') });
    expect(allowed(accountDecision(who({}), 'Backup.Reader', 'account-b', []))).toBe(false);
    expect(allowed(accountDecision(who({}), 'Backup.Administrator', A, [grant(A, 'op-1', 'Administrator')]))).toBe(
      true,
    );
    expect(allowed(accountDecision(who({ id: 'OP-1' }), 'Backup.Reader', A, grants))).toBe(true);
  });

  it('matches group grants against the groups claim, and user grants against oid only', () => {
    expect(
      allowed(accountDecision(who({ groups: ['g-ops'] }), 'Backup.Reader', A, [grant(A, 'g-ops', 'Reader', 'group')])),
    ).toBe(true);
    expect(
      allowed(accountDecision(who({ id: 'g-ops' }), 'Backup.Reader', A, [grant(A, 'g-ops', 'Reader', 'group')])),
    ).toBe(false);
    expect(
      allowed(accountDecision(who({ groups: ['op-2'] }), 'Backup.Reader', A, [grant(A, 'op-2', 'Reader', 'user')])),
    ).toBe(false);
  });

  it('refuses a token with group overage when only a group grant could admit it, saying why', () => {
    const d = accountDecision(who({ groupsOverage: true }), 'Backup.Reader', A, [grant(A, 'g-ops', 'Reader', 'group')]);
    expect(d).toMatchObject({ allowed: false, message: expect.stringContaining('group overage') });
    expect(
      allowed(
        accountDecision(who({ groupsOverage: true }), 'Backup.Reader', A, [
          grant(A, 'g-ops', 'Reader', 'group'),
          grant(A, 'op-1', 'Reader'),
        ]),
      ),
    ).toBe(true);
  });

  it('operations on no single account, and managing grants, need the app role itself', () => {
    expect(allowed(globalDecision(who({ roles: ['Backup.Administrator'] }), 'Backup.Administrator'))).toBe(true);
    expect(globalDecision(who({ roles: ['Backup.Reader'] }), 'Backup.Administrator')).toMatchObject({
      allowed: false,
      message: expect.stringContaining('app role'),
    });
    expect(allowed(globalDecision(who({}), 'Backup.Reader'))).toBe(false);
  });
});
