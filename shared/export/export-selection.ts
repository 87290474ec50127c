// The entries of an export: the selected folders (with their subfolders) and items of one recovery point, laid out
// as the mailbox or drive shows them: "Inbox/Projects/Subject.eml", "Documents/Report.docx". Lazy: folders are
// paged from the catalog and each entry's bytes are opened only when the zip writer reaches it.
import type { VersionDoc } from '../catalog/version-doc';
import type { VersionStore } from '../catalog/version-store';
import { contentInFolder, folderVersions } from '../browse/recovery-point-queries';
import { freeName } from '../restore/conflict-names';
import { parentOf, planSelection, SelectionPlan } from '../restore/restore-plan';
import type { ZipEntry } from './zip-stream';
import { textOf } from '../domain/text';
import { contentShape } from '../catalog/content-shape';

export interface ExportSource {
  versions: VersionStore;
  protectedItemId: string;
  seq: number;
  /** Opens a version's content (original bytes). */
  open(doc: VersionDoc): ReturnType<ZipEntry['open']>;
}

/** A file name for an item: mail by subject with .eml, files by their name, events and contacts as .json. */
export function entryName(doc: VersionDoc): string {
  const { name, extension } = contentShape(doc);
  return `${name.replace(/[\\/]/g, '_').trim().slice(0, 150) || 'item'}${extension}`;
}

const entryDate = (doc: VersionDoc): Date => {
  const t = Date.parse(textOf([doc.props.receivedDateTime, doc.props.lastModifiedDateTime]));
  return Number.isNaN(t) ? new Date(0) : new Date(t);
};

export async function* exportEntries(
  src: ExportSource,
  plan: SelectionPlan,
  singles: readonly VersionDoc[],
): AsyncGenerator<ZipEntry> {
  const paths = new Map(plan.folders.map((f) => [f.sourceId, f.path.map((p) => p.replace(/[\\/]/g, '_')).join('/')]));
  const taken = new Map<string, Set<string>>();
  const entry = (doc: VersionDoc, folderId: string): ZipEntry => {
    const dir = paths.get(folderId) ?? '';
    const names = taken.get(dir) ?? new Set<string>();
    taken.set(dir, names);
    const name = freeName(entryName(doc), (n) => names.has(n.toLowerCase()));
    names.add(name.toLowerCase());
    return { name: dir ? `${dir}/${name}` : name, modified: entryDate(doc), open: () => src.open(doc) };
  };
  for (const folderId of plan.wholeFolders)
    for await (const doc of contentInFolder(src.versions, src.protectedItemId, src.seq, folderId))
      yield entry(doc, folderId);
  const chosen = new Set(plan.items);
  for (const doc of singles) if (chosen.has(doc.itemId) && doc.content) yield entry(doc, parentOf(doc));
}

/** Resolves a selection against a recovery point; throws UnknownSelection naming ids the point does not hold. */
export async function planExport(
  versions: VersionStore,
  protectedItemId: string,
  seq: number,
  selection: { folders: readonly string[]; items: readonly string[] },
): Promise<{ plan: SelectionPlan; singles: VersionDoc[] }> {
  const folders = await folderVersions(versions, protectedItemId, seq);
  const singles = (await versions.versionsAt(protectedItemId, seq, selection.items)).filter((d) => d.content);
  const found = new Set(singles.map((d) => d.itemId));
  return {
    plan: planSelection(folders, {
      folders: selection.folders,
      items: singles,
      missingItems: selection.items.filter((i) => !found.has(i)),
    }),
    singles,
  };
}
