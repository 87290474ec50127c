// Enforces the access policy on a request: loads the account's grants, decides, and writes every refusal on an
// account into that account's audit trail (who tried what, from where). A refusal says the same whether or not the
// account exists, so the API does not tell outsiders which accounts there are.
import type { Principal, Role } from '../api-auth/authorizer';
import { Unauthorized } from '../api-auth/authorizer';
import type { AuditLog } from '../audit/audit-log';
import { InventoryStore, NotFound } from '../inventory/inventory-store';
import { accountDecision, Decision, globalDecision, hasAppRole } from './access-policy';
import type { GrantStore } from './grant-store';

export interface AccessRequest {
  /** The account the operation acts on; absent: an operation on no single account. */
  accountId?: string;
  /** 'global': the app role itself is required even on an account (managing grants). */
  scope?: 'account' | 'global';
  /** For the audit trail: the function, the HTTP method and the caller's address. */
  operation: string;
  method?: string;
  clientIp?: string;
}

export class AccountAccess {
  constructor(private readonly deps: { grants: GrantStore; audit: AuditLog; inventory: InventoryStore; now(): Date }) {}

  /** Throws a 403 naming what is missing unless the caller holds `required` for the request. */
  async require(principal: Principal, required: Role, req: AccessRequest): Promise<void> {
    const decision: Decision =
      req.accountId && req.scope !== 'global'
        ? hasAppRole(principal, required)
          ? { allowed: true, via: 'appRole' }
          : accountDecision(principal, required, req.accountId, await this.deps.grants.list(req.accountId))
        : globalDecision(principal, required);
    if (decision.allowed) return;
    if (req.accountId) await this.recordDenial(principal, required, req.accountId, req);
    throw new Unauthorized(403, decision.message);
  }

  /** The accounts a caller may see: every one with an app role, else those it (or a group of its) holds a grant on. */
  async visibleAccounts(principal: Principal): Promise<'all' | string[]> {
    if (hasAppRole(principal, 'Backup.Reader')) return 'all';
    return this.deps.grants.accountsGranted([principal.id, ...principal.groups]);
  }

  private async recordDenial(
    principal: Principal,
    required: Role,
    accountId: string,
    req: AccessRequest,
  ): Promise<void> {
    // Only real accounts get a trail: a refused caller must not be able to create audit partitions at will.
    try {
      await this.deps.inventory.getAccount(accountId);
    } catch (e) {
      if (e instanceof NotFound) return;
      throw e;
    }
    await this.deps.audit.record(
      {
        accountId,
        action: 'access.denied',
        principal,
        ...(req.clientIp ? { clientIp: req.clientIp } : {}),
        subject: { operation: req.operation, ...(req.method ? { method: req.method } : {}), requiredRole: required },
      },
      this.deps.now(),
    );
  }
}
