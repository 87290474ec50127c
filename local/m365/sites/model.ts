// SharePoint's model: the sites of a tenant (the root site, a team site per Microsoft 365 group, communication and
// team sites tied to no group, one subsite), their lock states, and their lists: document libraries (each one a drive
// of files/model.ts) and generic lists whose items live in a ChangeLog. Generated lazily from (seed, site, list,
// index), so a site nobody asks about costs nothing; only changes are kept.
import { Drive, driveIdOf, openDrive, registerDriveResolver } from '../files/model';
import { GraphError } from '../graph/errors';
import { BaseItems, ChangeLog, noBaseItems } from '../tenant/change-log';
import { isoSeconds } from '../mail/message';
import { mailNickname } from '../tenant/names';
import { between, guidOf, pick, rng } from '../tenant/seeded';
import { registerTenantExtension, Tenant } from '../tenant/tenant';

export type SiteKind = 'root' | 'group' | 'team' | 'communication' | 'subsite';
export type LockState = 'unlock' | 'readOnly' | 'noAccess';

export interface Site {
  /** Graph's composite id: `{hostname},{siteCollectionId},{webId}`. */
  id: string;
  kind: SiteKind;
  name: string;
  displayName: string;
  description: string;
  /** Server-relative path: '' for the root site, '/sites/marketing', '/sites/apollo/archive'. */
  path: string;
  createdDateTime: string;
  groupId?: string;
  /** The site collection's root for a subsite. */
  parentId?: string;
}

export interface ListItemRecord {
  id: string;
  /** Values of the list's writable columns. */
  fields: Record<string, unknown>;
  version: number;
  createdDateTime: string;
  lastModifiedDateTime: string;
  /** Index of the author among the tenant's people. */
  author: number;
}

export interface SiteList {
  id: string;
  /** URL name ('Shared Documents'); `displayName` is the title ('Documents'). */
  name: string;
  displayName: string;
  template: 'genericList' | 'documentLibrary';
  site: Site;
  createdDateTime: string;
  /** Document libraries: the drive that holds the files. */
  drive?: Drive;
  /** Generic lists: the items. */
  items?: ChangeLog<ListItemRecord>;
  /** A generic list created through Graph: its columns (the generated lists have LIST_COLUMNS). */
  columns?: ReadonlyArray<ListColumn>;
  description?: string;
}

export interface ListColumn {
  name: string;
  /** The column's type facet(s), as Graph's columnDefinition has them ({ text: {…} }, { choice: {…} }, …). */
  facet: Record<string, unknown>;
}

export type GenericList = SiteList & { items: ChangeLog<ListItemRecord> };

/** Columns of the generated generic lists (Graph columnDefinition type facets); only these are writable. */
export const LIST_COLUMNS: ReadonlyArray<ListColumn> = [
  {
    name: 'Title',
    facet: {
      text: { allowMultipleLines: false, appendChangesToExistingText: false, linesForEditing: 0, maxLength: 255 },
    },
  },
  {
    name: 'Status',
    facet: {
      choice: { allowTextEntry: false, choices: ['Not started', 'In progress', 'Done'], displayAs: 'dropDownMenu' },
    },
  },
  { name: 'Priority', facet: { number: { decimalPlaces: 'none', displayAs: 'number', maximum: 3, minimum: 1 } } },
  { name: 'DueDate', facet: { dateTime: { displayAs: 'default', format: 'dateOnly' } } },
  { name: 'Done', facet: { boolean: {} } },
];

const COMMUNICATION_NAMES = ['Intranet News', 'HR Hub', 'Brand Center', 'IT Help Desk', 'Town Hall'];
const TEAM_NAMES = ['Project Apollo', 'Legal Matters', 'Facilities', 'Board Room', 'Vendor Übersicht'];
const LIST_NAMES = ['Issue tracker', 'Asset register', 'Event plan', 'Travel requests'];
const TASKS = ['Review', 'Order', 'Plan', 'Fix', 'Approve'];
const THINGS = ['contract', 'laptops', 'offsite', 'Übersicht', 'budget'];

