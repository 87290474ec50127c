// Who restored, exported or downloaded what, when and from where, who changed who may act on the account, and who
// was refused: one Cosmos document per action, in the account's partition, written before the action starts so
// even a failed attempt leaves its trace.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { Container, Database } from '@azure/cosmos';
import type { Principal } from '../api-auth/authorizer';

export interface AuditEntry {
  accountId: string;
  action:
    | 'restore.start'
    | 'restore.cancel'
    | 'export'
    | 'export.link'
    | 'download'
    | 'backup.run'
    | 'backup.stop'
    | 'account.create'
    | 'account.update'
    | 'account.delete'
    | 'job.update'
    | 'job.delete'
    | 'retention.start'
    | 'hold.set'
    | 'hold.release'
    | 'grant.set'
    | 'grant.remove'
    | 'preflight.run'
    | 'access.denied';
  principal: Pick<Principal, 'id' | 'name' | 'tenantId'>;
  /** The caller's address as the platform's front end saw it (see clientIpOf), if known. */
  clientIp?: string;
  /** What was acted on: protected item, recovery point, selection, target, operation id, grant, refused operation. */
  subject: Record<string, unknown>;
}

export class AuditLog {
  private readonly container: Container;

  constructor(database: Database) {
    this.container = database.container('audit');
  }

  async record(entry: AuditEntry, now: Date): Promise<string> {
    const id = randomUUID();
    await this.container.items.create({
      id,
      type: 'audit',
      at: now.toISOString(),
      ...entry,
      principal: { id: entry.principal.id, name: entry.principal.name, tenantId: entry.principal.tenantId },
    });
    return id;
  }

  async list(accountId: string): Promise<Array<AuditEntry & { id: string; at: string }>> {
    const { resources } = await this.container.items
      .query<AuditEntry & { id: string; at: string }>(
        {
          query:
            'SELECT c.id, c.at, c.accountId, c.action, c.principal, c.clientIp, c.subject FROM c WHERE c.accountId = @a ORDER BY c.at DESC',
          parameters: [{ name: '@a', value: accountId }],
        },
        { partitionKey: accountId },
      )
      .fetchAll();
    return resources;
  }
}

/**
 * The caller's address as the platform vouches for it. Every proxy appends the address it received the request from
 * to X-Forwarded-For, so only the last entries were written by infrastructure: the first is whatever the caller sent.
 * `trustedHops` is the number of proxies of the deployment's own in front of the app's front end (0: clients reach
 * the Function App directly, whose front end appends them; 1: Front Door or API Management before it, ...).
 * Azure's front end writes `ip:port`; the port is dropped. Anything not an IP address is not recorded.
 */
export function clientIpOf(forwardedFor: string | null | undefined, trustedHops = 0): string | undefined {
  const hops = (forwardedFor ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const hop = hops[hops.length - 1 - trustedHops];
  if (!hop) return undefined;
  const address = /^\[([^\]]+)\](?::\d+)?$/.exec(hop)?.[1] ?? (isIP(hop) ? hop : hop.replace(/:\d+$/, ''));
  return isIP(address) ? address : undefined;
}
