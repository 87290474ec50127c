import fs from 'node:fs';
import path from 'node:path';
import { kindOf, KIND_IDS } from '../../../shared/kinds';
import {
  checkPermissions,
  isAvailable,
  leastPrivileged,
  PURPOSES,
  WORKLOAD_PERMISSIONS,
} from '../../../shared/preflight/permissions';

const row = (id: string) => WORKLOAD_PERMISSIONS.find((w) => w.id === id)!;
const purposeOf = (check: ReturnType<typeof checkPermissions>, id: string, purpose: string) =>
  check.workloads.find((w) => w.workload.id === id)!.purposes.find((p) => p.purpose === purpose)!;

describe('the workload permission table', () => {
  it('covers every registered kind, with the operations its alarms are classified under', () => {
    for (const kind of KIND_IDS) {
      const w = WORKLOAD_PERMISSIONS.find((x) => x.kind === kind);
      expect(w).toBeDefined();
      const k = kindOf({ kind });
      expect(w!.needs.backup).toContain(k.operation);
      // A kind Graph lets no application restore (group mailboxes) needs nothing for it, and says why.
      if (k.restore.refused) expect(w!.none?.restore).toBeDefined();
      else expect(w!.needs.restore).toContain(k.restore.writeOperation);
    }
  });

  it('marks workloads whose kind is not registered yet as not available', () => {
    expect(isAvailable(row('mailboxes'))).toBe(true);
    expect(isAvailable(row('groupMailboxes'))).toBe(KIND_IDS.includes('groupMailbox' as never));
    expect(isAvailable(row('runReports'))).toBe(true);
  });

  it('names what is missing per workload and purpose, least privileged first', () => {
    const c = checkPermissions(['User.Read.All', 'Mail.Read', 'Files.ReadWrite.All']);
    expect(c.noRoles).toBe(false);
    expect(purposeOf(c, 'mailboxes', 'discovery').missing).toEqual([]);
    expect(purposeOf(c, 'mailboxes', 'backup')).toMatchObject({
      granted: ['Mail.Read'],
      missing: ['Calendars.Read', 'Contacts.Read'],
    });
    expect(purposeOf(c, 'mailboxes', 'restore').missing).toEqual([
      'Mail.ReadWrite',
      'Calendars.ReadWrite',
      'Contacts.ReadWrite',
    ]);
    // A broader permission serves a read.
    expect(purposeOf(c, 'oneDrive', 'backup')).toMatchObject({ granted: ['Files.ReadWrite.All'], missing: [] });
    expect(purposeOf(c, 'oneDrive', 'restore').missing).toEqual([]);
  });

  it('lists granted permissions no operation uses, and no roles as consent not granted', () => {
    const c = checkPermissions(['User.Read.All', 'Application.ReadWrite.All', 'Mail.Read', 'Chat.Read.All']);
    expect(c.unused).toEqual(['Application.ReadWrite.All', 'Chat.Read.All']);
    expect(checkPermissions([]).noRoles).toBe(true);
  });

  it('asks for the least-privileged permissions of available workloads only', () => {
    const backup = leastPrivileged(['discovery', 'backup']);
    expect(backup).toEqual(expect.arrayContaining(['User.Read.All', 'Mail.Read', 'Calendars.Read', 'Files.Read.All']));
    expect(backup).not.toContain('Mail.Send');
    expect(leastPrivileged(['restore'])).toEqual(
      expect.arrayContaining(['Mail.ReadWrite', 'Calendars.ReadWrite', 'Contacts.ReadWrite', 'Files.ReadWrite.All']),
    );
    for (const p of PURPOSES) expect(leastPrivileged([p]).length).toBeGreaterThan(0);
  });

  it('is what the setup scripts tell the administrator to grant', () => {
    for (const script of ['postprovision.sh', 'postprovision.ps1']) {
      const text = fs.readFileSync(path.join(__dirname, '../../../../infra/scripts', script), 'utf8');
      const line = (label: string) => /:\s*(.+)$/.exec(text.split('\n').find((l) => l.trim().startsWith(label))!)![1];
      const listed = (label: string) =>
        line(label)
          .split(/,\s*/)
          .map((s) => s.trim());
      expect(listed('backup')).toEqual(expect.arrayContaining(leastPrivileged(['discovery', 'backup'])));
      // Restoring also uses what backups need (e.g. User.Read.All to find the target user), granted with them.
      expect([...listed('backup'), ...listed('restore')]).toEqual(expect.arrayContaining(leastPrivileged(['restore'])));
    }
  });
});
