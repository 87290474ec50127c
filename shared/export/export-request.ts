// An export delivered as a blob: the selection of one recovery point (as a streamed export takes it) and how it is
// delivered. 'blob' (the only delivery so far): a zip written into Blob Storage by a job, fetched through a link
// valid one hour, minted anew each time the job is read.
import { z } from 'zod';
import { selection } from '../restore/restore-request';

export const blobExportRequest = z.intersection(selection, z.object({ delivery: z.literal('blob').default('blob') }));
export type BlobExportRequest = z.infer<typeof blobExportRequest>;

/** "Quarterly report: Q3/2026" → "Quarterly report_ Q3_2026.eml": safe in every file system and header. */
export const fileName = (name: string, ext: string): string =>
  `${
    name
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
      .replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_')
      .trim()
      .slice(0, 120) || 'item'
  }${ext}`;

/** `Content-Disposition: attachment` naming the file, ASCII fallback first (RFC 6266). */
export const attachment = (name: string): string =>
  `attachment; filename="${name.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;
