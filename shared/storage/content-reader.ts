// Reads backed-up content back as the original bytes, whichever way it was stored (whole blob or split MIME).
import type { Readable } from 'node:stream';
import type { ContentPointer } from '../catalog/version-doc';
import { openMime } from '../mime/open';
import type { ContentStore } from './content-store';

export async function openContent(store: ContentStore, tenantId: string, pointer: ContentPointer): Promise<Readable> {
  return 'mime' in pointer ? openMime(tenantId, pointer.mime, store) : store.open(tenantId, pointer.blob);
}

/** Size of the original bytes. */
export const contentSize = (pointer: ContentPointer): number =>
  'mime' in pointer ? pointer.mime.size : pointer.blob.size;
