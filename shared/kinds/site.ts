// A SharePoint site (root, communication, team, group or Teams site, subsite): one container per document library,
// each a drive read through the OneDrive drive workload (root delta, files streamed and deduplicated), plus a
// 'removed' entry for each library synced before that no longer exists. Subsites are protected items of their own:
// a site's /drives lists only its own libraries. Its other lists are containers too: the site's lists are synced first
// as a hierarchy (each with its schema), then one container per list, its items through listItem delta.
import { driveItems } from '../backup/workloads/drive';
import { LIST_CONTAINER, listContainerId, listItems, siteLists } from '../backup/workloads/list-items';
import { sitePages } from '../backup/workloads/site-pages';
import { PageRestorer, SitePageJson } from '../restore/page-restore';
import type { ContainerWorkload } from '../backup/workloads/workload';
import { DriveRestorer } from '../restore/drive-restore';
import { ListItemJson, ListRestorer } from '../restore/list-restore';
import type { PlannedFolder } from '../restore/restore-plan';
import { parentOf } from '../restore/restore-plan';
import { ContainerRef, KindRestorer, ProtectedKind, REMOVED, SHARING, unknownContainer } from './kind';
import { textOf } from '../domain/text';
import { driveSafeName, restoreFolderName } from '../restore/conflict-names';

const DRIVE = 'drive:';
/** The hierarchy container holding one version per list of the site (its schema as content). */
const LISTS = 'lists';
/** The container of the site's pages. */
const PAGES = 'pages';
const seg = encodeURIComponent;

/** A library's drive, with its name on its root folder: every library's root is called "root" in Graph. */
function library(c: ContainerRef): ContainerWorkload {
  if (!c.driveId) throw unknownContainer('site', c);
  const drive = driveItems(c.driveId, { versionHistory: true, sharing: c[SHARING] === 'yes' });
  const name = c.name;
  return name
    ? { ...drive, props: (item) => ({ ...drive.props(item), ...(item.root ? { displayName: name } : {}) }) }
    : drive;
}

/** The drive a backed-up folder or file came from, by its catalog container. */
function driveOf(containerId: string | undefined): string {
  if (!containerId?.startsWith(DRIVE)) throw new Error(`a site's version outside its libraries (${containerId})`);
  return containerId.slice(DRIVE.length);
}

