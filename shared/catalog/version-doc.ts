import { createHash } from 'node:crypto';
import type { Head } from '../domain/version-plan';
import type { MimeManifest } from '../mime/manifest';

export type ItemKind =
  | 'mailFolder'
  | 'message'
  | 'event'
  | 'contactFolder'
  | 'contact'
  | 'driveItem'
  | 'groupThread'
  /** A group mailbox's post, or (props.attachment) one of its file attachments. */
  | 'groupPost'
  | 'list'
  | 'sitePage'
  | 'listItem';

/** Where a version's content lives: a content blob, or a split MIME message (skeleton + deduplicated parts). */
export type ContentPointer = (
  { blob: { sha256: string; size: number; encoding: 'gzip' | 'identity' } } | { mime: MimeManifest }
) & {
  /** The repository holding the bytes; absent: 'default'. */
  repository?: string;
};

export interface VersionDoc {
  id: string;
  protectedItemId: string;
  containerId: string;
  itemId: string;
  kind: ItemKind;
  validFrom: number;
  validTo?: number;
  changeKey?: string;
  contentKey?: string;
  /** The properties a faithful restore and browsing need (subject, folder, flags, name, size, ...). */
  props: Record<string, unknown>;
  content?: ContentPointer;
  resyncMark?: number;
}

/**
 * Graph ids may hold characters Cosmos forbids in ids ('/', '#', '?'), so documents are keyed by a hash. The hash
 * covers the protected item and container too, so ids are unique account-wide, not only per partition.
 */
export const headId = (protectedItemId: string, containerId: string, itemId: string): string =>
  createHash('sha256').update(`${protectedItemId}\u0000${containerId}\u0000${itemId}`).digest('base64url').slice(0, 32);
export const closedId = (protectedItemId: string, containerId: string, itemId: string, validFrom: number): string =>
  `${headId(protectedItemId, containerId, itemId)}@${validFrom}`;

export function toHead(doc: VersionDoc): Head {
  return {
    itemId: doc.itemId,
    validFrom: doc.validFrom,
    hasContent: doc.content !== undefined,
    ...(doc.changeKey !== undefined ? { changeKey: doc.changeKey } : {}),
    ...(doc.contentKey !== undefined ? { contentKey: doc.contentKey } : {}),
    ...(doc.resyncMark !== undefined ? { resyncMark: doc.resyncMark } : {}),
  };
}
