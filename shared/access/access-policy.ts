// Who may do what on which account, decided from the verified token and the account's grants alone (pure).
//
// - App roles on the API (Backup.Reader, Backup.Administrator) hold for every account: the deployment's own
//   administrators. Only they may add accounts and manage grants.
// - A grant names an Entra object id (a user or service principal, matched against `oid`; a group, matched against
//   the `groups` claim) and a role on one account. Administrator implies Reader, on an account as globally.
// - A token whose groups did not fit (group overage: `_claim_names.groups` instead of `groups`) cannot be matched
//   against group grants; rather than guess, the caller is told so (grant the person directly, or have the app
//   registration emit only the groups assigned to the application).
import type { Principal, Role } from '../api-auth/authorizer';
import type { AccountRole, GrantDoc } from './grants';

export type Decision = { allowed: true; via: 'appRole' | 'grant' } | { allowed: false; message: string };

const ROLE_OF: Record<AccountRole, Role> = { Reader: 'Backup.Reader', Administrator: 'Backup.Administrator' };

/** Whether holding `held` satisfies `required` (Administrator implies Reader). */
const satisfies = (held: Role, required: Role): boolean => held === 'Backup.Administrator' || held === required;

export const hasAppRole = (p: Principal, required: Role): boolean => p.roles.some((r) => satisfies(r, required));

/** The grants that name this caller: its object id, or one of the groups its token lists. */
export function grantsOf(p: Principal, grants: readonly GrantDoc[]): GrantDoc[] {
  const groups = new Set(p.groups.map((g) => g.toLowerCase()));
  return grants.filter((g) =>
    g.principalType === 'group'
      ? groups.has(g.principalId.toLowerCase())
      : g.principalId.toLowerCase() === p.id.toLowerCase(),
  );
}

const describeRoles = (p: Principal, mine: readonly GrantDoc[]): string => {
  const held = [...p.roles.map((r) => `${r} (all accounts)`), ...mine.map((g) => `${g.role} on this account`)];
  return held.length ? held.join(', ') : 'no role';
};

/** May the caller act with `required` on the account whose grants are `grants`? */
export function accountDecision(
  p: Principal,
  required: Role,
  accountId: string,
  grants: readonly GrantDoc[],
): Decision {
  if (hasAppRole(p, required)) return { allowed: true, via: 'appRole' };
  const mine = grantsOf(p, grants);
  if (mine.some((g) => satisfies(ROLE_OF[g.role], required))) return { allowed: true, via: 'grant' };
  const need = `${required.replace('Backup.', '')} on account '${accountId}' (or the ${required} app role)`;
  if (p.groupsOverage && grants.some((g) => g.principalType === 'group')) {
    return {
      allowed: false,
      message: `This operation requires ${need}. ${p.name} is in too many groups for the token to list them (group overage), so group grants cannot be checked: grant the user directly, or configure the API's app registration to emit only groups assigned to the application.`,
    };
  }
  return { allowed: false, message: `This operation requires ${need}; ${p.name} has ${describeRoles(p, mine)}.` };
}

/** Operations on no single account (adding accounts, managing grants) need the app role itself. */
export function globalDecision(p: Principal, required: Role): Decision {
  if (hasAppRole(p, required)) return { allowed: true, via: 'appRole' };
  return {
    allowed: false,
    message: `This operation requires the ${required} app role, which holds for every account; ${p.name} has ${p.roles.length ? p.roles.join(', ') : 'no app role'}.`,
  };
}
