// An export written into Blob Storage by a job, for selections too large to stream through one HTTP response (a
// response must start within the front end's 230 s and lives as long as one connection). Each step is one activity:
// it writes whole entries of the zip into staged blocks for a time box, and the last commits the blob beside the job
// (under exports/, expired by the storage lifecycle rule). The client fetches it from Blob Storage with a read link.
import type { VersionDoc } from '../catalog/version-doc';
import type { ProtectedItemDoc } from '../inventory/schemas';
import type { OperationDoc } from '../operations/operation-store';
import type { Services } from '../runtime/services';
import { openContent } from '../storage/content-reader';
import { isGroupPost, openPostEml } from './post-content';
import { BlockSink, ZIP_START, ZipCursor, zipStep } from './blob-zip';
import { exportEntries, planExport } from './export-selection';
import { attachment, BlobExportRequest, fileName } from './export-request';
import type { ZipEntry } from './zip-stream';
import { recoveryEvent } from '../telemetry/events';

export type ExportServices = Pick<
  Services,
  'versions' | 'inventory' | 'contentStores' | 'operations' | 'artifacts' | 'now'
>;

export interface ExportRef {
  accountId: string;
  operationId: string;
}
export interface ExportCursor extends ExportRef {
  zip: ZipCursor;
  done: boolean;
}
/** What an export job records as its request. */
export type StoredExportRequest = BlobExportRequest & { protectedItemId: string; seq: number };

export const firstExportCursor = (ref: ExportRef): ExportCursor => ({ ...ref, zip: ZIP_START, done: false });
export const exportBlobName = (ref: ExportRef): string =>
  `exports/operations/${ref.accountId}/${ref.operationId}/export.zip`;
export const exportFileName = (item: Pick<ProtectedItemDoc, 'displayName'>, seq: number): string =>
  fileName(`${item.displayName} ${seq}`, '.zip');

/**
 * The zip entries of a selection of one recovery point, each opened from the repository holding it only when the
 * zip writer reaches it. Throws UnknownSelection naming ids the point does not hold.
 */
export async function exportSource(
  s: Pick<Services, 'versions' | 'inventory' | 'contentStores'>,
  item: ProtectedItemDoc,
  seq: number,
  selection: { folders: readonly string[]; items: readonly string[] },
): Promise<AsyncGenerator<ZipEntry>> {
  const [account, planned] = await Promise.all([
    s.inventory.getAccount(item.accountId),
    planExport(s.versions, item.id, seq, selection),
  ]);
  const stored = async (doc: VersionDoc) =>
    openContent(await s.contentStores.forPointer(item.accountId, doc.content!), account.tenantId, doc.content!);
  const open = (doc: VersionDoc) => (isGroupPost(doc) ? openPostEml(s.versions, seq, doc, stored) : stored(doc));
  return exportEntries({ versions: s.versions, protectedItemId: item.id, seq, open }, planned.plan, planned.singles);
}

async function exportJob(s: ExportServices, ref: ExportRef): Promise<OperationDoc & { request: StoredExportRequest }> {
  const op = await s.operations.find(ref.accountId, ref.operationId);
  if (!op || op.kind !== 'export') throw new Error(`export ${ref.operationId} not found`);
  return op as OperationDoc & { request: StoredExportRequest };
}

/** One step: the next entries until `more()` says the time box is over; the last step commits the blob. */
export async function exportStep(s: ExportServices, cursor: ExportCursor, more: () => boolean): Promise<ExportCursor> {
  const op = await exportJob(s, cursor);
  if (op.status !== 'running') return { ...cursor, done: true };
  const { protectedItemId, seq } = op.request;
  const item = await s.inventory.getProtectedItem(cursor.accountId, protectedItemId);
  const blob = s.artifacts.getBlockBlobClient(exportBlobName(cursor));
  const sink: BlockSink = {
    stage: async (id, body) => void (await blob.stageBlock(id, body, body.length)),
    commit: async (ids) =>
      void (await blob.commitBlockList(ids, {
        blobHTTPHeaders: {
          blobContentType: 'application/zip',
          blobContentDisposition: attachment(exportFileName(item, seq)),
        },
      })),
  };
  const { cursor: zip, done } = await zipStep(await exportSource(s, item, seq, op.request), cursor.zip, sink, more);
  await s.operations.update({ ...op, summary: { entries: zip.entries, bytes: zip.offset } });
  return { ...cursor, zip, done };
}

/** Records the end: completed with the zip's size, or failed saying why. */
export async function endExport(
  s: ExportServices & Pick<Services, 'telemetry'>,
  cursor: ExportCursor & { failed?: string },
): Promise<void> {
  const op = await exportJob(s, cursor);
  if (op.status !== 'running') return;
  if (cursor.failed || !cursor.done) {
    s.telemetry.track(
      recoveryEvent(
        await s.operations.finish(
          op,
          'failed',
          s.now(),
          cursor.failed ?? 'The export stopped before it was complete. Start it again.',
        ),
      ),
    );
    return;
  }
  const { contentLength } = await s.artifacts.getBlobClient(exportBlobName(cursor)).getProperties();
  const done = await s.operations.finish(
    { ...op, summary: { entries: cursor.zip.entries, bytes: contentLength ?? 0 } },
    'completed',
    s.now(),
  );
  s.telemetry.track(recoveryEvent(done));
}
