// Who restored, exported or downloaded what, when and from where: one Cosmos document per action, in the account's
// partition, written before the action starts so even a failed attempt leaves its trace.
import { randomUUID } from 'node:crypto';
import { Container, Database } from '@azure/cosmos';
import type { Principal } from '../api-auth/authorizer';

export interface AuditEntry {
  accountId: string;
  action: 'restore.start' | 'restore.cancel' | 'export' | 'export.link' | 'download' | 'backup.run';
  principal: Pick<Principal, 'id' | 'name' | 'tenantId'>;
  /** The caller's address as the front end saw it (x-forwarded-for first hop), if known. */
  clientIp?: string;
  /** What was acted on: protected item, recovery point, selection, target, operation id. */
  subject: Record<string, unknown>;
}

export class AuditLog {
  private readonly container: Container;

  constructor(database: Database) {
    this.container = database.container('audit');
  }

  async record(entry: AuditEntry, now: Date): Promise<string> {
    const id = randomUUID();
    await this.container.items.create({ id, type: 'audit', at: now.toISOString(), ...entry, principal: { id: entry.principal.id, name: entry.principal.name, tenantId: entry.principal.tenantId } });
    return id;
  }

  async list(accountId: string): Promise<Array<AuditEntry & { id: string; at: string }>> {
    const { resources } = await this.container.items
      .query<AuditEntry & { id: string; at: string }>({ query: 'SELECT c.id, c.at, c.accountId, c.action, c.principal, c.clientIp, c.subject FROM c WHERE c.accountId = @a ORDER BY c.at DESC', parameters: [{ name: '@a', value: accountId }] }, { partitionKey: accountId })
      .fetchAll();
    return resources;
  }
}

/** The first hop of x-forwarded-for (Azure Front Door / App Service put the client there), else undefined. */
export const clientIpOf = (forwardedFor: string | null): string | undefined => forwardedFor?.split(',')[0]?.trim() || undefined;
