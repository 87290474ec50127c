// Steps of a restore job, each the body of one activity. The plan (which messages, in which folders) is computed
// once and kept as a blob beside the job, so batches read their slice instead of re-querying the catalog.
import type { VersionDoc } from '../catalog/version-doc';
import { openContent } from '../storage/content-reader';
import type { Ports } from '../runtime/services';
import type { ItemResult, OperationDoc, OperationStatus } from '../operations/operation-store';
import { alarmFor } from '../backup/failures';
import { readAll } from '../storage/read-all';
import { contentInFolder, folderVersions } from '../browse/recovery-point-queries';
import { contentSize } from '../storage/content-reader';
import { planSelection, PlannedFolder } from './restore-plan';
import type { RestoreRequest } from './restore-request';
import type { Readable } from 'node:stream';
import { KIND_IDS, kindOf } from '../kinds';
import type { KindRestorer, PointView } from '../kinds/kind';
import type { ItemKind } from '../inventory/schemas';
import { textOf } from '../domain/text';
import type { Subject } from '../domain/alarms';
import { recoveryEvent } from '../telemetry/events';

export interface RestoreRef {
  accountId: string;
  operationId: string;
}

interface StoredPlan {
  kind: ItemKind;
  /** What the kind keeps of the backup's folders for its restorer (RestoreShape.details). */
  details: Record<string, string>;
  folders: PlannedFolder[];
  /** Versions to restore: item id, catalog container and source folder. */
  items: Array<{ itemId: string; containerId: string; folderId: string }>;
  /** Source folder id → target folder id, once created. */
  folderMap?: Record<string, string>;
  /** Plans written before `details`: the drive an in-place OneDrive restore targets. */
  sourceDriveId?: string;
}

export const BATCH_SIZE = 50;
/** A blob beside the job (under exports/, which the storage lifecycle rule deletes after the job records expire). */
const jobBlob = (ref: RestoreRef, name: string): string =>
  `exports/operations/${ref.accountId}/${ref.operationId}/${name}`;
const planBlob = (ref: RestoreRef): string => jobBlob(ref, 'plan.json');

async function operation(s: Ports<'operations'>, ref: RestoreRef): Promise<OperationDoc & { request: RestoreRequest }> {
  const op = await s.operations.find(ref.accountId, ref.operationId);
  if (!op) throw new Error(`restore ${ref.operationId} not found`);
  return op as OperationDoc & { request: RestoreRequest };
}

async function savePlan(s: Ports<'artifacts'>, ref: RestoreRef, plan: StoredPlan): Promise<void> {
  const body = JSON.stringify(plan);
  await s.artifacts
    .getBlockBlobClient(planBlob(ref))
    .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
}

async function loadPlan(s: Ports<'artifacts'>, ref: RestoreRef): Promise<StoredPlan> {
  return JSON.parse((await s.artifacts.getBlobClient(planBlob(ref)).downloadToBuffer()).toString('utf8')) as StoredPlan;
}

/**
 * Marks a batch as begun; false when an earlier attempt already began it (the activity is being retried). Only a
 * retried batch can find its own messages already in the target, so only it pays for the lookups that find them.
 */
async function beginBatch(s: Ports<'artifacts'>, ref: RestoreRef & { index: number }): Promise<boolean> {
  try {
    await s.artifacts
      .getBlockBlobClient(jobBlob(ref, `batch-${ref.index}.begun`))
      .upload('', 0, { conditions: { ifNoneMatch: '*' } });
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 409 || (e as { statusCode?: number }).statusCode === 412)
      return false;
    throw e;
  }
}

function pointView(s: Ports<'versions'>, protectedItemId: string, seq: number): PointView {
  return {
    container: async (containerId) =>
      (await s.versions.view(protectedItemId, seq, { containerId, pageSize: 1000 }).fetchAll()).resources,
    folders: () => folderVersions(s.versions, protectedItemId, seq),
    inFolder: (folderId) => contentInFolder(s.versions, protectedItemId, seq, folderId),
  };
}

/** The folders a restore can recreate, as the item's kind has them (a mailbox's mail folders, a drive's folders). */
export async function restoreFolderDocs(
  s: Ports<'versions'>,
  protectedItemId: string,
  seq: number,
  kind: ItemKind,
): Promise<VersionDoc[]> {
  return kindOf({ kind }).restore.folders(pointView(s, protectedItemId, seq));
}

