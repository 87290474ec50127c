import { directoriesFor, discover, repositoryFor, repositoryRefs } from '../../../shared/backup/discovery';
import type { DirectoryEntry } from '../../../shared/backup/directory';
import { jobInput, protectedItemId } from '../../../shared/inventory/schemas';
import { PRODUCT_ID } from '../../../shared/api/ids';

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

describe('discover SharePoint sites', () => {
  const site = (
    id: string,
    name: string,
    displayName: string,
    extra: Partial<DirectoryEntry> = {},
  ): DirectoryEntry => ({
    id: `contoso.sharepoint.com,${id},w${id}`,
    name,
    displayName,
    webUrl: `https://contoso.sharepoint.com/sites/${name}`,
    isPersonalSite: false,
    ...extra,
  });
  const sites: DirectoryEntry[] = [
    site('1', 'marketing', 'Marketing'),
    site('2', 'apollo', 'Project Apollo'),
    site('3', 'archive', 'Project Apollo Archive', { webUrl: 'https://contoso.sharepoint.com/sites/apollo/archive' }),
    site('4', 'adele', 'Adele Vance', {
      webUrl: 'https://contoso-my.sharepoint.com/personal/adele',
      isPersonalSite: true,
    }),
  ];

  it('covers every site but personal ones (OneDrives) when the account scope includes sites, sorted by name', () => {
    const d = discover(sources({ scope: 'account', include: { mailboxes: false, oneDrives: false, sites: true } }), {
      sites,
    });
    expect(d.items.map((i) => `${i.kind}:${i.displayName}:${i.address}`)).toEqual([
      'site:Marketing:https://contoso.sharepoint.com/sites/marketing',
      'site:Project Apollo:https://contoso.sharepoint.com/sites/apollo',
      'site:Project Apollo Archive:https://contoso.sharepoint.com/sites/apollo/archive',
    ]);
  });
  it('leaves sites out of an account scope unless asked, and reads the sites directory only when needed', () => {
    expect(sources({ scope: 'account' }).include).toEqual({
      mailboxes: true,
      oneDrives: true,
      sites: false,
      groupMailboxes: false,
    });
    expect(directoriesFor(sources({ scope: 'account' }))).toEqual(['users']);
    expect(directoriesFor(sources({ scope: 'account', include: { sites: true } }))).toEqual(['users', 'sites']);
    expect(directoriesFor(sources({ scope: 'selected', items: [{ kind: 'site', match: 'marketing' }] }))).toEqual([
      'sites',
    ]);
  });
  it('finds a chosen site by URL (any case, trailing slash), URL name, title or id, in priority order', () => {
    const d = discover(
      sources({
        scope: 'selected',
        items: [
          { kind: 'site', match: 'HTTPS://contoso.sharepoint.com/sites/apollo/archive/' },
          { kind: 'site', match: 'marketing' },
          { kind: 'site', match: 'Project Apollo' },
          { kind: 'site', match: 'contoso.sharepoint.com,1,w1' },
          { kind: 'site', match: 'https://contoso.sharepoint.com/sites/nowhere' },
        ],
        exclude: [{ kind: 'site', match: 'https://contoso.sharepoint.com/sites/apollo' }],
      }),
      { sites },
    );
    expect(d.items.map((i) => `${i.displayName}:${i.explicit}`)).toEqual([
      'Project Apollo Archive:true',
      'Marketing:true',
    ]);
    expect(d.unmatched).toEqual([{ kind: 'site', match: 'https://contoso.sharepoint.com/sites/nowhere' }]);
  });
  it('sends a site to the repository of the first override matching its URL', () => {
    const destination = jobInput.shape.destination.parse({
      repository: 'primary',
      overrides: [{ kind: 'site', match: 'https://contoso.sharepoint.com/sites/marketing/', repository: 'archive' }],
    });
    expect(repositoryFor(destination, 'site', sites[0])).toBe('archive');
    expect(repositoryFor(destination, 'site', sites[1])).toBe('primary');
  });
  it('gives a site a protected item id that is one path segment and a valid Cosmos id', () => {
    const id = protectedItemId('acc', 'site', sites[0].id);
    expect(id).toBe('acc.site.contoso.sharepoint.com_1_w1');
    expect(PRODUCT_ID.test(id)).toBe(true);
    expect(protectedItemId('acc', 'mailbox', 'b4c3e5f0-1111-2222-3333-444455556666')).toBe(
      'acc.mailbox.b4c3e5f0-1111-2222-3333-444455556666',
    );
  });
});

describe('discover Microsoft 365 group mailboxes', () => {
  const groups: DirectoryEntry[] = [
    { id: 'g2', displayName: 'Sales', mail: 'sales@contoso.example', groupTypes: ['Unified'] },
    { id: 'g1', displayName: 'Marketing', mail: 'marketing@contoso.example', groupTypes: ['Unified'] },
    // Listed by a directory that did not filter: a security group has no mailbox.
    { id: 'g3', displayName: 'Admins', mail: null, groupTypes: [] },
  ];

  it('covers every Microsoft 365 group when asked, sorted by name, and reads the groups directory only then', () => {
    expect(directoriesFor(sources({ scope: 'account' }))).toEqual(['users']);
    const scope = sources({ scope: 'account', include: { mailboxes: false, oneDrives: false, groupMailboxes: true } });
    expect(directoriesFor(scope)).toEqual(['groups']);
    expect(discover(scope, { groups }).items.map((i) => `${i.kind}:${i.displayName}:${i.address}`)).toEqual([
      'groupMailbox:Marketing:marketing@contoso.example',
      'groupMailbox:Sales:sales@contoso.example',
    ]);
  });
  it('finds a chosen group by mail address or name, in priority order', () => {
    const d = discover(
      sources({
        scope: 'selected',
        items: [
          { kind: 'groupMailbox', match: 'SALES@contoso.example' },
          { kind: 'groupMailbox', match: 'Marketing' },
          { kind: 'groupMailbox', match: 'nobody@contoso.example' },
        ],
      }),
      { groups },
    );
    expect(d.items.map((i) => `${i.userId}:${i.explicit}`)).toEqual(['g2:true', 'g1:true']);
    expect(d.unmatched).toEqual([{ kind: 'groupMailbox', match: 'nobody@contoso.example' }]);
  });
});
