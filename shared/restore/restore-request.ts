// What an administrator asks to restore, validated. The rules follow the recovery options users know: restoring to
// the original location is impossible into another account; rename / skip / overwrite apply only there, not when
// restoring into another mailbox or drive (items then go into a new folder of their own).
import { z } from 'zod';
import { graphId, productId } from '../api/ids';

export const overwriteBehavior = z.enum(['rename', 'skip', 'overwrite']);
export type OverwriteBehavior = z.infer<typeof overwriteBehavior>;

/** What to restore or export from one recovery point. */
export const selection = z
  .object({
    /** Whole containers (mail folders with their subfolders, a drive folder with its subtree). */
    folders: z.array(graphId).max(1000).default([]),
    /** Single items (messages, events, contacts, files). */
    items: z.array(graphId).max(10_000).default([]),
  })
  .refine((s) => s.folders.length + s.items.length > 0, {
    message: 'select at least one folder or item',
    path: ['folders'],
  });

export const restoreRequest = z.object({
  protectedItemId: productId,
  /** The recovery point: its sequence number for that protected item. */
  seq: z.number().int().min(1),
  selection,
  /**
   * exactMime: the backed-up MIME imported as is (bytes identical; Graph makes MIME imports drafts). notDraft: the
   * message rebuilt from its properties, bodies and attachments with PR_MESSAGE_FLAGS set, so it is an ordinary
   * received message (not byte-identical: Exchange renders its own MIME).
   */
  mailFormat: z.enum(['exactMime', 'notDraft']).default('exactMime'),
  target: z.discriminatedUnion('type', [
    z.object({ type: z.literal('original'), overwriteBehavior: overwriteBehavior.default('rename') }),
    z.object({
      type: z.literal('mailbox'),
      user: z.string().min(1).max(320),
      overwriteBehavior: z
        .never({ error: 'overwrite behaviour is not available when restoring to another mailbox or drive' })
        .optional(),
    }),
    z.object({
      /** A SharePoint site's files and lists into another site of the account (its id or its URL). */
      type: z.literal('site'),
      site: z.string().min(1).max(2048),
      overwriteBehavior: z
        .never({ error: 'overwrite behaviour is not available when restoring to another site' })
        .optional(),
    }),
    z.object({
      type: z.literal('account'),
      accountId: productId,
      user: z.string().min(1).max(320),
      overwriteBehavior: z
        .never({ error: 'overwrite behaviour is not available when restoring to another account' })
        .optional(),
    }),
  ]),
});
export type RestoreRequest = z.infer<typeof restoreRequest>;
