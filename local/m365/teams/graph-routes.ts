// Microsoft Teams over Graph v1.0: teams (the Microsoft 365 groups provisioned as teams), channels, team and channel
// members, tabs, channel messages and replies, channel message delta (root messages; a reply's change brings its
// root back), getAllMessages (metered), and the writes a restore needs — channel creation and message import, which
// app-only tokens may only do in migration mode (Teamwork.Migrate.All). Every call is keyed per team for throttling.
import { deltaResponse } from '../graph/delta';
import { GraphError, syncStateNotFound } from '../graph/errors';
import { applySelect, filterOf, listPage, option, selectOf } from '../graph/odata';
import { created, GraphContext, GraphResult, noContent, ok, registerRoutes, RouteSpec } from '../graph/router';
import { selectFor } from '../graph/schema';
import { channelJson, memberJson, messageJson, tabJson, teamJson, teamMembers } from './json';
import { admitTeamRequest } from '../teams-throttle';
import type { GroupRecord } from '../directory/model';
import { ChannelRecord, ChatMessageRecord, iso, MembershipType, Person } from './generate';
import type { ChannelMessages, TeamStore } from './store';
import './store'; // registers every tenant's Teams store

// Application permissions per the v1.0 reference pages; Group.*/Directory.* only where Graph still accepts them.
const LEGACY = ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const READ_TEAM = ['Team.ReadBasic.All', 'TeamSettings.Read.All', 'TeamSettings.ReadWrite.All', ...LEGACY];
const READ_CHANNELS = ['Channel.ReadBasic.All', 'ChannelSettings.Read.All', 'ChannelSettings.ReadWrite.All', ...LEGACY];
const READ_TEAM_MEMBERS = ['TeamMember.Read.All', 'TeamMember.ReadWrite.All'];
const READ_CHANNEL_MEMBERS = ['ChannelMember.Read.All', 'ChannelMember.ReadWrite.All'];
const READ_TABS = ['TeamsTab.Read.All', 'TeamsTab.ReadWriteForTeam.All', 'TeamsTab.ReadWrite.All', ...LEGACY];
const READ_MESSAGES = ['ChannelMessage.Read.All'];
const MIGRATE = ['Teamwork.Migrate.All'];
const CREATE_CHANNEL = ['Channel.Create', 'Teamwork.Migrate.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'];

/** Graph's answer to an app-only message POST outside migration mode (observed, MicrosoftDocs/msteams-docs#12992). */
const IMPORT_ONLY =
  'Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.';
const MAX_TOP = 50;

const notFound = (what: string): GraphError => new GraphError(404, 'NotFound', what);

function teamOf(ctx: GraphContext): { group: GroupRecord; team: TeamStore } {
  const group = ctx.tenant.directory.group(ctx.params.teamId);
  const team = group && ctx.tenant.teams.team(group.id);
  if (!group || !team) throw notFound(`No team found with Group Id ${ctx.params.teamId}`);
  return { group, team };
}

function channelOf(ctx: GraphContext): {
  group: GroupRecord;
  team: TeamStore;
  channel: ChannelRecord;
  messages: ChannelMessages;
} {
  const { group, team } = teamOf(ctx);
  const channel = team.channels.get(ctx.params.channelId);
  if (!channel) throw notFound('Channel not found.');
  return { group, team, channel, messages: team.messagesOf(channel.id)! };
}

function rootOf(ctx: GraphContext): ReturnType<typeof channelOf> & { root: ChatMessageRecord } {
  const c = channelOf(ctx);
  const root = c.messages.roots.get(ctx.params.messageId);
  if (!root) throw notFound('Message not found.');
  return { ...c, root };
}

/** $top on message collections: 1 to 50 (the documented maximum); anything else is refused rather than capped. */
function checkTop(ctx: GraphContext): void {
  const raw = option(ctx.query, '$top');
  if (raw === undefined) return;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOP)
    throw new GraphError(
      400,
      'BadRequest',
      `Invalid $top value '${raw}': the page size must be between 1 and ${MAX_TOP}.`,
    );
}

const expands = (text: string | undefined, what: string): boolean =>
  (text ?? '').split(',').some((x) => x.trim().toLowerCase() === what.toLowerCase());

