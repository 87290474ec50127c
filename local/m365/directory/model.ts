// The tenant's directory: users (licensed, shared mailboxes, a guest, unlicensed, licence-removed, soft-deleted)
// and groups (Microsoft 365 groups with a group mailbox, some of them teams; security groups) with static
// memberships. Base objects are generated from (seed, index); changes go through change logs, so /users/delta and
// /groups/delta (members@delta) see them.
import { arrayBase, ChangeLog, SeqClock } from '../tenant/change-log';
import { CITIES, DEPARTMENTS, firstNameOf, JOB_TITLES, lastNameOf, mailNickname } from '../tenant/names';
import type { Profile } from '../tenant/profile';
import { guidOf, pick, rng } from '../tenant/seeded';

export type UserKind = 'member' | 'shared' | 'guest' | 'unlicensed' | 'former' | 'deleted';

export interface UserRecord {
  id: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  userPrincipalName: string;
  mail: string | null;
  mailNickname: string;
  jobTitle: string | null;
  department: string | null;
  officeLocation: string | null;
  businessPhones: string[];
  mobilePhone: string | null;
  preferredLanguage: string | null;
  usageLocation: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  createdDateTime: string;
  assignedLicenses: Array<{ skuId: string; disabledPlans: string[] }>;
  // Emulator facts, not Graph properties (never rendered):
  kind: UserKind;
  licensed: boolean;
  /** Has an Exchange Online mailbox (members and shared mailboxes). */
  mailEnabled: boolean;
  oneDriveProvisioned: boolean;
}

export interface GroupRecord {
  id: string;
  displayName: string;
  description: string | null;
  mail: string | null;
  mailEnabled: boolean;
  mailNickname: string;
  securityEnabled: boolean;
  groupTypes: string[];
  visibility: string | null;
  resourceProvisioningOptions: string[];
  createdDateTime: string;
  /** Member user ids (static memberships). */
  members: string[];
}

/** Detail of a membership change, for members@delta. */
export interface MembershipChange {
  added: string[];
  removed: string[];
}

const E5 = 'c7df2760-2c81-4ef7-b578-5b5392b571df'; // Office 365 E5 SKU id
const GROUP_NAMES = [
  'Marketing',
  'Project Falcon',
  'Finance Team',
  'Leadership',
  'Support Rota',
  'Product Design',
  'Events Übersicht',
  'Sales EMEA',
];

export class Directory {
  readonly users: ChangeLog<UserRecord>;
  readonly groups: ChangeLog<GroupRecord>;
  private upnIndex: Map<string, string> | undefined;

  constructor(
    private readonly seed: string,
    private readonly domain: string,
    private readonly profile: Profile,
    clock: SeqClock,
    private readonly created: Date,
  ) {
    const p = profile;
    const total = p.licensedUsers + p.sharedMailboxes + 1 + p.unlicensedUsers + p.formerMailboxUsers + p.deletedUsers;
    this.users = new ChangeLog(
      'users',
      arrayBase(() => Array.from({ length: total }, (_, i) => this.userAt(i))),
      clock,
    );
    const g = p.groups;
    this.groups = new ChangeLog(
      'groups',
      arrayBase(() => Array.from({ length: g.unified + g.security }, (_, i) => this.groupAt(i))),
      clock,
    );
    for (const u of [...this.users.all()].filter((x) => x.kind === 'deleted')) this.users.remove(u.id, 'changed');
  }

