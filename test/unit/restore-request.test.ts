import { driveSafeName, freeName, restoreFolderName } from '../../shared/restore/conflict-names';
import { restoreRequest } from '../../shared/restore/restore-request';

const base = { protectedItemId: 'a.mailbox.u1', seq: 3, selection: { folders: ['f1'] } };
const issues = (v: unknown) => {
  const r = restoreRequest.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('restore request', () => {
  it('defaults the overwrite behaviour to rename for the original location', () => {
    expect(restoreRequest.parse({ ...base, target: { type: 'original' } }).target).toEqual({
      type: 'original',
      overwriteBehavior: 'rename',
    });
  });
  it('refuses an overwrite behaviour where it does not apply, naming the field', () => {
    expect(
      issues({ ...base, target: { type: 'mailbox', user: 'bob@contoso.example', overwriteBehavior: 'overwrite' } }),
    ).toEqual([
      'target.overwriteBehavior: overwrite behaviour is not available when restoring to another mailbox or drive',
    ]);
  });
  it('requires a selection and a known target type', () => {
    expect(issues({ ...base, selection: {}, target: { type: 'original' } })).toEqual([
      'selection.folders: select at least one folder or item',
    ]);
    expect(issues({ ...base, target: { type: 'elsewhere' } })[0]).toMatch(/^target.type/);
  });
});

describe('conflict names', () => {
  it('finds the first free name, keeping the extension', () => {
    const taken = new Set(['Report.docx', 'Report (1).docx']);
    expect(freeName('Report.docx', (n) => taken.has(n))).toBe('Report (2).docx');
    expect(freeName('Notes', () => false)).toBe('Notes');
    expect(freeName('.profile', (n) => n === '.profile')).toBe('.profile (1)');
  });
  it('names a restore folder after the source and the time', () => {
    expect(restoreFolderName('Inbox', new Date('2026-11-23T10:15:30Z'))).toBe('Restored 2026-11-23 10:15 UTC - Inbox');
    expect(driveSafeName(restoreFolderName('Adele: "Q3"?', new Date('2026-11-23T10:15:30Z')))).toBe(
      'Restored 2026-11-23 10-15 UTC - Adele- -Q3--',
    );
  });
});
