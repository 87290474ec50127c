// Control API for Teams, as its users would change it: list teams and channels, create a channel (optionally in
// migration mode), post a message or a reply, edit or soft-delete one, read one back as Graph renders it (to verify
// a restore), and set Teams' per-team rate limit.
import { z } from 'zod';
import { ControlContext, ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';
import { channelJson, messageJson } from './json';
import { teamsThrottle } from '../teams-throttle';
import { iso, type ChannelRecord } from './generate';
import type { ChannelMessages, TeamStore } from './store';
import './store'; // registers every tenant's Teams store

function teamOf(ctx: ControlContext): TeamStore {
  const team = ctx.tenant.teams.team(ctx.params.teamId);
  if (!team) throw new ControlError(404, `no team '${ctx.params.teamId}'`);
  return team;
}

function channelOf(ctx: ControlContext): { team: TeamStore; channel: ChannelRecord; messages: ChannelMessages } {
  const team = teamOf(ctx);
  const channel = team.channels.get(ctx.params.channelId);
  if (!channel) throw new ControlError(404, `no channel '${ctx.params.channelId}'`);
  return { team, channel, messages: team.messagesOf(channel.id)! };
}

const channelSummary = (c: ChannelRecord): Record<string, unknown> => ({
  id: c.id,
  displayName: c.displayName,
  membershipType: c.membershipType,
  migration: c.migration ?? null,
});
const BODY = z.object({ body: z.string(), contentType: z.enum(['html', 'text']).default('html') });
const CHANNEL = '/teams/{teamId}/channels/{channelId}';

registerControlRoutes([
  {
    method: 'GET',
    path: '/teams',
    handler: (ctx) =>
      controlJson(
        200,
        ctx.tenant.teams.all().map((team) => ({
          id: team.id,
          displayName: ctx.tenant.directory.group(team.id)!.displayName,
          channels: [...team.channels.all()].map(channelSummary),
        })),
      ),
  },
  {
    method: 'GET',
    path: '/teams/{teamId}/channels',
    handler: (ctx) => controlJson(200, [...teamOf(ctx).channels.all()].map(channelSummary)),
  },
  {
    method: 'POST',
    path: '/teams/{teamId}/channels',
    async handler(ctx) {
      const team = teamOf(ctx);
      const b = await input(
        ctx,
        z.object({
          displayName: z.string().min(1),
          membershipType: z.enum(['standard', 'private', 'shared']).default('standard'),
          migration: z.boolean().default(false),
        }),
      );
      const channel = team.createChannel({
        displayName: b.displayName,
        description: null,
        membershipType: b.membershipType,
        createdDateTime: iso(ctx.emulator.clock.now()),
        isFavoriteByDefault: false,
        ...(b.membershipType === 'standard'
          ? {}
          : { members: ctx.tenant.directory.group(team.id)!.members.slice(0, 1) }),
        ...(b.migration ? { migration: 'inProgress' as const } : {}),
      });
      if (!channel) throw new ControlError(409, `channel '${b.displayName}' exists`);
      return controlJson(201, channelJson(ctx.tenant, team.id, channel));
    },
  },
  {
    method: 'POST',
    path: `${CHANNEL}/messages`,
    async handler(ctx) {
      const { messages } = channelOf(ctx);
      const b = await input(ctx, BODY.extend({ from: z.string().optional(), replyTo: z.string().optional() }));
      if (b.replyTo !== undefined && !messages.roots.get(b.replyTo))
        throw new ControlError(404, `no root message '${b.replyTo}'`);
      const sender = b.from ? ctx.tenant.user(b.from) : ctx.tenant.directory.correspondents()[0];
      if (!sender) throw new ControlError(404, `no user '${b.from}'`);
      const at = iso(ctx.emulator.clock.now());
      const m = messages.post({
        replyToId: b.replyTo ?? null,
        createdDateTime: at,
        lastModifiedDateTime: at,
        lastEditedDateTime: null,
        deletedDateTime: null,
        subject: null,
        importance: 'normal',
        from: { id: sender.id, displayName: sender.displayName },
        body: { contentType: b.contentType, content: b.body },
        mentions: [],
        attachments: [],
        reactions: [],
      });
      return controlJson(201, { id: m.id });
    },
  },
  {
    method: 'GET',
    path: `${CHANNEL}/messages/{id}`,
    handler(ctx) {
      const { team, channel, messages } = channelOf(ctx);
      const m = messages.find(ctx.params.id);
      if (!m) throw new ControlError(404, `no message '${ctx.params.id}'`);
      return controlJson(
        200,
        messageJson(ctx.tenant, team.id, channel.id, m, m.replyToId === null ? messages.repliesOf(m.id) : undefined),
      );
    },
  },
  {
    method: 'PATCH',
    path: `${CHANNEL}/messages/{id}`,
    async handler(ctx) {
      const { messages } = channelOf(ctx);
      const b = await input(ctx, BODY);
      if (
        !messages.change(ctx.params.id, ctx.emulator.clock.now(), {
          body: { contentType: b.contentType, content: b.body },
        })
      )
        throw new ControlError(404, `no live message '${ctx.params.id}'`);
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: `${CHANNEL}/messages/{id}`,
    handler(ctx) {
      const { messages } = channelOf(ctx);
      if (!messages.change(ctx.params.id, ctx.emulator.clock.now(), 'delete'))
        throw new ControlError(404, `no live message '${ctx.params.id}'`);
      return { status: 204 };
    },
  },
  { method: 'GET', path: '/teams-throttle', handler: (ctx) => controlJson(200, teamsThrottle(ctx.emulator).settings) },
  {
    method: 'PUT',
    path: '/teams-throttle',
    async handler(ctx) {
      const s = teamsThrottle(ctx.emulator);
      s.settings = await input(ctx, z.object({ requestsPerSecond: z.number().int().min(1).nullable() }));
      s.lanes.clear();
      return controlJson(200, s.settings);
    },
  },
]);