  private iso(offsetDays: number): string {
    return new Date(this.created.getTime() + offsetDays * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private userAt(i: number): UserRecord {
    const p = this.profile;
    const id = guidOf(this.seed, 'user', i);
    const r = rng(this.seed, 'user', i);
    const person = (
      n: number,
      kind: UserKind,
      licensed: boolean,
      mailEnabled: boolean,
      keepMail: boolean,
    ): UserRecord => {
      const first = firstNameOf(n);
      const last = lastNameOf(n);
      const nick = `${mailNickname(first)}${n >= 26 ? n : ''}`;
      const upn = `${nick}@${this.domain}`;
      return {
        id,
        displayName: `${first} ${last}`,
        givenName: first,
        surname: last,
        userPrincipalName: upn,
        mail: keepMail ? upn : null,
        mailNickname: nick,
        jobTitle: pick(r, JOB_TITLES),
        department: pick(r, DEPARTMENTS),
        officeLocation: pick(r, CITIES),
        businessPhones: [`+1 425 555 0${String(100 + n).slice(-3)}`],
        mobilePhone: null,
        preferredLanguage: 'en-US',
        usageLocation: 'US',
        accountEnabled: true,
        userType: 'Member',
        createdDateTime: this.iso(-400 + n),
        assignedLicenses: licensed ? [{ skuId: E5, disabledPlans: [] }] : [],
        kind,
        licensed,
        mailEnabled,
        oneDriveProvisioned: licensed,
      };
    };
    let n = i;
    if (n < p.licensedUsers) return person(n, 'member', true, true, true);
    n -= p.licensedUsers;
    if (n < p.sharedMailboxes) {
      const nick = n === 0 ? 'info' : `shared${n}`;
      const upn = `${nick}@${this.domain}`;
      return {
        id,
        displayName: n === 0 ? 'Info Desk' : `Shared Mailbox ${n}`,
        givenName: null,
        surname: null,
        userPrincipalName: upn,
        mail: upn,
        mailNickname: nick,
        jobTitle: null,
        department: null,
        officeLocation: null,
        businessPhones: [],
        mobilePhone: null,
        preferredLanguage: null,
        usageLocation: null,
        accountEnabled: false,
        userType: 'Member',
        createdDateTime: this.iso(-300),
        assignedLicenses: [],
        kind: 'shared',
        licensed: false,
        mailEnabled: true,
        oneDriveProvisioned: false,
      };
    }
    n -= p.sharedMailboxes;
    if (n === 0) {
      return {
        // As in Entra: a guest's mail is its external address, though it has no mailbox in this tenant.
        id,
        displayName: 'Guest Reviewer',
        givenName: null,
        surname: null,
        userPrincipalName: `guest_reviewer_outlook.com#EXT#@${this.domain}`,
        mail: 'guest_reviewer@outlook.com',
        mailNickname: 'guest_reviewer_outlook.com#EXT#',
        jobTitle: null,
        department: null,
        officeLocation: null,
        businessPhones: [],
        mobilePhone: null,
        preferredLanguage: null,
        usageLocation: null,
        accountEnabled: true,
        userType: 'Guest',
        createdDateTime: this.iso(-100),
        assignedLicenses: [],
        kind: 'guest',
        licensed: false,
        mailEnabled: false,
        oneDriveProvisioned: false,
      };
    }
    n -= 1;
    // The remaining people continue the name sequence after the licensed users.
    const personIndex = p.licensedUsers + n;
    if (n < p.unlicensedUsers) return person(personIndex, 'unlicensed', false, false, false);
    n -= p.unlicensedUsers;
    if (n < p.formerMailboxUsers) return person(personIndex, 'former', false, false, true);
    return person(personIndex, 'deleted', true, true, true);
  }

  private groupAt(i: number): GroupRecord {
    const g = this.profile.groups;
    const r = rng(this.seed, 'group', i);
    const unified = i < g.unified;
    const name = `${GROUP_NAMES[i % GROUP_NAMES.length]}${i >= GROUP_NAMES.length ? ` ${Math.floor(i / GROUP_NAMES.length) + 1}` : ''}`;
    const nick = `${mailNickname(name)}`;
    const people = this.profile.licensedUsers;
    const members = new Set<string>();
    for (let k = 0; k < Math.min(g.membersPerGroup, people); k++)
      members.add(guidOf(this.seed, 'user', Math.floor(r() * people)));
    return {
      id: guidOf(this.seed, 'group', i),
      displayName: unified ? name : `${name} (security)`,
      description: unified ? `Microsoft 365 group for ${name}` : `Access group for ${name}`,
      mail: unified ? `${nick}@${this.domain}` : null,
      mailEnabled: unified,
      mailNickname: unified ? nick : `${nick}-sec`,
      securityEnabled: !unified,
      groupTypes: unified ? ['Unified'] : [],
      visibility: unified ? 'Private' : null,
      resourceProvisioningOptions: unified && i < g.teams ? ['Team'] : [],
      createdDateTime: this.iso(-200 + i),
      members: [...members],
    };
  }

  /** A live user by object id, user principal name or primary SMTP address. */
  user(idOrName: string): UserRecord | undefined {
    const byId = this.users.get(idOrName);
    if (byId) return byId;
    const key = idOrName.toLowerCase();
    if (!this.upnIndex) {
      this.upnIndex = new Map();
      for (let i = 0; i < this.users.base.count; i++) {
        const u = this.users.base.at(i);
        this.upnIndex.set(u.userPrincipalName.toLowerCase(), u.id);
        if (u.mail) this.upnIndex.set(u.mail.toLowerCase(), u.id);
      }
    }
    const indexed = this.upnIndex.get(key);
    const hit = indexed ? this.users.get(indexed) : undefined;
    if (hit && (hit.userPrincipalName.toLowerCase() === key || hit.mail?.toLowerCase() === key)) return hit;
    // Renamed or created users are few: scan the overlay.
    for (const e of this.users.overlay())
      if (e.item && (e.item.userPrincipalName.toLowerCase() === key || e.item.mail?.toLowerCase() === key))
        return e.item;
    return undefined;
  }

  private people: UserRecord[] | undefined;

  /** Licensed people with mailboxes, as correspondents for generated mail (base users; cached). */
  correspondents(): readonly UserRecord[] {
    return (this.people ??= Array.from({ length: this.users.base.count }, (_, i) => this.users.base.at(i)).filter(
      (u) => u.mailEnabled && u.kind === 'member',
    ));
  }

  group(id: string): GroupRecord | undefined {
    return this.groups.get(id);
  }

  /**
   * A group's members as first generated (base records; a created group's own members), or a few correspondents
   * when it has none: content generated for a group (team messages, group conversations) must not change when its
   * membership changes later.
   */
  generatedMembers(group: GroupRecord): UserRecord[] {
    const index = this.groups.base.indexOf(group.id);
    const original = index === undefined ? group : this.groups.base.at(index);
    const userOf = (id: string): UserRecord | undefined => {
      const i = this.users.base.indexOf(id);
      return i === undefined ? this.user(id) : this.users.base.at(i);
    };
    const members = original.members.map(userOf).filter((u): u is UserRecord => u !== undefined);
    return members.length ? members : this.correspondents().slice(0, 3);
  }

  setMembers(groupId: string, change: MembershipChange): GroupRecord {
    const g = this.groups.get(groupId);
    if (!g) throw new Error(`no group ${groupId}`);
    const members = new Set(g.members);
    const added = change.added.filter((m) => !members.has(m));
    const removed = change.removed.filter((m) => members.has(m));
    added.forEach((m) => members.add(m));
    removed.forEach((m) => members.delete(m));
    const next = { ...g, members: [...members] };
    this.groups.update(next, ['members'], { added, removed } satisfies MembershipChange);
    return next;
  }
}