const LOCKED = 'Access to this site has been blocked. Please contact the administrator to resolve this problem.';

/** The SharePoint side of a tenant (`tenant.sites`). */
export class SiteStore {
  readonly host: string;
  private standaloneSites: Site[] | undefined;
  private readonly lists = new Map<string, SiteList[]>();
  /** Lock state and archival per site collection (keyed by the collection id); absent = unlocked. */
  private readonly states = new Map<string, { lockState: LockState; archived: boolean }>();

  constructor(private readonly t: Tenant) {
    this.host = `${t.domain.split('.')[0]}.sharepoint.com`;
  }

  /** Site ids by generator key: every request resolves its site among all of them, and hashing is the cost. */
  private readonly ids = new Map<string, string>();

  private make(
    kind: SiteKind,
    key: string,
    collectionKey: string,
    displayName: string,
    path: string,
    created: string,
    extra: Partial<Site> = {},
  ): Site {
    let id = this.ids.get(key);
    if (!id)
      this.ids.set(
        key,
        (id = `${this.host},${guidOf(this.t.seed, 'site-collection', collectionKey)},${guidOf(this.t.seed, 'web', key)}`),
      );
    return {
      id,
      kind,
      name: path.split('/').pop() ?? '',
      displayName,
      description: kind === 'group' ? `Team site of ${displayName}` : '',
      path,
      createdDateTime: created,
      ...extra,
    };
  }

  root(): Site {
    return this.make('root', 'root', 'root', 'Communication site', '', isoSeconds(this.t.created));
  }

  /** Team sites of the Microsoft 365 groups that exist now (created and deleted groups included). */
  private groupSites(): Site[] {
    return [...this.t.directory.groups.all()]
      .filter((g) => g.groupTypes.includes('Unified'))
      .map((g) =>
        this.make(
          'group',
          `group:${g.id}`,
          `group:${g.id}`,
          g.displayName,
          `/sites/${g.mailNickname}`,
          g.createdDateTime,
          { groupId: g.id },
        ),
      );
  }

  private standalone(): Site[] {
    if (this.standaloneSites) return this.standaloneSites;
    const p = this.t.profile.sites;
    const at = (i: number): string => isoSeconds(this.t.created.getTime() - (90 - i) * 86_400_000);
    const named = (names: string[], i: number): string =>
      `${names[i % names.length]}${i >= names.length ? ` ${Math.floor(i / names.length) + 1}` : ''}`;
    const sites: Site[] = [];
    for (let i = 0; i < p.communication; i++) {
      const name = named(COMMUNICATION_NAMES, i);
      sites.push(
        this.make(
          'communication',
          `communication:${i}`,
          `communication:${i}`,
          name,
          `/sites/${mailNickname(name)}`,
          at(i),
        ),
      );
    }
    for (let i = 0; i < p.team; i++) {
      const name = named(TEAM_NAMES, i);
      sites.push(this.make('team', `team:${i}`, `team:${i}`, name, `/sites/${mailNickname(name)}`, at(i)));
    }
    // One subsite, so /sites/{id}/sites has something to enumerate.
    const parent = sites.find((s) => s.kind === 'team');
    if (parent)
      sites.push(
        this.make('subsite', 'subsite:0', 'team:0', `${parent.displayName} Archive`, `${parent.path}/archive`, at(50), {
          parentId: parent.id,
        }),
      );
    return (this.standaloneSites = sites);
  }

  all(): Site[] {
    return [this.root(), ...this.groupSites(), ...this.standalone()];
  }

  /** A site by its composite id (case-insensitive, as SharePoint's GUIDs are). */
  byId(id: string): Site | undefined {
    const key = id.toLowerCase();
    return this.all().find((s) => s.id.toLowerCase() === key);
  }

  /** A site by hostname and server-relative path ('' or '/' for the root site). */
  byPath(hostname: string, path: string): Site | undefined {
    if (hostname.toLowerCase() !== this.host) return undefined;
    const want = path.replace(/\/+$/, '').toLowerCase();
    return this.all().find((s) => s.path.toLowerCase() === want);
  }

