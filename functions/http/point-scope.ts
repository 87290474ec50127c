import type { HttpRequest } from '@azure/functions';
import type { Principal } from '../../shared/api-auth/authorizer';
import { seqParam } from '../../shared/browse/browse-queries';
import { usablePoint } from '../../shared/catalog/usable-point';
import { services } from '../../shared/runtime/services';
import { exportSource } from '../../shared/export/blob-export';
import type { ProtectedItemDoc } from '../../shared/inventory/schemas';
import { UnknownSelection } from '../../shared/restore/restore-plan';
import { clientIp, parse, unknownSelection } from './respond';

/**
 * The protected item of a route (read from the caller's account partition, so a path mixing two accounts is a 404,
 * never a leak) and, when asked, one of its usable recovery points.
 */
export async function pointScope(req: HttpRequest, withPoint: boolean) {
  const s = services();
  const item = await s.inventory.getProtectedItem(req.params.accountId, req.params.itemId);
  if (!withPoint) return { s, item, seq: 0 };
  const seq = parse(seqParam, req.params.seq, 'path.seq');
  usablePoint(await s.points.listPoints(item.accountId, item.id), seq, item.displayName);
  return { s, item, seq };
}

/** The zip entries of a selection; ids the recovery point does not hold are a 400 naming them. */
export async function selectedEntries(
  item: ProtectedItemDoc,
  seq: number,
  selection: { folders: readonly string[]; items: readonly string[] },
) {
  try {
    return await exportSource(services(), item, seq, selection);
  } catch (e) {
    if (e instanceof UnknownSelection) throw unknownSelection(e, selection, 'body');
    throw e;
  }
}

/** A download of a point's content (a file, a message, a list): audited with what was read, and by whom. */
export async function auditDownload(
  req: HttpRequest,
  principal: Principal,
  point: { item: ProtectedItemDoc; seq: number },
  what: { itemId: string; kind: string } & Record<string, unknown>,
): Promise<void> {
  const s = services();
  await s.audit.record(
    {
      accountId: point.item.accountId,
      action: 'download',
      principal,
      ...clientIp(req),
      subject: { protectedItemId: point.item.id, seq: point.seq, ...what },
    },
    s.now(),
  );
}