export const site: ProtectedKind = {
  subject: (item) => ({ kind: 'site', name: item.displayName, url: item.address }),
  operation: 'files.read',
  // Personal sites are OneDrives, protected as their own kind.
  discovery: { source: 'sites', include: 'sites', eligible: (s) => s.isPersonalSite !== true },
  async listContainers(ctx) {
    const { item, graph, deadline } = ctx;
    const drives = await graph.all<{ id: string; name?: string }>(
      `/sites/${seg(item.userId)}/drives?$select=id,name,driveType,webUrl`,
      { mailbox: item.userId, operation: 'files.read', deadline },
    );
    const containers: ContainerRef[] = drives.map((d) => ({
      id: `${DRIVE}${d.id}`,
      type: 'drive',
      driveId: d.id,
      ...(d.name ? { name: d.name } : {}),
    }));
    const outcome = await ctx.syncHierarchy(LISTS, siteLists(item.userId));
    if (outcome.status === 'wait') return { retryAfterSeconds: outcome.retryAfterSeconds };
    if (outcome.status === 'continue') return { retryAfterSeconds: 0 };
    for await (const l of ctx.heads(LISTS))
      containers.push({
        id: listContainerId(l.itemId),
        type: 'list',
        listId: l.itemId,
        name: textOf([l.props.displayName]),
      });
    containers.push({ id: PAGES, type: PAGES });
    const live = new Set(containers.map((c) => c.id));
    for (const id of await ctx.syncedContainers())
      if ((id.startsWith(DRIVE) || id.startsWith(LIST_CONTAINER)) && !live.has(id))
        containers.push({ id, type: REMOVED });
    return { containers };
  },
  workload(item, c) {
    if (c.type === 'drive') return library(c);
    if (c.type === 'list' && c.listId) return listItems(item.userId, c.listId);
    if (c.type === 'lists') return siteLists(item.userId);
    if (c.type === PAGES) return sitePages(item.userId);
    throw unknownContainer('site', c);
  },
  restore: {
    folders: async (view) =>
      (await view.folders()).filter((d) => d.kind === 'driveItem' || d.kind === 'list' || d.kind === 'sitePage'),
    folderItems: (view, folderId) => view.inFolder(folderId),
    restorable: new Set(['driveItem', 'listItem', 'sitePage']),
    folderOf: parentOf,
    // Each library's name (its root folder's), for a restore into another site.
    details: (folders) =>
      Object.fromEntries(
        folders
          .filter((d) => d.containerId.startsWith(DRIVE) && d.props.root === true)
          .map((d) => [d.containerId, textOf([d.props.displayName, d.props.name], 'Documents')]),
      ),
    writeOperation: 'files.write',
    elsewhere: 'site',
    restorer(t, source): Promise<KindRestorer> {
      // Into another site, every library's files go into the site's default library, each under a folder named for
      // the restore and the library; lists are found by title there or created from their schema.
      let elsewhere: Promise<string> | undefined;
      const targetDrive = (): Promise<string> =>
        (elsewhere ??= t.graph
          .get<{ id: string }>(`/sites/${seg(t.userId)}/drive?$select=id`, {
            mailbox: t.userId,
            operation: 'files.read',
            deadline: t.deadline,
          })
          .then((d) => d.id));
      const restorers = new Map<string, DriveRestorer>();
      const drive = async (containerId: string | undefined): Promise<DriveRestorer> => {
        const driveId = driveOf(containerId);
        let r = restorers.get(driveId);
        if (!r) {
          const library = source.details[`${DRIVE}${driveId}`] ?? 'Documents';
          r = new DriveRestorer(
            t.original
              ? { ...t, driveId }
              : {
                  ...t,
                  driveId: await targetDrive(),
                  rootName: driveSafeName(restoreFolderName(`${source.item.displayName} - ${library}`, t.startedAt)),
                },
          );
          restorers.set(driveId, r);
        }
        return r;
      };
      const lists = new ListRestorer({ ...t, siteId: t.userId });
      const pages = new PageRestorer({ ...t, siteId: t.userId });
      return Promise.resolve({
        // Library by library: folder paths are only unique within one library (each has its "General"). A list is
        // restored into itself, or into one recreated from its schema when it was deleted.
        async folders(planned, known) {
          const byLibrary = new Map<string | undefined, PlannedFolder[]>();
          let map = { ...known };
          for (const f of planned)
            // The pages' folder is the site's page collection, wherever they go.
            if (f.containerId === PAGES) map[f.sourceId] = f.sourceId;
            else if (f.containerId === LISTS)
              map[f.sourceId] = await lists.target(f.sourceId, () => source.folderContent(f.sourceId));
            else byLibrary.set(f.containerId, [...(byLibrary.get(f.containerId) ?? []), f]);
          for (const [containerId, folders] of byLibrary) map = await (await drive(containerId)).folders(folders, map);
          return map;
        },
        async item(doc, folderId, content) {
          if (doc.kind === 'sitePage')
            return pages.item(doc, JSON.parse((await content.bytes()).toString('utf8')) as SitePageJson);
          if (doc.kind === 'listItem')
            return lists.item(
              doc,
              folderId,
              JSON.parse((await content.bytes()).toString('utf8')) as ListItemJson,
              doc.containerId.slice(LIST_CONTAINER.length),
            );
          return (await drive(doc.containerId)).file(doc, folderId, content.size, () => content.open());
        },
      });
    },
  },
};
