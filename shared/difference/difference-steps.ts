// The difference-report job's one step: gather the versions that changed between the two points, compute the
// report, keep it as a blob beside the job (read back page by page), and end the job.
import type { VersionDoc } from '../catalog/version-doc';
import type { Services } from '../runtime/services';
import { differences, DifferenceEntry } from './difference';

export interface DifferenceRef { accountId: string; operationId: string }
export interface DifferenceRequest { protectedItemId: string; fromSeq: number; toSeq: number }

export const reportBlob = (ref: DifferenceRef): string => `exports/operations/${ref.accountId}/${ref.operationId}/differences.json`;

export async function computeDifferences(s: Services, ref: DifferenceRef): Promise<void> {
  const op = await s.operations.find(ref.accountId, ref.operationId);
  if (!op) throw new Error(`difference report ${ref.operationId} not found`);
  const req = op.request as unknown as DifferenceRequest;
  try {
    const versions: VersionDoc[] = [];
    for await (const d of s.versions.changedBetween(req.protectedItemId, req.fromSeq, req.toSeq)) versions.push(d);
    const entries = differences(versions, req.fromSeq, req.toSeq);
    const body = JSON.stringify(entries);
    await s.artifacts.getBlockBlobClient(reportBlob(ref)).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
    const summary = { added: 0, removed: 0, changed: 0 };
    for (const e of entries) summary[e.change]++;
    await s.operations.finish({ ...op, summary, counts: { ...op.counts, total: entries.length } }, 'completed', s.now());
  } catch (e) {
    await s.operations.finish(op, 'failed', s.now(), `The difference report failed: ${(e as Error).message.split('\n')[0]}. Retry it, or narrow it to fewer recovery points.`);
  }
}

export async function reportPage(s: Services, ref: DifferenceRef, offset: number, size: number): Promise<{ value: DifferenceEntry[]; total: number }> {
  const all = JSON.parse((await s.artifacts.getBlobClient(reportBlob(ref)).downloadToBuffer()).toString('utf8')) as DifferenceEntry[];
  return { value: all.slice(offset, offset + size), total: all.length };
}
