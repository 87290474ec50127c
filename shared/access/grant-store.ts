// Per-account grants in Cosmos DB: one document per (account, principal) in the account's partition of the
// inventory container, so an account's grants are one single-partition query and setting a grant twice is one
// upsert of the same document.
import { Container, Database } from '@azure/cosmos';
import { withoutSystem } from '../inventory/inventory-store';
import { GrantDoc, grantDocId, GrantInput } from './grants';

export class GrantStore {
  private readonly container: Container;

  constructor(database: Database) {
    this.container = database.container('inventory');
  }

  async list(accountId: string): Promise<GrantDoc[]> {
    const { resources } = await this.container.items
      .query<GrantDoc>(
        {
          query: "SELECT * FROM c WHERE c.type = 'grant' AND c.accountId = @a",
          parameters: [{ name: '@a', value: accountId }],
        },
        { partitionKey: accountId },
      )
      .fetchAll();
    return resources.map(withoutSystem);
  }

  /** Accounts on which any of these object ids (a caller's own and its groups') holds a grant. */
  async accountsGranted(principalIds: readonly string[]): Promise<string[]> {
    const { resources } = await this.container.items
      .query<{ accountId: string }>({
        query: "SELECT c.accountId FROM c WHERE c.type = 'grant' AND ARRAY_CONTAINS(@ids, c.principalId)",
        parameters: [{ name: '@ids', value: principalIds.map((i) => i.toLowerCase()) }],
      })
      .fetchAll();
    return [...new Set(resources.map((r) => r.accountId))];
  }

  async get(accountId: string, principalId: string): Promise<GrantDoc | undefined> {
    const { resource } = await this.container.item(grantDocId(principalId), accountId).read<GrantDoc>();
    return resource ? withoutSystem(resource) : undefined;
  }

  /** Sets (creates or replaces) a principal's grant on an account. */
  async put(
    accountId: string,
    principalId: string,
    input: GrantInput,
    by: { id: string; name: string },
    now: Date,
  ): Promise<GrantDoc> {
    const grant: GrantDoc = {
      ...input,
      id: grantDocId(principalId),
      accountId,
      type: 'grant',
      principalId: principalId.toLowerCase(),
      grantedBy: by,
      grantedAt: now.toISOString(),
    };
    await this.container.items.upsert(grant);
    return grant;
  }

  /** Removes a principal's grant (already gone: nothing to do). */
  async remove(accountId: string, principalId: string): Promise<void> {
    try {
      await this.container.item(grantDocId(principalId), accountId).delete();
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
  }
}