  ofGroup(groupId: string): Site | undefined {
    return this.groupSites().find((s) => s.groupId === groupId);
  }

  private collectionId(site: Site): string {
    return site.id.split(',')[1];
  }

  state(site: Site): { lockState: LockState; archived: boolean } {
    return this.states.get(this.collectionId(site)) ?? { lockState: 'unlock', archived: false };
  }

  /** Locks apply to the whole site collection, as Set-SPOSite -LockState does. */
  setState(site: Site, change: { lockState?: LockState; archived?: boolean }): void {
    this.states.set(this.collectionId(site), { ...this.state(site), ...change });
  }

  /** Throws what SharePoint answers on a locked or archived site: 423 for everything, or 403 for writes when read-only. */
  guard(site: Site, write: boolean): void {
    const s = this.state(site);
    if (s.archived || s.lockState === 'noAccess')
      throw new GraphError(423, 'notAllowed', LOCKED, { innerCode: 'resourceLocked' });
    // Unverified: no source shows Graph's answer to a write on a ReadOnly site (README, deviations).
    if (write && s.lockState === 'readOnly')
      throw new GraphError(403, 'accessDenied', 'Resource is temporarily read-only.', { innerCode: 'serviceReadOnly' });
  }

  webUrl(site: Site): string {
    return `https://${this.host}${site.path}`;
  }

  /** The site's lists: the Documents library (team sites add a second library) and the profile's generic lists. */
  listsOf(site: Site): SiteList[] {
    let lists = this.lists.get(site.id);
    if (lists) return lists;
    const library = (name: string, displayName: string): SiteList => {
      const list = this.list(site, 'documentLibrary', name, displayName);
      const group = site.groupId ? this.t.directory.group(site.groupId) : undefined;
      list.drive = openDrive(this.t, {
        id: driveIdOf(this.t, `library:${list.id}`),
        driveType: 'documentLibrary',
        key: site.id,
        siteId: site.id,
        siteTitle: site.displayName,
        meta: {
          name: displayName,
          description: '',
          createdDateTime: list.createdDateTime,
          lastModifiedDateTime: list.createdDateTime,
          webUrl: `${this.webUrl(site)}/${encodeURIComponent(name)}`,
          owner: group
            ? { group: { id: group.id, displayName: group.displayName, email: group.mail } }
            : { user: { displayName: 'System Account' } },
        },
        folders: ['General', 'Archive 2025'],
        guard: (write) => this.guard(site, write),
      });
      return list;
    };
    lists = [
      library('Shared Documents', 'Documents'),
      ...(site.kind === 'team' ? [library('Project Files', 'Project Files')] : []),
    ];
    for (let i = 0; i < this.t.profile.sites.listsPerSite; i++) {
      const name = LIST_NAMES[i % LIST_NAMES.length] + (i >= LIST_NAMES.length ? ` ${i}` : '');
      const list = this.list(site, 'genericList', name, name);
      list.items = new ChangeLog(`lists/${list.id}`, this.itemBase(list), this.t.changes);
      lists.push(list);
    }
    this.lists.set(site.id, lists);
    return lists;
  }

  private list(site: Site, template: SiteList['template'], name: string, displayName: string): SiteList {
    return {
      id: guidOf(this.t.seed, 'list', site.id, name),
      name,
      displayName,
      template,
      site,
      createdDateTime: site.createdDateTime,
    };
  }

  /** Items 1…itemsPerList, generated on demand from their number. */
  private itemBase(list: SiteList): BaseItems<ListItemRecord> {
    const n = this.t.profile.sites.itemsPerList;
    return {
      count: n,
      at: (i) => {
        const r = rng(this.t.seed, list.id, 'item', i);
        const due = new Date(this.t.anchor.getTime() + between(r, -60, 60) * 86_400_000).toISOString().slice(0, 10);
        const at = isoSeconds(this.t.anchor.getTime() - (n - i) * 3_600_000);
        const status = pick(r, ['Not started', 'In progress', 'Done']);
        return {
          id: String(i + 1),
          version: 1,
          createdDateTime: at,
          lastModifiedDateTime: at,
          author: between(r, 0, 50),
          fields: {
            Title: `${pick(r, TASKS)} ${pick(r, THINGS)} ${i + 1}`,
            Status: status,
            Priority: between(r, 1, 3),
            DueDate: `${due}T00:00:00Z`,
            Done: status === 'Done',
          },
        };
      },
      indexOf: (id) => (/^[1-9]\d*$/.test(id) && Number(id) <= n ? Number(id) - 1 : undefined),
    };
  }

