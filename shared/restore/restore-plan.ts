// Which folders and items a restore or an export touches, from one recovery point's view of a mailbox or drive.
// Pure: the caller reads the folder versions and the selected items, this decides the folder paths and the order.
import type { VersionDoc } from '../catalog/version-doc';
import { textOf } from '../domain/text';

export interface PlannedFolder {
  /** The folder's id in the backup. */
  sourceId: string;
  /** Display names from the mailbox root down to the folder itself. */
  path: string[];
  /** 'inbox', 'sentitems', …: found by role in the target, whatever its display name there. */
  wellKnownName?: string;
  /** The catalog container the folder was backed up in (a site's library: `drive:{id}`). */
  containerId?: string;
}

export interface SelectionPlan {
  folders: PlannedFolder[];
  /** Folder ids whose messages are all restored (the selected folders and their subfolders). */
  wholeFolders: string[];
  /** Single items selected (not inside a selected folder), by item id. */
  items: string[];
}

/** Selected ids a recovery point does not hold; the message names none (they are the caller's input). */
export class UnknownSelection extends Error {
  constructor(
    readonly folders: readonly string[],
    readonly items: readonly string[],
  ) {
    super(`${folders.length + items.length} selected folder(s) or item(s) are not in this recovery point`);
    this.name = 'UnknownSelection';
  }

  /** Where the unknown ids are in the selection (`folders[2]`, `items[0]`), the first `max` of them. */
  fields(selection: { folders: readonly string[]; items: readonly string[] }, max = 5): string[] {
    const at = (list: readonly string[], unknown: readonly string[], name: string): string[] => {
      const bad = new Set(unknown);
      return list.flatMap((id, i) => (bad.has(id) ? [`${name}[${i}]`] : []));
    };
    return [...at(selection.folders, this.folders, 'folders'), ...at(selection.items, this.items, 'items')].slice(
      0,
      max,
    );
  }
}

/**
 * Selected folders bring their whole subtree; a selected message brings the path of its folder. Parents come before
 * children so each folder is created under one that exists. Ids not in the recovery point are refused by name.
 */
/** A version's folder: mail uses parentFolderId, drives parentId. */
export const parentOf = (d: VersionDoc): string => textOf([d.props.parentFolderId, d.props.parentId]);

export function planSelection(
  folderDocs: readonly VersionDoc[],
  selection: { folders: readonly string[]; items: readonly VersionDoc[]; missingItems: readonly string[] },
): SelectionPlan {
  const byId = new Map(folderDocs.map((f) => [f.itemId, f]));
  const unknownFolders = selection.folders.filter((id) => !byId.has(id));
  if (unknownFolders.length || selection.missingItems.length)
    throw new UnknownSelection(unknownFolders, selection.missingItems);
  const children = new Map<string, string[]>();
  for (const f of folderDocs) {
    const parent = parentOf(f);
    children.set(parent, [...(children.get(parent) ?? []), f.itemId]);
  }
  const pathOf = (id: string): string[] => {
    const out: string[] = [];
    // A drive's root folder is the drive itself: it adds no path segment.
    for (let f = byId.get(id), guard = 0; f && guard < 64; f = byId.get(parentOf(f)), guard++)
      if (!f.props.root) out.unshift(textOf([f.props.displayName, f.props.name]));
    return out;
  };
  const ancestors = (id: string): string[] => {
    const out: string[] = [];
    for (let f = byId.get(id), guard = 0; f && guard < 64; f = byId.get(parentOf(f)), guard++) out.unshift(f.itemId);
    return out;
  };
  const whole = new Set<string>();
  const visit = (id: string): void => {
    if (whole.has(id)) return;
    whole.add(id);
    for (const c of children.get(id) ?? []) visit(c);
  };
  for (const id of selection.folders) visit(id);
  const needed = new Set<string>();
  for (const id of [...whole, ...selection.items.map(parentOf)]) for (const a of ancestors(id)) needed.add(a);
  const folders = [...needed]
    .map((id) => {
      const f = byId.get(id)!;
      return {
        sourceId: id,
        path: pathOf(id),
        containerId: f.containerId,
        ...(typeof f.props.wellKnownName === 'string' ? { wellKnownName: f.props.wellKnownName } : {}),
      };
    })
    .sort((a, b) => a.path.length - b.path.length || a.path.join('/').localeCompare(b.path.join('/')));
  const wholeFolders = folders.filter((f) => whole.has(f.sourceId)).map((f) => f.sourceId);
  return { folders, wholeFolders, items: selection.items.filter((m) => !whole.has(parentOf(m))).map((m) => m.itemId) };
}