/** The one $filter channel message delta supports: `lastModifiedDateTime gt {dateTime}` (ms since epoch). */
function modifiedSince(text: string): number {
  const m = /^\s*lastModifiedDateTime\s+gt\s+(\S+)\s*$/i.exec(text);
  const at = m ? Date.parse(m[1]) : NaN;
  if (Number.isNaN(at))
    throw new GraphError(
      400,
      'BadRequest',
      `Invalid filter clause: only 'lastModifiedDateTime gt {dateTime}' is supported ('${text}').`,
    );
  return at;
}

const context = (ctx: GraphContext, teamId: string, rest = ''): string =>
  `${ctx.baseUrl}/$metadata#teams('${teamId}')${rest}`;
const channelContext = (ctx: GraphContext, teamId: string, channelId: string, rest: string): string =>
  context(ctx, teamId, `/channels('${encodeURIComponent(channelId)}')${rest}`);

/** A page of chat messages, newest first, with $top ≤ 50, $expand=replies and a $skiptoken nextLink. */
function messagePage(
  ctx: GraphContext,
  contextUrl: string,
  items: ChatMessageRecord[],
  render: (m: ChatMessageRecord, withReplies: boolean) => unknown,
): GraphResult {
  checkTop(ctx);
  const newest = [...items].sort(
    (a, b) => Date.parse(b.createdDateTime) - Date.parse(a.createdDateTime) || Number(b.id) - Number(a.id),
  );
  const { page, nextLink } = listPage(ctx, newest, { fallback: 20, max: MAX_TOP });
  const withReplies = expands(option(ctx.query, '$expand'), 'replies');
  const select = selectFor(ctx, 'chatMessage');
  return ok({
    '@odata.context': contextUrl,
    ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    value: page.map((m) => applySelect(render(m, withReplies) as Record<string, unknown>, select)),
  });
}

/** The sender of an imported message: `from.user` (id required; the directory's name when the id is a user). */
function importedPerson(
  ctx: GraphContext,
  value: { id?: string; displayName?: string } | undefined,
  what: string,
): Person {
  if (!value?.id) throw new GraphError(400, 'BadRequest', `${what}.user.id is required when importing messages.`);
  return { id: value.id, displayName: ctx.tenant.user(value.id)?.displayName ?? value.displayName ?? value.id };
}

interface ImportBody {
  createdDateTime?: string;
  from?: { user?: { id?: string; displayName?: string } };
  body?: { contentType?: string; content?: string };
  subject?: string | null;
  importance?: string;
  mentions?: Array<{ mentioned?: { user?: { id?: string; displayName?: string } } }>;
  attachments?: Array<{ id?: string; contentType?: string; contentUrl?: string; name?: string }>;
}

/** Message import (migration mode only): the message keeps the client's createdDateTime and sender. */
async function importMessage(ctx: GraphContext, replyToId: string | null): Promise<GraphResult> {
  const { team, channel, messages } = channelOf(ctx);
  if (replyToId !== null && !messages.roots.get(replyToId)) throw notFound('Message not found.');
  if (channel.migration !== 'inProgress') throw new GraphError(403, 'Forbidden', IMPORT_ONLY);
  const b = await ctx.json<ImportBody>();
  const at = Date.parse(b.createdDateTime ?? '');
  if (Number.isNaN(at) || at > ctx.emulator.clock.now())
    throw new GraphError(
      400,
      'BadRequest',
      'createdDateTime is required when importing messages and may not be in the future.',
    );
  const m = messages.post({
    replyToId,
    createdDateTime: iso(at),
    lastModifiedDateTime: iso(at),
    lastEditedDateTime: null,
    deletedDateTime: null,
    subject: replyToId === null ? (b.subject ?? null) : null,
    importance: b.importance === 'high' ? 'high' : 'normal',
    from: importedPerson(ctx, b.from?.user, 'from'),
    body: { contentType: b.body?.contentType === 'text' ? 'text' : 'html', content: b.body?.content ?? '' },
    mentions: (b.mentions ?? []).map((x) => importedPerson(ctx, x.mentioned?.user, 'mentioned')),
    attachments: (b.attachments ?? [])
      .filter((a) => a.contentType === 'reference' && a.id && a.contentUrl)
      .map((a) => ({ id: a.id!, name: a.name ?? '', contentUrl: a.contentUrl! })),
    reactions: [],
  });
  const rest = replyToId === null ? '/messages/$entity' : `/messages('${replyToId}')/replies/$entity`;
  return created({
    '@odata.context': channelContext(ctx, team.id, channel.id, rest),
    ...messageJson(ctx.tenant, team.id, channel.id, m),
  });
}

