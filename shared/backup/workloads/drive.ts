import { ContainerWorkload, GraphItem, pick, seg } from './workload';
import { textOf } from '../../domain/text';

/** A whole drive (OneDrive or library) through one root delta; items are tracked by id, never by path. */
export function driveItems(driveId: string, opts: { versionHistory?: boolean } = {}): ContainerWorkload {
  return {
    kind: 'driveItem',
    operation: 'files.read',
    initialUrl: `/drives/${seg(driveId)}/root/delta`,
    toChange: (item) => {
      if (item.deleted !== undefined) return { kind: 'delete', itemId: item.id };
      const eTag = typeof item.eTag === 'string' ? { changeKey: item.eTag } : {};
      const file = item.file as { hashes?: { quickXorHash?: string; sha256Hash?: string } } | undefined;
      if (!file) return { kind: 'upsert', itemId: item.id, hasContent: false, ...eTag };
      return { kind: 'upsert', itemId: item.id, hasContent: true, contentKey: contentKeyOf(item), ...eTag };
    },
    props: (item) => ({
      ...pick(item, [
        'name',
        'size',
        'createdDateTime',
        'lastModifiedDateTime',
        'createdBy',
        'lastModifiedBy',
        'webUrl',
        'cTag',
      ]),
      ...(item.parentReference ? { parentId: (item.parentReference as { id?: string }).id } : {}),
      ...(item.folder ? { folder: true } : {}),
      ...(item.root ? { root: true } : {}),
      ...(item.file ? { file: pick(item.file as GraphItem, ['mimeType', 'hashes']) } : {}),
    }),
    ...(opts.versionHistory
      ? {
          // Who changed the file when, and each version's size (SharePoint keeps up to 500 major versions). Their
          // bytes are not read: one request per changed file, not one per version.
          details: (item: GraphItem) =>
            item.file
              ? [
                  {
                    prop: 'versionHistory',
                    url: `/drives/${seg(driveId)}/items/${seg(item.id)}/versions?$top=500`,
                    keep: (versions: GraphItem[]) =>
                      versions.map((v) => pick(v, ['id', 'lastModifiedDateTime', 'lastModifiedBy', 'size'])),
                  },
                ]
              : [],
        }
      : {}),
    content: (item) => (item.file ? { url: `/drives/${seg(driveId)}/items/${seg(item.id)}/content` } : null),
    // The malware facet (driveItem v1.0): SharePoint blocks the download, so none is attempted.
    refused: (item) =>
      item.malware
        ? {
            code: 'malwareDetected',
            reason: `Microsoft 365 flagged it as malware${describe(item.malware)} and blocks its download`,
          }
        : undefined,
  };
}

const describe = (malware: unknown): string => {
  const d = (malware as { description?: unknown }).description;
  return typeof d === 'string' && d ? ` (${d})` : '';
};

/** Content identity without downloading: Graph's hash when it gives one, else the content tag, with the size. */
function contentKeyOf(item: GraphItem): string {
  const hashes = (item.file as { hashes?: Record<string, string> }).hashes ?? {};
  const marker = hashes.sha256Hash ?? hashes.quickXorHash ?? (typeof item.cTag === 'string' ? item.cTag : item.eTag);
  return `${String(marker)}:${textOf([item.size])}`;
}
