// What a generated team contains, as a pure function of (seed, team id, its members): a General channel, two more
// standard channels, a private one and, in about half the teams, a shared one; per channel root messages (text and
// html bodies, @mentions, a reference attachment to a file, reactions), reply chains on some, some edited, some
// soft-deleted (body emptied, as Teams does), and the channel's tabs. Message ids are creation times in epoch
// milliseconds, as Teams' are.
import { mailNickname, sentencesFor } from '../tenant/names';
import { between, guidOf, hashOf, pick, rng } from '../tenant/seeded';

export type MembershipType = 'standard' | 'private' | 'shared';

/** A person as Teams shows them (teamworkUserIdentity). */
export interface Person {
  id: string;
  displayName: string;
}

export interface ChannelRecord {
  id: string;
  displayName: string;
  description: string | null;
  membershipType: MembershipType;
  createdDateTime: string;
  isFavoriteByDefault: boolean;
  // Emulator facts, not Graph properties:
  /** Private and shared channels: who has access (else the team's members). */
  members?: string[];
  /** Created with @microsoft.graph.channelCreationMode 'migration' (app-only posting allowed until completed). */
  migration?: 'inProgress' | 'completed';
}

export interface ChatMessageRecord {
  id: string;
  replyToId: string | null;
  createdDateTime: string;
  /** For a root: the latest change of its whole reply chain (a new or edited reply moves it). */
  lastModifiedDateTime: string;
  lastEditedDateTime: string | null;
  deletedDateTime: string | null;
  subject: string | null;
  importance: 'normal' | 'high';
  from: Person | null;
  body: { contentType: 'text' | 'html'; content: string };
  /** Mention i is `<at id="i">` in the html body. */
  mentions: Person[];
  attachments: Array<{ id: string; name: string; contentUrl: string }>;
  reactions: Array<{ reactionType: string; createdDateTime: string; user: Person }>;
}

export interface TabRecord {
  id: string;
  displayName: string;
  sortOrderIndex: string;
  app: { id: string; displayName: string };
  configuration: {
    entityId: string | null;
    contentUrl: string | null;
    websiteUrl: string | null;
    removeUrl: string | null;
  } | null;
}

export interface TeamSeed {
  seed: string;
  domain: string;
  teamId: string;
  teamName: string;
  teamCreated: string;
  /** Members first (the first is the owner); never empty. */
  people: Person[];
  /** Generated messages fall in the weeks before this instant. */
  anchor: Date;
}

const CHANNELS: ReadonlyArray<{ name: string; type: MembershipType }> = [
  { name: 'General', type: 'standard' },
  { name: 'Projects', type: 'standard' },
  { name: 'Announcements 📣', type: 'standard' },
  { name: 'Leadership', type: 'private' },
  { name: 'Partners', type: 'shared' },
];
const FILES = ['Budget 2026.xlsx', 'Roadmap Q3.pptx', 'Vertragsentwurf – Übersicht.docx', 'Minutes.docx'];
const REACTIONS = ['like', 'heart', 'laugh', 'surprised'];
const HOUR = 3_600_000;

export const threadId = (...parts: Array<string | number>): string =>
  `19:${hashOf(...parts)
    .toString('hex')
    .slice(0, 32)}@thread.tacv2`;
export const iso = (ms: number): string => new Date(ms).toISOString();

export function generateChannels(s: TeamSeed): ChannelRecord[] {
  // "Optionally" a shared channel: about half of the teams have one.
  const withShared = hashOf(s.seed, s.teamId, 'shared')[0] % 2 === 0;
  const created = Date.parse(s.teamCreated);
  return CHANNELS.filter((c) => c.type !== 'shared' || withShared).map((c, i) => ({
    id: i === 0 ? threadId(s.seed, s.teamId, 'general') : threadId(s.seed, s.teamId, 'channel', c.name),
    displayName: c.name,
    description: i === 0 ? `Discussions for ${s.teamName}` : null,
    membershipType: c.type,
    createdDateTime: iso(created + i * HOUR),
    isFavoriteByDefault: i === 0,
    ...(c.type === 'standard' ? {} : { members: s.people.slice(0, 2).map((p) => p.id) }),
  }));
}

