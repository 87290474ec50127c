// How a group post leaves the catalog (download, export): as .eml written from its stored JSON and the files stored
// beside it at the same recovery point, so a mail client opens it with its attachments.
import type { Readable } from 'node:stream';
import type { VersionDoc } from '../catalog/version-doc';
import type { VersionStore } from '../catalog/version-store';
import { textOf } from '../domain/text';
import { postEml } from '../mime/post-eml';
import { readCapped } from '../storage/read-all';

/** A post's own JSON is bounded by Exchange's message size; its files are not in it. */
const POST_JSON_CAP = 64 * 1024 * 1024;

/** A post (not one of its files, which download as themselves). */
export const isGroupPost = (doc: VersionDoc): boolean => doc.kind === 'groupPost' && doc.props.attachment !== true;

export async function openPostEml(
  versions: VersionStore,
  seq: number,
  doc: VersionDoc,
  open: (doc: VersionDoc) => Promise<Readable>,
): Promise<Readable> {
  const { bytes, truncated } = await readCapped(await open(doc), POST_JSON_CAP);
  if (truncated) throw new Error(`post ${doc.itemId} is larger than ${POST_JSON_CAP} bytes`);
  const post = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  const listed = (Array.isArray(post.attachments) ? post.attachments : []) as Array<Record<string, unknown>>;
  const stored = await versions.versionsAt(
    doc.protectedItemId,
    seq,
    listed.map((a) => textOf([a.id])),
  );
  const byId = new Map(stored.filter((d) => d.containerId === doc.containerId && d.content).map((d) => [d.itemId, d]));
  const files = listed.flatMap((a) => {
    const file = byId.get(textOf([a.id]));
    return file
      ? [
          {
            name: textOf([a.name], 'attachment'),
            contentType: textOf([a.contentType]),
            isInline: a.isInline === true,
            ...(typeof a.contentId === 'string' && a.contentId ? { contentId: a.contentId } : {}),
            open: () => open(file),
          },
        ]
      : [];
  });
  return postEml(post, textOf([doc.props.topic]), files);
}
