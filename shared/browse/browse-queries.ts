// Query-string inputs of the browse API, shared by its handlers and its OpenAPI description.
import { z } from 'zod';
import { graphId } from '../api/ids';

export const seqParam = z.coerce.number().int().min(1).max(1_000_000_000);
const pageQuery = {
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
  continuation: z.string().max(8000).optional(),
};
export const itemsQuery = z.object({ folderId: graphId, ...pageQuery });
export const searchQuery = z
  .object({
    q: z.string().trim().min(2).max(200),
    fromSeq: seqParam.optional(),
    toSeq: seqParam.optional(),
    ...pageQuery,
  })
  .refine((v) => v.fromSeq === undefined || v.toSeq === undefined || v.fromSeq <= v.toSeq, {
    message: 'fromSeq must not be after toSeq',
    path: ['fromSeq'],
  });
export const contentQuery = z.object({ itemId: graphId });
/** A SharePoint list downloaded as a table. */
export const listQuery = z.object({ format: z.enum(['csv', 'json']).default('csv') });

/** Recovery points taken in a time range (ISO 8601, inclusive), e.g. "the points of last week". */
export const pointsQuery = z
  .object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() })
  .refine((v) => !v.from || !v.to || Date.parse(v.from) <= Date.parse(v.to), {
    message: 'from must not be after to',
    path: ['from'],
  });
