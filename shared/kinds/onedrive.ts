// A user's OneDrive: one container, the whole drive through one root delta.
import { driveItems } from '../backup/workloads/drive';
import { DriveRestorer } from '../restore/drive-restore';
import { driveSafeName, restoreFolderName } from '../restore/conflict-names';
import { parentOf } from '../restore/restore-plan';
import { ProtectedKind, SHARING, unknownContainer } from './kind';

export const oneDrive: ProtectedKind = {
  subject: (item) => ({ kind: 'onedrive', name: item.displayName }),
  operation: 'files.read',
  // OneDrive exists only for licensed users.
  discovery: { source: 'users', include: 'oneDrives', eligible: (u) => (u.assignedLicenses?.length ?? 0) > 0 },
  async listContainers({ item, graph, deadline }) {
    const { id: driveId } = await graph.get<{ id: string }>(
      `/users/${encodeURIComponent(item.userId)}/drive?$select=id`,
      { mailbox: item.userId, operation: 'files.read', deadline },
    );
    return { containers: [{ id: `drive:${driveId}`, type: 'drive', driveId }] };
  },
  workload(_item, c) {
    if (c.type === 'drive' && c.driveId) return driveItems(c.driveId, { sharing: c[SHARING] === 'yes' });
    throw unknownContainer('OneDrive', c);
  },
  restore: {
    folders: async (view) => (await view.folders()).filter((d) => d.kind === 'driveItem'),
    folderItems: (view, folderId) => view.inFolder(folderId),
    restorable: new Set(['driveItem']),
    folderOf: parentOf,
    // The drive the backup came from: the target of an in-place restore.
    details: (folders): Record<string, string> => {
      const driveId = folders.find((d) => d.containerId.startsWith('drive:'))?.containerId.slice('drive:'.length);
      return driveId ? { driveId } : {};
    },
    writeOperation: 'files.write',
    async restorer(t, { item, details }) {
      const driveId = t.original
        ? details.driveId
        : (
            await t.graph.get<{ id: string }>(`/users/${encodeURIComponent(t.userId)}/drive?$select=id`, {
              mailbox: t.userId,
              operation: 'files.read',
              deadline: t.deadline,
            })
          ).id;
      if (!driveId) throw new Error('the recovery point names no drive to restore into');
      const drive = new DriveRestorer({
        ...t,
        driveId,
        ...(t.original ? {} : { rootName: driveSafeName(restoreFolderName(item.displayName, t.startedAt)) }),
      });
      return {
        folders: (planned, known) => drive.folders(planned, known),
        item: (doc, folderId, content) => drive.file(doc, folderId, content.size, () => content.open()),
      };
    },
  },
};