/** Plans the restore: the folders to recreate and every message, in folder order. Returns the number of batches. */
export async function planRestore(
  s: Ports<'artifacts' | 'inventory' | 'operations' | 'versions'>,
  ref: RestoreRef,
): Promise<{ total: number; batches: number }> {
  const op = await operation(s, ref);
  const { protectedItemId, seq, selection } = op.request;
  const { kind } = await s.inventory.getProtectedItem(op.accountId, protectedItemId);
  const folderDocs = await restoreFolderDocs(s, protectedItemId, seq, kind);
  const shape = kindOf({ kind }).restore;
  const items = (await s.versions.versionsAt(protectedItemId, seq, selection.items)).filter((d) =>
    shape.restorable.has(d.kind),
  );
  const found = new Set(items.map((i) => i.itemId));
  const plan = planSelection(folderDocs, {
    folders: selection.folders,
    items,
    missingItems: selection.items.filter((i) => !found.has(i)),
  });
  const planned: StoredPlan['items'] = [];
  const view = pointView(s, protectedItemId, seq);
  for (const folderId of plan.wholeFolders) {
    for await (const d of shape.folderItems(view, folderId))
      planned.push({ itemId: d.itemId, containerId: d.containerId, folderId });
  }
  const chosen = new Set(plan.items);
  for (const m of items)
    if (chosen.has(m.itemId))
      planned.push({ itemId: m.itemId, containerId: m.containerId, folderId: shape.folderOf(m) });
  await savePlan(s, ref, { kind, details: shape.details(folderDocs), folders: plan.folders, items: planned });
  await s.operations.update({ ...op, counts: { ...op.counts, total: planned.length } });
  return { total: planned.length, batches: Math.ceil(planned.length / BATCH_SIZE) };
}

/** Version kinds some kind restores as items (messages, events, contacts, files). */
export const RESTORABLE = new Set<VersionDoc['kind']>(
  KIND_IDS.flatMap((k) => [...kindOf({ kind: k }).restore.restorable]),
);

