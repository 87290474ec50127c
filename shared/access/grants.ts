// Per-account grants: an MSP runs one deployment for many customers and lets an operator act on one customer's
// account only. App roles (Backup.Reader / Backup.Administrator) stay tenant-wide, for the MSP's own administrators;
// a grant gives a user, group or service principal (by Entra object id) Reader or Administrator on one account.
import { z } from 'zod';
import { entraObjectId } from '../api/ids';

export const accountRole = z.enum(['Reader', 'Administrator']);
export type AccountRole = z.infer<typeof accountRole>;

/** PUT /accounts/{a}/grants/{principalId}: the principal is named in the path, by its Entra object id. */
export const grantInput = z.object({
  role: accountRole,
  /** Groups are matched against the token's `groups` claim, users and service principals against its `oid`. */
  principalType: z.enum(['user', 'group', 'servicePrincipal']),
  /** For people reading the list; never used to decide anything. */
  displayName: z.string().trim().min(1).max(256).optional(),
});
export type GrantInput = z.infer<typeof grantInput>;

export const grantPrincipalParam = entraObjectId;

export interface GrantDoc extends GrantInput {
  /** `grant.<principalId>`: one grant per principal and account, so setting it again replaces it. */
  id: string;
  accountId: string;
  type: 'grant';
  principalId: string;
  grantedBy: { id: string; name: string };
  grantedAt: string;
}

export const grantDocId = (principalId: string): string => `grant.${principalId.toLowerCase()}`;