/** A channel's generated messages: roots oldest first, and their replies. */
export function generateMessages(
  s: TeamSeed,
  channel: ChannelRecord,
): { roots: ChatMessageRecord[]; replies: ChatMessageRecord[] } {
  const r = rng(s.seed, s.teamId, channel.id, 'messages');
  const count = between(r, 6, 12);
  const roots: ChatMessageRecord[] = [];
  const replies: ChatMessageRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = s.anchor.getTime() - (count - i) * 26 * HOUR + Math.floor(r() * HOUR);
    const root = message(s, channel, r, i, at, null);
    const chain =
      i % 3 === 1
        ? Array.from({ length: between(r, 1, 3) }, (_, k) =>
            message(s, channel, r, i + k + 1, at + (k + 1) * 7 * 60_000 + Math.floor(r() * 60_000), root.id),
          )
        : [];
    replies.push(...chain);
    const latest = Math.max(...[root, ...chain].map((m) => Date.parse(m.lastModifiedDateTime)));
    roots.push({ ...root, lastModifiedDateTime: iso(latest) });
  }
  return { roots, replies };
}

function message(
  s: TeamSeed,
  channel: ChannelRecord,
  r: () => number,
  i: number,
  at: number,
  replyToId: string | null,
): ChatMessageRecord {
  const from = pick(r, s.people);
  const other = s.people.find((p) => p.id !== from.id) ?? from;
  const text = sentencesFor(r, between(r, 1, 2));
  const base: ChatMessageRecord = {
    id: String(at),
    replyToId,
    createdDateTime: iso(at),
    lastModifiedDateTime: iso(at),
    lastEditedDateTime: null,
    deletedDateTime: null,
    subject: replyToId === null && i % 4 === 0 ? text.split(' ').slice(0, 3).join(' ') : null,
    importance: i % 9 === 4 ? 'high' : 'normal',
    from,
    body: { contentType: 'html', content: `<p>${text}</p>` },
    mentions: [],
    attachments: [],
    reactions: [],
  };
  if (i % 7 === 5) {
    // Soft-deleted: Teams keeps the message with deletedDateTime and an empty body.
    const gone = at + 2 * HOUR;
    return {
      ...base,
      subject: null,
      body: { contentType: 'html', content: '' },
      deletedDateTime: iso(gone),
      lastModifiedDateTime: iso(gone),
    };
  }
  const kind = i % 4;
  if (kind === 1) base.body = { contentType: 'text', content: text };
  if (kind === 0) {
    base.body.content = `<div><p>${text} <at id="0">${other.displayName}</at></p></div>`;
    base.mentions = [other];
  }
  if (kind === 2) {
    const name = pick(r, FILES);
    const id = guidOf(s.seed, channel.id, 'attachment', at);
    base.body.content = `<div><p>${text}</p><attachment id="${id}"></attachment></div>`;
    base.attachments = [
      {
        id,
        name,
        contentUrl: `https://${s.domain.split('.')[0]}.sharepoint.com/sites/${mailNickname(s.teamName)}/Shared Documents/${channel.displayName}/${name}`,
      },
    ];
  }
  if (i % 3 === 0)
    base.reactions = s.people.slice(0, 1 + (i % 2)).map((p, k) => ({
      reactionType: REACTIONS[(i + k) % REACTIONS.length],
      createdDateTime: iso(at + (k + 1) * 60_000),
      user: p,
    }));
  if (i % 5 === 2) {
    const edited = at + 4 * 60_000;
    base.body.content =
      base.body.contentType === 'text'
        ? `${base.body.content} (edited)`
        : base.body.content.replace(/<\/p>/, ' (edited)</p>');
    base.lastEditedDateTime = iso(edited);
    base.lastModifiedDateTime = iso(edited);
  }
  return base;
}

const TAB_APPS = {
  web: { id: 'com.microsoft.teamspace.tab.web', displayName: 'Website' },
  planner: { id: 'com.microsoft.teamspace.tab.planner', displayName: 'Tasks by Planner and To Do' },
  word: { id: 'com.microsoft.teamspace.tab.file.staticviewer.word', displayName: 'Word' },
};

export function generateTabs(s: TeamSeed, channel: ChannelRecord, index: number): TabRecord[] {
  const site = `https://${s.domain.split('.')[0]}.sharepoint.com/sites/${mailNickname(s.teamName)}`;
  const tab = (
    key: keyof typeof TAB_APPS,
    displayName: string,
    contentUrl: string | null,
    order: number,
  ): TabRecord => {
    const id = guidOf(s.seed, channel.id, 'tab', key);
    return {
      id,
      displayName,
      sortOrderIndex: String(10000 + order * 100),
      app: TAB_APPS[key],
      configuration: contentUrl ? { entityId: id, contentUrl, websiteUrl: contentUrl, removeUrl: null } : null,
    };
  };
  return [
    tab('web', 'Intranet', `${site}/SitePages/Home.aspx`, 0),
    ...(index === 0 ? [tab('planner', 'Tasks', null, 1)] : []),
    ...(channel.membershipType === 'standard'
      ? [tab('word', 'Minutes', `${site}/Shared Documents/${channel.displayName}/Minutes.docx`, 2)]
      : []),
  ];
}
