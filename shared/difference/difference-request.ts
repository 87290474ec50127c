// Inputs of the difference-report API, shared by its handlers and its OpenAPI description.
import { z } from 'zod';
import { productId } from '../api/ids';

export const differenceRequest = z
  .object({
    protectedItemId: productId,
    fromSeq: z.number().int().min(1),
    toSeq: z.number().int().min(1),
  })
  .refine((r) => r.fromSeq < r.toSeq, {
    message: 'fromSeq must be an earlier recovery point than toSeq',
    path: ['fromSeq'],
  });

export const differencePageQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  pageSize: z.coerce.number().int().min(1).max(1000).default(200),
});