interface ChannelBody {
  displayName?: string;
  description?: string | null;
  membershipType?: string;
  createdDateTime?: string;
  '@microsoft.graph.channelCreationMode'?: string;
}

async function createChannel(ctx: GraphContext): Promise<GraphResult> {
  const { group, team } = teamOf(ctx);
  const b = await ctx.json<ChannelBody>();
  const name = b.displayName?.trim() ?? '';
  if (!name || name.length > 50 || /[~#%&*{}+/\\:<>?|'"]/.test(name))
    throw new GraphError(
      400,
      'BadRequest',
      'displayName is required: at most 50 characters, without ~ # % & * { } + / \\ : < > ? | \' ".',
    );
  const membershipType = (b.membershipType ?? 'standard') as MembershipType;
  if (!['standard', 'private', 'shared'].includes(membershipType))
    throw new GraphError(400, 'BadRequest', `Invalid membershipType '${b.membershipType}'.`);
  const mode = b['@microsoft.graph.channelCreationMode'];
  if (mode !== undefined && mode !== 'migration')
    throw new GraphError(400, 'BadRequest', `Invalid channelCreationMode '${mode}'.`);
  const migration = mode === 'migration';
  if (migration && !ctx.caller.roles.has('Teamwork.Migrate.All'))
    throw new GraphError(
      403,
      'Forbidden',
      'Creating a channel in migration mode requires the Teamwork.Migrate.All permission.',
    );
  // A channel being imported may start in the past, so imported messages fall inside its lifetime.
  const at = migration && b.createdDateTime ? Date.parse(b.createdDateTime) : ctx.emulator.clock.now();
  if (Number.isNaN(at)) throw new GraphError(400, 'BadRequest', `Invalid createdDateTime '${b.createdDateTime}'.`);
  const owner = teamMembers(ctx.tenant, group)[0]?.user.id;
  const channel = team.createChannel({
    displayName: name,
    description: b.description ?? null,
    membershipType,
    createdDateTime: iso(at),
    isFavoriteByDefault: false,
    ...(membershipType === 'standard' ? {} : { members: owner ? [owner] : [] }),
    ...(migration ? { migration: 'inProgress' as const } : {}),
  });
  if (!channel) throw new GraphError(409, 'NameAlreadyExists', 'Channel name already existed, please use other name.');
  return created({
    '@odata.context': context(ctx, team.id, '/channels/$entity'),
    ...channelJson(ctx.tenant, team.id, channel),
  });
}

/** A Teams route: per-team throttling key and Teams' own per-team rate limit before the handler. */
function teams(
  method: RouteSpec['method'],
  path: string,
  permissions: string[],
  handler: RouteSpec['handler'],
): RouteSpec {
  return {
    method,
    path,
    workload: 'teams',
    permissions,
    mailbox: (ctx) => ctx.params.teamId,
    handler(ctx) {
      admitTeamRequest(ctx.emulator, ctx.caller.appId, ctx.params.teamId);
      return handler(ctx);
    },
  };
}

const CHANNEL = '/teams/{teamId}/channels/{channelId}';

registerRoutes([
  {
    // The tenant's teams: only id, displayName and description, as Graph documents; not keyed to one team.
    method: 'GET',
    path: '/teams',
    workload: 'teams',
    permissions: READ_TEAM.filter((p) => !LEGACY.includes(p)),
    handler(ctx) {
      const all = ctx.tenant.teams
        .all()
        .map((team) => ctx.tenant.directory.group(team.id)!)
        .map((g) => ({ id: g.id, displayName: g.displayName, description: g.description }));
      const { page, nextLink } = listPage(ctx, all, { fallback: 100, max: 999 });
      const select = selectOf(ctx.query);
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#teams`,
        ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
        value: page.map((x) => applySelect(x, select)),
      });
    },
  },
  teams('GET', '/teams/{teamId}', READ_TEAM, (ctx) => {
    const { group, team } = teamOf(ctx);
    return ok({ '@odata.context': `${ctx.baseUrl}/$metadata#teams/$entity`, ...teamJson(ctx.tenant, group, team) });
  }),
  teams('GET', '/teams/{teamId}/members', READ_TEAM_MEMBERS, (ctx) => {
    const { group, team } = teamOf(ctx);
    const value = teamMembers(ctx.tenant, group).map((m) => memberJson(ctx.tenant, team.id, m.user, m.roles));
    return ok({ '@odata.context': context(ctx, team.id, '/members'), '@odata.count': value.length, value });
  }),
  teams('GET', '/teams/{teamId}/channels', READ_CHANNELS, (ctx) => {
    const { team } = teamOf(ctx);
    const filter = filterOf(ctx.query);
    const value = [...team.channels.all()]
      .map((c) => channelJson(ctx.tenant, team.id, c))
      .filter((c) => !filter || filter(c));
    return ok({ '@odata.context': context(ctx, team.id, '/channels'), '@odata.count': value.length, value });
  }),
  teams('POST', '/teams/{teamId}/channels', CREATE_CHANNEL, createChannel),
  teams('GET', CHANNEL, READ_CHANNELS, (ctx) => {
    const { team, channel } = channelOf(ctx);
    return ok({
      '@odata.context': context(ctx, team.id, '/channels/$entity'),
      ...channelJson(ctx.tenant, team.id, channel),
    });
  }),
  teams('GET', `${CHANNEL}/members`, READ_CHANNEL_MEMBERS, (ctx) => {
    const { group, team, channel } = channelOf(ctx);
    const all = teamMembers(ctx.tenant, group);
    // Standard channels are open to the whole team; private and shared ones to their own members.
    const members = channel.members
      ? channel.members
          .map((id, i) => ({ user: ctx.tenant.directory.users.get(id), roles: i === 0 ? ['owner'] : [] }))
          .filter((m) => m.user)
      : all;
    const value = members.map((m) => memberJson(ctx.tenant, channel.id, m.user!, m.roles));
    return ok({
      '@odata.context': channelContext(ctx, team.id, channel.id, '/members'),
      '@odata.count': value.length,
      value,
    });
  }),
  teams('GET', `${CHANNEL}/tabs`, READ_TABS, (ctx) => {
    const { team, channel } = channelOf(ctx);
    const app = expands(option(ctx.query, '$expand'), 'teamsApp');
    const filter = filterOf(ctx.query);
    // $filter may name teamsApp/id, so tabs are filtered with their app and lose it after unless it was expanded.
    const value = team
      .tabsOf(channel.id)
      .map((tab) => tabJson(channel.id, tab, true))
      .filter((x) => !filter || filter(x))
      .map(({ teamsApp, ...rest }) => (app ? { ...rest, teamsApp } : rest));
    return ok({
      '@odata.context': channelContext(ctx, team.id, channel.id, `/tabs${app ? '(teamsApp())' : ''}`),
      '@odata.count': value.length,
      value,
    });
  }),
  teams('GET', `${CHANNEL}/messages`, READ_MESSAGES, (ctx) => {
    const { team, channel, messages } = channelOf(ctx);
    return messagePage(
      ctx,
      channelContext(ctx, team.id, channel.id, '/messages'),
      [...messages.roots.all()],
      (m, withReplies) =>
        messageJson(ctx.tenant, team.id, channel.id, m, withReplies ? messages.repliesOf(m.id) : undefined),
    );
  }),
  teams('POST', `${CHANNEL}/messages`, MIGRATE, (ctx) => importMessage(ctx, null)),
  teams('GET', `${CHANNEL}/messages/delta`, READ_MESSAGES, (ctx) => {
    const { team, channel, messages } = channelOf(ctx);
    checkTop(ctx);
    const filter = option(ctx.query, '$filter');
    if (filter !== undefined) modifiedSince(filter);
    const skip = option(ctx.query, '$skip');
    if (skip !== undefined && !/^\d+$/.test(skip))
      throw new GraphError(400, 'BadRequest', `Invalid $skip value '${skip}': it must be a non-negative integer.`);
    const log = messages.roots;
    return deltaResponse(ctx, {
      log,
      linkPath: `/teams/${team.id}/channels/${channel.id}/messages/delta`,
      context: 'Collection(chatMessage)',
      pageSize: { fallback: 20, max: MAX_TOP },
      // $skip: "how many messages to skip at the beginning of the list" (chatmessage-delta), i.e. of the first round.
      noSelect: true,
      selectType: 'chatMessage',
      roundParams: ['$top', '$filter', '$expand', '$skip'],
      expired: () => syncStateNotFound(log.generation),
      // Root messages only; $filter keeps the reply chains changed after its instant (the root carries the chain's time).
      render: (c, o) => {
        const since = o.params?.$filter === undefined ? undefined : modifiedSince(o.params.$filter);
        if (since !== undefined && Date.parse(c.item.lastModifiedDateTime) <= since) return [];
        return [
          messageJson(
            ctx.tenant,
            team.id,
            channel.id,
            c.item,
            expands(o.params?.$expand, 'replies') ? messages.repliesOf(c.id) : undefined,
          ),
        ];
      },
    });
  }),
  teams('GET', `${CHANNEL}/messages/{messageId}`, READ_MESSAGES, (ctx) => {
    const { team, channel, messages, root } = rootOf(ctx);
    const withReplies = expands(option(ctx.query, '$expand'), 'replies');
    return ok({
      '@odata.context': channelContext(ctx, team.id, channel.id, '/messages/$entity'),
      ...applySelect(
        messageJson(ctx.tenant, team.id, channel.id, root, withReplies ? messages.repliesOf(root.id) : undefined),
        selectFor(ctx, 'chatMessage'),
      ),
    });
  }),
  teams('GET', `${CHANNEL}/messages/{messageId}/replies`, READ_MESSAGES, (ctx) => {
    const { team, channel, messages, root } = rootOf(ctx);
    return messagePage(
      ctx,
      channelContext(ctx, team.id, channel.id, `/messages('${root.id}')/replies`),
      messages.repliesOf(root.id),
      (m) => messageJson(ctx.tenant, team.id, channel.id, m),
    );
  }),
  teams('POST', `${CHANNEL}/messages/{messageId}/replies`, MIGRATE, (ctx) => importMessage(ctx, ctx.params.messageId)),
  teams('GET', `${CHANNEL}/messages/{messageId}/replies/{replyId}`, READ_MESSAGES, (ctx) => {
    const { team, channel, messages, root } = rootOf(ctx);
    const reply = messages.replies.get(ctx.params.replyId);
    if (!reply || reply.replyToId !== root.id) throw notFound('Message not found.');
    return ok({
      '@odata.context': channelContext(ctx, team.id, channel.id, `/messages('${root.id}')/replies/$entity`),
      ...applySelect(messageJson(ctx.tenant, team.id, channel.id, reply), selectFor(ctx, 'chatMessage')),
    });
  }),
  teams('POST', `${CHANNEL}/completeMigration`, MIGRATE, (ctx) => {
    const { team, channel } = channelOf(ctx);
    if (channel.migration !== 'inProgress')
      throw new GraphError(400, 'BadRequest', 'The channel is not in migration mode.');
    team.channels.update({ ...channel, migration: 'completed' }, ['migration']);
    return noContent();
  }),
  teams('GET', '/teams/{teamId}/channels/getAllMessages', READ_MESSAGES, (ctx) => {
    // A metered API: without a licensing model (A or B) this emulator answers 402, evaluation quotas are not modelled.
    const model = option(ctx.query, 'model');
    if (model !== 'A' && model !== 'B')
      throw new GraphError(
        402,
        'PaymentRequired',
        'This metered API requires a licensing and payment model: add model=A or model=B (https://aka.ms/teams-api-payment-requirements).',
      );
    const { team } = teamOf(ctx);
    // Roots and replies of every channel; records stay the keys, so $filter and paging work on them directly.
    const channelIdOf = new Map<ChatMessageRecord, string>();
    for (const c of team.channels.all()) {
      const m = team.messagesOf(c.id)!;
      for (const x of [...m.roots.all(), ...m.replies.all()]) channelIdOf.set(x, c.id);
    }
    return messagePage(ctx, `${ctx.baseUrl}/$metadata#Collection(chatMessage)`, [...channelIdOf.keys()], (m) =>
      messageJson(ctx.tenant, team.id, channelIdOf.get(m)!, m),
    );
  }),
]);
