// A user's OneDrive: one container, the whole drive through one root delta.
import { driveItems } from '../workloads/drive';
import { ProtectedKind, unknownContainer } from './kind';

export const oneDrive: ProtectedKind = {
  subject: (item) => ({ kind: 'onedrive', name: item.displayName }),
  operation: 'files.read',
  async listContainers({ item, graph, deadline }) {
    const { id: driveId } = await graph.get<{ id: string }>(`/users/${encodeURIComponent(item.userId)}/drive?$select=id`, { mailbox: item.userId, operation: 'files.read', deadline });
    return { containers: [{ id: `drive:${driveId}`, type: 'drive', driveId }] };
  },
  workload(_item, c) {
    if (c.type === 'drive' && c.driveId) return driveItems(c.driveId);
    throw unknownContainer('OneDrive', c);
  },
  restore: {
    folders: async (view) => (await view.folders()).filter((d) => d.kind === 'driveItem'),
    folderItems: (view, folderId) => view.inFolder(folderId),
  },
};
