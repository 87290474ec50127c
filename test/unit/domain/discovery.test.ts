import { directoriesFor, discover, repositoryFor, repositoryRefs } from '../../../shared/backup/discovery';
import type { DirectoryEntry } from '../../../shared/backup/directory';
import { jobInput } from '../../../shared/inventory/schemas';

const users: DirectoryEntry[] = [
  {
    id: 'u1',
    displayName: 'Adele Vance',
    userPrincipalName: 'adele@contoso.example',
    mail: 'adele@contoso.example',
    assignedLicenses: [{}],
  },
  {
    id: 'u2',
    displayName: 'Bob Kelly',
    userPrincipalName: 'bob@contoso.example',
    mail: 'bob@contoso.example',
    assignedLicenses: [{}],
  },
  {
    id: 'u3',
    displayName: 'Info Desk',
    userPrincipalName: 'info@contoso.example',
    mail: 'info@contoso.example',
    assignedLicenses: [],
  },
  {
    id: 'u4',
    displayName: 'No Mail User',
    userPrincipalName: 'nomail@contoso.example',
    mail: null,
    assignedLicenses: [],
  },
  {
    id: 'u5',
    displayName: 'A Guest',
    userPrincipalName: 'guest_x#EXT#@contoso.example',
    mail: 'guest@fabrikam.example',
    userType: 'Guest',
    assignedLicenses: [],
  },
];
const sources = (s: unknown) => jobInput.shape.sources.parse(s);

describe('discover', () => {
  it('covers every mailbox (shared ones too, not guests with an external address) and every licensed OneDrive of the account', () => {
    const d = discover(sources({ scope: 'account' }), { users });
    expect(d.items.map((i) => `${i.kind}:${i.userId}`)).toEqual([
      'mailbox:u1',
      'mailbox:u2',
      'mailbox:u3',
      'onedrive:u1',
      'onedrive:u2',
    ]);
    expect(d.items.every((i) => !i.explicit)).toBe(true);
  });
  it('puts selected items first, in priority order, matched by name, address or id, without duplicates', () => {
    const d = discover(
      sources({
        scope: 'account',
        include: { mailboxes: true, oneDrives: false },
        items: [
          { kind: 'mailbox', match: 'BOB KELLY' },
          { kind: 'onedrive', match: 'adele@contoso.example' },
        ],
      }),
      { users },
    );
    expect(d.items.map((i) => `${i.kind}:${i.userId}:${i.explicit}`)).toEqual([
      'mailbox:u2:true',
      'onedrive:u1:true',
      'mailbox:u1:false',
      'mailbox:u3:false',
    ]);
  });
  it('applies exclusions and reports selectors that match nobody', () => {
    const d = discover(
      sources({
        scope: 'selected',
        items: [
          { kind: 'mailbox', match: 'u3' },
          { kind: 'mailbox', match: 'ghost@contoso.example' },
        ],
        exclude: [{ kind: 'mailbox', match: 'info@contoso.example' }],
      }),
      { users },
    );
    expect(d.items).toEqual([]);
    expect(d.unmatched).toEqual([{ kind: 'mailbox', match: 'ghost@contoso.example' }]);
  });
  it('reads only the directories of the kinds a job selects or includes', () => {
    expect(directoriesFor(sources({ scope: 'account' }))).toEqual(['users']);
    expect(directoriesFor(sources({ scope: 'account', include: { mailboxes: false, oneDrives: false } }))).toEqual([]);
    expect(directoriesFor(sources({ scope: 'selected', items: [{ kind: 'onedrive', match: 'u1' }] }))).toEqual([
      'users',
    ]);
    expect(discover(sources({ scope: 'account' }), {})).toEqual({ items: [], unmatched: [] });
  });
  it('requires items when the scope is "selected"', () => {
    const r = jobInput.shape.sources.safeParse({ scope: 'selected' });
    expect(r.success).toBe(false);
    expect(r.success ? [] : r.error.issues.map((i) => i.path.join('.'))).toEqual(['items']);
  });
  it('sends an item to the first override that matches it, else to the job repository', () => {
    const destination = jobInput.shape.destination.parse({
      repository: 'primary',
      overrides: [
        { kind: 'mailbox', match: 'bob kelly', repository: 'archive' },
        { kind: 'mailbox', match: 'u2', repository: 'second' },
      ],
    });
    expect(repositoryFor(destination, 'mailbox', users[1])).toBe('archive');
    expect(repositoryFor(destination, 'onedrive', users[1])).toBe('primary');
    expect(repositoryFor(destination, 'mailbox', users[0])).toBe('primary');
    expect(repositoryRefs(destination).map((r) => r.path)).toEqual([
      'destination.repository',
      'destination.overrides.0.repository',
      'destination.overrides.1.repository',
    ]);
    expect(jobInput.shape.destination.parse(undefined)).toEqual({ repository: 'default', overrides: [] });
  });
});
