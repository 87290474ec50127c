// A tenant: its directory (users, groups), its Exchange mailboxes (mail, calendar, contacts), its app registrations
// (F's registry), the Exchange application access policies, and the files/sites/teams stores F's workloads attach
// through `registerTenantExtension`. Everything is generated lazily and deterministically from the tenant's seed;
// all change logs share the tenant's change sequence.
import { AppRegistration, demoApps } from '../auth/apps';
import type { SeqClock } from './change-log';
import { Directory, UserRecord } from '../directory/model';
import { Mailbox } from '../mail/mailbox';
import type { MailAddress } from '../mail/message';
import { Profile } from './profile';
import { guidOf } from './seeded';

/** Stores other workloads add to every tenant (module augmentation: `declare module '.../tenant/tenant' { interface TenantExtensions { drives: DriveStore } }`). */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- augmented by each workload module (declaration merging)
export interface TenantExtensions {}

const extensions: Array<(t: Tenant) => void> = [];

/** Runs `init` on every tenant created from now on (register at module load, before the emulator starts). */
export function registerTenantExtension(init: (t: Tenant) => void): void {
  extensions.push(init);
}

/** Exchange application access policies: apps denied access to chosen mailboxes (403 ErrorAccessDenied). */
export class AccessPolicy {
  private readonly denied = new Map<string, Set<string>>();

  /** Replaces the mailboxes `appId` may not open (canonical user ids). */
  set(appId: string, mailboxes: string[]): void {
    if (mailboxes.length) this.denied.set(appId, new Set(mailboxes));
    else this.denied.delete(appId);
  }

  denies(appId: string, mailbox: string): boolean {
    return this.denied.get(appId)?.has(mailbox) ?? false;
  }

  list(): Record<string, string[]> {
    return Object.fromEntries([...this.denied].map(([k, v]) => [k, [...v]]));
  }
}

export interface TenantOptions {
  seed: string;
  profile: Profile;
  /** Current time of the emulator clock (timestamps of changes). */
  now: () => number;
  apps?: AppRegistration[];
}

// The merged interface lets other workloads' stores appear as typed fields of Tenant.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- merges TenantExtensions into the class
export interface Tenant extends TenantExtensions {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Tenant {
  readonly id: string;
  readonly domain: string;
  readonly seed: string;
  readonly profile: Profile;
  /** When the generated tenant was "created" (fixed, so output never depends on today). */
  readonly created = new Date('2025-01-06T08:00:00Z');
  /** Generated mail and events fall before/around this instant. */
  readonly anchor: Date;
  readonly changes: SeqClock;
  readonly directory: Directory;
  apps: AppRegistration[];
  readonly accessPolicy = new AccessPolicy();
  readonly now: () => number;
  /** Called by the control API's "expire delta tokens" (userId: one user's data only); workloads add their stores. */
  readonly tokenExpiryHooks: Array<(userId?: string) => void> = [];
  private readonly mailboxes = new Map<string, Mailbox>();

  constructor(opts: TenantOptions) {
    this.seed = opts.seed;
    this.profile = opts.profile;
    this.now = opts.now;
    this.id = guidOf(opts.seed, 'tenant');
    this.domain = `${opts.seed.replace(/[^a-z0-9]/gi, '').toLowerCase() || 'contoso'}.onmicrosoft.com`;
    this.anchor = new Date(opts.profile.anchor);
    let seq = 0;
    this.changes = { next: () => ++seq, current: () => seq };
    this.directory = new Directory(this.seed, this.domain, this.profile, this.changes, this.created);
    this.apps = opts.apps ?? demoApps(opts.seed);
    for (const init of extensions) init(this);
  }

  user(idOrName: string): UserRecord | undefined {
    return this.directory.user(idOrName);
  }

  /** The user's Exchange mailbox, or undefined when the user has none (unlicensed, licence removed, guest, deleted). */
  mailbox(userIdOrName: string): Mailbox | undefined {
    const user = this.user(userIdOrName);
    if (!user?.mailEnabled) return undefined;
    let mb = this.mailboxes.get(user.id);
    if (!mb) {
      mb = new Mailbox(
        {
          seed: this.seed,
          domain: this.domain,
          profile: this.profile,
          clock: this.changes,
          anchor: this.anchor,
          now: this.now,
          peers: (id) => this.peers(id),
        },
        user,
      );
      this.mailboxes.set(user.id, mb);
    }
    return mb;
  }

  private peerList: MailAddress[] | undefined;

  /** Correspondents for generated mail: the tenant's licensed people (excluding `userId` when possible). */
  private peers(userId: string): readonly MailAddress[] {
    this.peerList ??= this.directory
      .correspondents()
      .map((u) => ({ name: u.displayName, address: u.mail ?? u.userPrincipalName }));
    const self = this.user(userId)?.mail;
    const others = this.peerList.filter((p) => p.address !== self);
    return others.length ? others : this.peerList;
  }

  /** Mailboxes already opened (control API state reads); generation stays lazy. */
  openedMailboxes(): Mailbox[] {
    return [...this.mailboxes.values()];
  }

  /** Expires delta tokens (410 on next use): the directory's unless a user is named, the user's mailbox(es), other workloads' via hooks. */
  expireTokens(userId?: string): void {
    if (!userId) {
      this.directory.users.expire();
      this.directory.groups.expire();
    }
    for (const mb of this.openedMailboxes()) if (!userId || mb.user.id === userId) mb.expireTokens();
    for (const hook of this.tokenExpiryHooks) hook(userId);
  }

  /** Canonical throttling / policy key: a user's object id when the key names a user, else the key itself. */
  mailboxKey(raw: string): string {
    return this.user(raw)?.id ?? raw;
  }
}
