import type { InventoryStore } from '../../shared/inventory/inventory-store';
import type { z } from 'zod';
import { jobInput, ProtectedItemDoc, protectedItemId } from '../../shared/inventory/schemas';

/** An account, one job with the given retention, and one discovered mailbox: what retention tests prune. */
export async function retentionBed(
  inventory: InventoryStore,
  retention: z.input<typeof jobInput>['retention'],
  now: Date,
): Promise<{ item: ProtectedItemDoc; jobId: string }> {
  const account = await inventory.createAccount(
    {
      displayName: 'Contoso',
      tenantId: 'contoso.example',
      clientId: '11111111-1111-4111-8111-111111111111',
      credential: { type: 'secret', secretName: 's' },
    },
    now,
  );
  const job = await inventory.createJob(
    jobInput.parse({ name: 'Retention', accountId: account.id, sources: { scope: 'account' }, retention }),
    now,
  );
  const item: ProtectedItemDoc = {
    id: protectedItemId(account.id, 'mailbox', 'u1'),
    accountId: account.id,
    type: 'protectedItem',
    kind: 'mailbox',
    userId: 'u1',
    displayName: 'Adele',
    address: 'adele@contoso.example',
    lastSeq: 0,
    firstSeenRunId: 'r1',
    lastSeenRunId: 'r1',
  };
  await inventory.recordDiscovered(item);
  return { item, jobId: job.id };
}