/** A site by its Graph id, or by its URL as Graph addresses one (`/sites/{hostname}:/{server-relative path}`). */
function sitePath(site: string): string {
  const url = /^https:\/\/([^/]+)(\/[^?#]*)?/i.exec(site);
  if (!url) return `/sites/${encodeURIComponent(site)}`;
  const path = (url[2] ?? '').replace(/\/+$/, '');
  return path ? `/sites/${url[1]}:${path.split('/').map(encodeURIComponent).join('/')}` : `/sites/${url[1]}`;
}

/** The kind's restorer for the job's target: the target user (or site) is resolved here, the same for every kind. */
async function restorer(
  s: Ports<'contentStores' | 'graph' | 'inventory' | 'versions'>,
  op: OperationDoc & { request: RestoreRequest },
  deadline: number,
  plan: StoredPlan,
  firstAttempt = false,
): Promise<KindRestorer> {
  const { target, protectedItemId } = op.request;
  const item = await s.inventory.getProtectedItem(op.accountId, protectedItemId);
  const targetAccount = await s.inventory.getAccount(target.type === 'account' ? target.accountId : op.accountId);
  const graph = await s.graph(targetAccount);
  const original = target.type === 'original';
  const userId = original
    ? item.userId
    : target.type === 'site'
      ? (
          await graph.get<{ id: string }>(`${sitePath(target.site)}?$select=id`, {
            mailbox: 'sites',
            operation: 'sites.read',
            deadline,
          })
        ).id
      : (
          await graph.get<{ id: string }>(`/users/${encodeURIComponent(target.user)}?$select=id`, {
            mailbox: 'directory',
            operation: 'users.list',
            deadline,
          })
        ).id;
  return kindOf(plan).restore.restorer(
    {
      graph,
      userId,
      original,
      overwrite: original ? target.overwriteBehavior : 'rename',
      startedAt: new Date(op.createdAt),
      deadline,
      operationId: op.id,
      mailFormat: op.request.mailFormat ?? 'exactMime',
      firstAttempt,
    },
    {
      item,
      details: plan.details ?? (plan.sourceDriveId ? { driveId: plan.sourceDriveId } : {}),
      async folderContent(folderId) {
        const [doc] = await s.versions.versionsAt(protectedItemId, op.request.seq, [folderId]);
        if (!doc?.content) return undefined;
        const store = await s.contentStores.forPointer(op.accountId, doc.content);
        // Content is stored under the backed-up (source) account's tenant.
        const { tenantId } = await s.inventory.getAccount(op.accountId);
        return readAll(await openContent(store, tenantId, doc.content));
      },
    },
  );
}

/** Finds or creates every target folder; the map is kept in the plan for the batches. */
export async function restoreFolders(
  s: Ports<'artifacts' | 'contentStores' | 'graph' | 'inventory' | 'operations' | 'versions'>,
  ref: RestoreRef,
): Promise<{ failed?: string }> {
  const op = await operation(s, ref);
  const plan = await loadPlan(s, ref);
  if (plan.folders.length === 0) return {};
  try {
    const r = await restorer(s, op, Date.now() + 240_000, plan);
    const folderMap = await r.folders(plan.folders, plan.folderMap ?? {});
    await savePlan(s, ref, { ...plan, folderMap });
    return {};
  } catch (e) {
    return { failed: describe(e, plan.kind, await writeSubject(s, op)) };
  }
}

/** Whom a failed write names: the item itself in place (a locked site by its URL), else the target. */
async function writeSubject(s: Ports<'inventory'>, op: OperationDoc & { request: RestoreRequest }): Promise<Subject> {
  const item = await s.inventory.getProtectedItem(op.accountId, op.request.protectedItemId);
  return op.request.target.type === 'original' ? kindOf(item).subject(item) : { kind: item.kind, name: 'target' };
}

function describe(e: unknown, kind: ItemKind, subject: Subject): string {
  const alarm = alarmFor(e, kindOf({ kind }).restore.writeOperation, subject);
  return alarm ? `${alarm.message} ${alarm.fix}` : (e as Error).message.split('\n')[0];
}

/** Restores one batch; counts it once even when the activity is retried. Returns whether cancellation was asked. */
export async function restoreBatch(
  s: Ports<'artifacts' | 'contentStores' | 'graph' | 'inventory' | 'operations' | 'versions'>,
  ref: RestoreRef & { index: number },
): Promise<{ cancelled: boolean }> {
  const op = await operation(s, ref);
  if (op.cancelRequested) return { cancelled: true };
  const plan = await loadPlan(s, ref);
  const slice = plan.items.slice(ref.index * BATCH_SIZE, (ref.index + 1) * BATCH_SIZE);
  const { protectedItemId, seq } = op.request;
  const r = await restorer(s, op, Date.now() + 240_000, plan, await beginBatch(s, ref));
  const shape = kindOf(plan).restore;
  const tenantId = (await s.inventory.getAccount(op.accountId)).tenantId;
  const results: ItemResult[] = [];
  let subject: Subject | undefined;
  const docs = new Map(
    (
      await s.versions.versionsAt(
        protectedItemId,
        seq,
        slice.map((e) => e.itemId),
      )
    ).map((d) => [`${d.containerId}|${d.itemId}`, d]),
  );
  for (const entry of slice) {
    const doc = docs.get(`${entry.containerId}|${entry.itemId}`);
    const folderId = doc ? (shape.folderOf(doc) ? plan.folderMap?.[entry.folderId] : '') : undefined;
    if (!doc?.content || folderId === undefined) {
      results.push({
        itemId: entry.itemId,
        name: textOf([doc?.props.subject], entry.itemId),
        outcome: 'failed',
        reason: !doc?.content ? 'its content is not in the backup' : 'its folder could not be restored',
      });
      continue;
    }
    try {
      const store = await s.contentStores.forPointer(op.accountId, doc.content);
      const open = (): Promise<Readable> => openContent(store, tenantId, doc.content!);
      results.push(
        await r.item(doc, folderId, { size: contentSize(doc.content), open, bytes: async () => readAll(await open()) }),
      );
    } catch (e) {
      results.push({
        itemId: doc.itemId,
        name: textOf([doc.props.subject]),
        outcome: 'failed',
        reason: describe(e, plan.kind, (subject ??= await writeSubject(s, op))),
      });
    }
  }
  const latest = await operation(s, ref);
  if ((latest.batchesDone ?? 0) === ref.index) {
    const counts = { ...latest.counts };
    for (const x of results) {
      if (x.outcome === 'failed') counts.failed++;
      else if (x.outcome === 'skipped') counts.skipped++;
      else counts.restored++;
    }
    await s.operations.update({
      ...latest,
      counts,
      failures: [...latest.failures, ...results.filter((x) => x.outcome === 'failed')],
      batchesDone: ref.index + 1,
    });
  }
  return { cancelled: latest.cancelRequested === true };
}

export async function finishRestore(
  s: Ports<'now' | 'operations' | 'telemetry'>,
  ref: RestoreRef & { cancelled: boolean; failed?: string },
): Promise<OperationStatus> {
  const op = await operation(s, ref);
  const status: OperationStatus = ref.failed
    ? 'failed'
    : ref.cancelled
      ? 'cancelled'
      : op.counts.failed > 0
        ? 'completedWithWarnings'
        : 'completed';
  const message =
    ref.failed ??
    (ref.cancelled
      ? 'Cancelled on request; cancellation is best-effort: items restored before it took effect stay restored.'
      : undefined);
  s.telemetry.track(recoveryEvent(await s.operations.finish(op, status, s.now(), message)));
  return status;
}
