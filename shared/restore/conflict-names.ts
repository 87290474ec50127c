// Names for restored things that must not collide with what is there now. Pure.

/** "Report.docx" → "Report (1).docx", "Report (2).docx", …: the first free name, as OneDrive itself names copies. */
export function freeName(name: string, taken: (candidate: string) => boolean): string {
  if (!taken(name)) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let i = 1; ; i++) {
    const candidate = `${stem} (${i})${ext}`;
    if (!taken(candidate)) return candidate;
  }
}

/** The folder that receives items restored into another mailbox or drive, so nothing there is touched. */
export function restoreFolderName(sourceName: string, restoredAt: Date): string {
  const stamp = restoredAt.toISOString().slice(0, 16).replace('T', ' ');
  return `Restored ${stamp} UTC - ${sourceName}`.slice(0, 255);
}

/** OneDrive and SharePoint refuse \ / : * ? " < > | in names, and a trailing dot or space. */
export const driveSafeName = (name: string): string =>
  name.replace(/[\\/:*?"<>|]/g, '-').replace(/[. ]+$/, '') || 'Restored';
