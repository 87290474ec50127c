import { ContainerWorkload, GraphItem, ItemDetail, pick, seg } from './workload';
import { textOf } from '../../domain/text';

/** A whole drive (OneDrive or library) through one root delta; items are tracked by id, never by path. */
export function driveItems(
  driveId: string,
  opts: { versionHistory?: boolean; sharing?: boolean } = {},
): ContainerWorkload {
  const details = [
    ...(opts.versionHistory ? [versionHistory(driveId)] : []),
    ...(opts.sharing ? [sharing(driveId)] : []),
  ];
  return {
    kind: 'driveItem',
    operation: 'files.read',
    initialUrl: `/drives/${seg(driveId)}/root/delta`,
    // Sharing leaves the eTag alone: Graph lists such a change only when asked, annotated (see toChange).
    ...(opts.sharing ? { prefer: 'deltashowsharingchanges' } : {}),
    toChange: (item) => {
      if (item.deleted !== undefined) return { kind: 'delete', itemId: item.id };
      const eTag = typeof item.eTag === 'string' ? { changeKey: item.eTag } : {};
      const shared =
        opts.sharing && item['@microsoft.graph.sharedChanged'] !== undefined ? { changed: true as const } : {};
      const file = item.file as { hashes?: { quickXorHash?: string; sha256Hash?: string } } | undefined;
      if (!file) return { kind: 'upsert', itemId: item.id, hasContent: false, ...eTag, ...shared };
      return { kind: 'upsert', itemId: item.id, hasContent: true, contentKey: contentKeyOf(item), ...eTag, ...shared };
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
    ...(details.length
      ? { details: { props: details.map((d) => d.prop), of: (item: GraphItem) => details.flatMap((d) => d.of(item)) } }
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

type Detail = { prop: string; of(item: GraphItem): ItemDetail[] };

/**
 * Who changed a file when, and each version's size (SharePoint keeps up to 500 major versions). Their bytes are not
 * read: one request per new or changed file, not one per version.
 */
const versionHistory = (driveId: string): Detail => ({
  prop: 'versionHistory',
  of: (item) =>
    item.file
      ? [
          {
            prop: 'versionHistory',
            url: `/drives/${seg(driveId)}/items/${seg(item.id)}/versions?$top=500`,
            keep: (versions) => versions.map((v) => pick(v, ['id', 'lastModifiedDateTime', 'lastModifiedBy', 'size'])),
          },
        ]
      : [],
});

/**
 * Who had access to a file or folder (opt-in per job): each permission, inherited ones with where from, people,
 * groups and sharing links (their type and scope, not their secret URL). One request per new, changed or re-shared
 * item.
 */
const sharing = (driveId: string): Detail => ({
  prop: 'permissions',
  of: (item) => [
    {
      prop: 'permissions',
      url: `/drives/${seg(driveId)}/items/${seg(item.id)}/permissions`,
      keep: (permissions) =>
        permissions.map((p) => ({
          ...pick(p, [
            'id',
            'roles',
            'grantedToV2',
            'grantedToIdentitiesV2',
            'inheritedFrom',
            'expirationDateTime',
            'hasPassword',
          ]),
          ...(p.link ? { link: pick(p.link as GraphItem, ['type', 'scope', 'preventsDownload']) } : {}),
        })),
    },
  ],
});

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