  /** A list of the site by id or by name/title (Graph accepts both). */
  listOf(site: Site, idOrName: string): SiteList | undefined {
    const key = idOrName.toLowerCase();
    return this.listsOf(site).find(
      (l) => l.id === key || l.name.toLowerCase() === key || l.displayName.toLowerCase() === key,
    );
  }

  /** Creates a generic list (Graph's POST /sites/{id}/lists): Title, then the given columns. */
  createList(site: Site, displayName: string, description: string, columns: ListColumn[]): GenericList {
    const lists = this.listsOf(site);
    const list: SiteList = {
      ...this.list(site, 'genericList', displayName, displayName),
      id: guidOf(this.t.seed, 'created-list', site.id, displayName, this.t.changes.current()),
      createdDateTime: isoSeconds(this.t.now()),
      columns: [LIST_COLUMNS[0], ...columns.filter((c) => c.name !== 'Title')],
      description,
    };
    list.items = new ChangeLog(`lists/${list.id}`, noBaseItems(), this.t.changes);
    lists.push(list);
    return list as GenericList;
  }

  /** Deletes a generic list with its items, as a site owner does (to the recycle bin, gone for Graph). */
  removeList(site: Site, list: SiteList): void {
    const lists = this.listsOf(site);
    lists.splice(lists.indexOf(list), 1);
  }

  /** The library whose drive has this id (drive resolver for /drives/{id}). */
  libraryDrive(driveId: string): Drive | undefined {
    for (const site of this.all())
      for (const list of this.listsOf(site)) if (list.drive?.id === driveId) return list.drive;
    return undefined;
  }

  /** Invalidates every list's delta tokens (library drives expire with files/model.ts's hook). */
  expireTokens(): void {
    for (const lists of this.lists.values()) for (const list of lists) list.items?.expire();
  }
}

/** Names of fields that are not writable columns of a generic list (an item write naming one is refused). */
/** A generic list's writable columns. */
export const columnsOfList = (list: SiteList): ReadonlyArray<ListColumn> => list.columns ?? LIST_COLUMNS;

export const unknownFields = (fields: Record<string, unknown>, list: SiteList): string[] =>
  Object.keys(fields).filter((k) => !columnsOfList(list).some((c) => c.name === k));

/** Adds an item (ids continue after the highest ever given, as SharePoint's do). */
export function createItem(list: GenericList, fields: Record<string, unknown>, now: number): ListItemRecord {
  const at = isoSeconds(now);
  const item: ListItemRecord = {
    id: String(list.items.positions + 1),
    fields,
    version: 1,
    createdDateTime: at,
    lastModifiedDateTime: at,
    author: 0,
  };
  list.items.create(item);
  return item;
}

/** Sets field values; a new version of the item. */
export function updateFields(
  list: GenericList,
  item: ListItemRecord,
  fields: Record<string, unknown>,
  now: number,
): ListItemRecord {
  const next = {
    ...item,
    fields: { ...item.fields, ...fields },
    version: item.version + 1,
    lastModifiedDateTime: isoSeconds(now),
  };
  list.items.update(next, Object.keys(fields));
  return next;
}

declare module '../tenant/tenant' {
  interface TenantExtensions {
    sites: SiteStore;
  }
}

registerTenantExtension((t) => {
  t.sites = new SiteStore(t);
  t.tokenExpiryHooks.push((userId) => {
    if (!userId) t.sites.expireTokens();
  });
});

registerDriveResolver((t, driveId) => t.sites.libraryDrive(driveId));
