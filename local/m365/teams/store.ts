// Microsoft Teams state of a tenant: a team per Microsoft 365 group provisioned as one, created lazily from the
// generator; channels and each channel's messages are change logs (root messages for delta, replies beside them),
// so posting, editing and soft-deleting go through the tenant's change sequence. A reply's change also updates its
// root's lastModifiedDateTime, which makes the root reappear in channel message delta, as in Teams.
import { arrayBase, ChangeLog, SeqClock } from '../tenant/change-log';
import type { GroupRecord } from '../directory/model';
import {
  ChannelRecord,
  ChatMessageRecord,
  generateChannels,
  generateMessages,
  generateTabs,
  iso,
  Person,
  TabRecord,
  TeamSeed,
  threadId,
} from './generate';
import { registerTenantExtension, Tenant } from '../tenant/tenant';

export class ChannelMessages {
  readonly roots: ChangeLog<ChatMessageRecord>;
  readonly replies: ChangeLog<ChatMessageRecord>;

  constructor(
    key: string,
    generate: () => { roots: ChatMessageRecord[]; replies: ChatMessageRecord[] },
    clock: SeqClock,
  ) {
    let generated: ReturnType<typeof generate> | undefined;
    const once = (): ReturnType<typeof generate> => (generated ??= generate());
    this.roots = new ChangeLog(
      `${key}/messages`,
      arrayBase(() => once().roots),
      clock,
    );
    this.replies = new ChangeLog(
      `${key}/replies`,
      arrayBase(() => once().replies),
      clock,
    );
  }

  repliesOf(rootId: string): ChatMessageRecord[] {
    return [...this.replies.all()].filter((m) => m.replyToId === rootId);
  }

  /** A root or a reply by id. */
  find(id: string): ChatMessageRecord | undefined {
    return this.roots.get(id) ?? this.replies.get(id);
  }

  /** Adds a root message or (replyToId set) a reply; the id is its creation time in ms, made unique as Teams does. */
  post(m: Omit<ChatMessageRecord, 'id'>): ChatMessageRecord {
    let ms = Date.parse(m.createdDateTime);
    while (this.find(String(ms))) ms++;
    const record = { ...m, id: String(ms) };
    if (record.replyToId === null) {
      this.roots.create(record);
    } else {
      this.replies.create(record);
      this.touchRoot(record.replyToId, record.lastModifiedDateTime);
    }
    return record;
  }

  /** Edits the body (lastEditedDateTime set) or soft-deletes (body emptied, deletedDateTime set) a root or reply. */
  change(
    id: string,
    at: number,
    change: { body: ChatMessageRecord['body'] } | 'delete',
  ): ChatMessageRecord | undefined {
    const m = this.find(id);
    if (!m || m.deletedDateTime) return undefined;
    const when = iso(at);
    const next: ChatMessageRecord =
      change === 'delete'
        ? {
            ...m,
            body: { contentType: 'html', content: '' },
            subject: null,
            mentions: [],
            attachments: [],
            reactions: [],
            deletedDateTime: when,
            lastModifiedDateTime: when,
          }
        : { ...m, body: change.body, lastEditedDateTime: when, lastModifiedDateTime: when };
    const props = change === 'delete' ? ['body', 'deletedDateTime'] : ['body', 'lastEditedDateTime'];
    if (m.replyToId === null) {
      this.roots.update(next, props);
    } else {
      this.replies.update(next, props);
      this.touchRoot(m.replyToId, when);
    }
    return next;
  }

  private touchRoot(rootId: string, when: string): void {
    const root = this.roots.get(rootId);
    if (root) this.roots.update({ ...root, lastModifiedDateTime: when }, ['replies']);
  }

  expire(): void {
    this.roots.expire();
  }
}

export class TeamStore {
  readonly channels: ChangeLog<ChannelRecord>;
  private readonly messages = new Map<string, ChannelMessages>();

  constructor(
    private readonly seed: TeamSeed,
    private readonly clock: SeqClock,
  ) {
    this.channels = new ChangeLog(
      `teams/${seed.teamId}/channels`,
      arrayBase(() => generateChannels(seed)),
      clock,
    );
  }

  get id(): string {
    return this.seed.teamId;
  }

  /** The team's thread id (internalId), which is also its General channel's id. */
  get internalId(): string {
    return this.channels.base.at(0).id;
  }

  messagesOf(channelId: string): ChannelMessages | undefined {
    const channel = this.channels.get(channelId);
    if (!channel) return undefined;
    let m = this.messages.get(channel.id);
    if (!m) {
      // Channels created after the team was generated start empty.
      const generated = this.channels.base.indexOf(channel.id) !== undefined;
      m = new ChannelMessages(
        `teams/${this.seed.teamId}/channels/${channel.id}`,
        () => (generated ? generateMessages(this.seed, channel) : { roots: [], replies: [] }),
        this.clock,
      );
      this.messages.set(channel.id, m);
    }
    return m;
  }

  tabsOf(channelId: string): TabRecord[] {
    const index = this.channels.base.indexOf(channelId);
    const channel = this.channels.get(channelId);
    return channel && index !== undefined ? generateTabs(this.seed, channel, index) : [];
  }

  /** Creates a channel, or answers undefined when a live channel has that name (names are unique per team). */
  createChannel(c: Omit<ChannelRecord, 'id'>): ChannelRecord | undefined {
    if ([...this.channels.all()].some((x) => x.displayName.toLowerCase() === c.displayName.toLowerCase()))
      return undefined;
    const record = {
      ...c,
      id: threadId(this.seed.seed, this.seed.teamId, 'created', c.displayName, this.clock.current()),
    };
    this.channels.create(record);
    return record;
  }

  openedChannels(): IterableIterator<ChannelMessages> {
    return this.messages.values();
  }
}

export class TeamsStore {
  private readonly teams = new Map<string, TeamStore>();

  constructor(private readonly tenant: Tenant) {}

  /** The team of a Microsoft 365 group provisioned as a team, or undefined for any other id. */
  team(groupId: string): TeamStore | undefined {
    const group = this.tenant.directory.group(groupId);
    if (!group?.resourceProvisioningOptions.includes('Team')) return undefined;
    let team = this.teams.get(group.id);
    if (!team) {
      team = new TeamStore(this.seedOf(group), this.tenant.changes);
      this.teams.set(group.id, team);
    }
    return team;
  }

  /** Every team of the tenant, in directory order. */
  all(): TeamStore[] {
    return [...this.tenant.directory.groups.all()]
      .map((g) => this.team(g.id))
      .filter((t): t is TeamStore => t !== undefined);
  }

  /** Expires every channel message delta token handed out so far (410 on next use). */
  expire(): void {
    for (const team of this.teams.values()) for (const channel of team.openedChannels()) channel.expire();
  }

  private seedOf(group: GroupRecord): TeamSeed {
    const people = this.tenant.directory
      .generatedMembers(group)
      .map((u): Person => ({ id: u.id, displayName: u.displayName }));
    return {
      seed: this.tenant.seed,
      domain: this.tenant.domain,
      teamId: group.id,
      teamName: group.displayName,
      teamCreated: group.createdDateTime,
      people,
      anchor: this.tenant.anchor,
    };
  }
}

declare module '../tenant/tenant' {
  interface TenantExtensions {
    teams: TeamsStore;
  }
}

registerTenantExtension((t) => {
  t.teams = new TeamsStore(t);
  // Channel messages belong to no user's mailbox: only a tenant-wide expiry invalidates their tokens.
  t.tokenExpiryHooks.push((userId) => {
    if (!userId) t.teams.expire();
  });
});
