// The record of a split message, stored in the catalog's version documents: small, plain JSON, and validated when
// read back because it decides which bytes a restore produces.
import { z } from 'zod';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const contentRefSchema = z.object({
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
  encoding: z.enum(['gzip', 'identity']),
});

export const mimeManifestSchema = z
  .object({
    /** sha256 of the whole original message. */
    sha256: sha256Hex,
    size: z.number().int().nonnegative(),
    /** The message with the extracted bodies cut out. */
    skeleton: contentRefSchema,
    /** Extracted bodies in message order; `offset` is where in the skeleton each one goes back. */
    parts: z.array(z.object({ offset: z.number().int().nonnegative(), ref: contentRefSchema })),
  })
  .superRefine((m, ctx) => {
    let previous = 0;
    let total = m.skeleton.size;
    for (const [i, p] of m.parts.entries()) {
      if (p.offset < previous || p.offset > m.skeleton.size)
        ctx.addIssue({
          code: 'custom',
          path: ['parts', i, 'offset'],
          message: 'offsets must be ascending and within the skeleton',
        });
      previous = p.offset;
      total += p.ref.size;
    }
    if (total !== m.size)
      ctx.addIssue({ code: 'custom', path: ['size'], message: 'size must equal the skeleton plus its parts' });
  });

export type MimeManifest = z.infer<typeof mimeManifestSchema>;
