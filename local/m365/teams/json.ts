// Graph v1.0 JSON of the Teams resources: team, channel, chatMessage (with its identity sets, mentions, reference
// attachments and reactions), aadUserConversationMember and teamsTab (+ teamsApp), shaped like the documented
// responses (api-reference/v1.0: team-get, channel-list, chatmessage-delta, team-list-members, channel-list-tabs).
import type { GroupRecord, UserRecord } from '../directory/model';
import type { ChannelRecord, ChatMessageRecord, Person, TabRecord } from './generate';
import type { TeamStore } from './store';
import { hashOf } from '../tenant/seeded';
import type { Tenant } from '../tenant/tenant';

const teamsLink = (path: string, query: Record<string, string>): string =>
  `https://teams.microsoft.com/l/${path}?${new URLSearchParams(query).toString()}`;

/** Who a chat message, mention or reaction names (chatMessageFromIdentitySet with a teamworkUserIdentity). */
const identitySet = (t: Tenant, p: Person): Record<string, unknown> => ({
  application: null,
  device: null,
  user: {
    '@odata.type': '#microsoft.graph.teamworkUserIdentity',
    id: p.id,
    displayName: p.displayName,
    userIdentityType: 'aadUser',
    tenantId: t.id,
  },
});

/** Members of the team: the group's members, the first of them the owner. */
export function teamMembers(t: Tenant, group: GroupRecord): Array<{ user: UserRecord; roles: string[] }> {
  return group.members
    .map((id) => t.directory.users.get(id))
    .filter((u): u is UserRecord => u !== undefined)
    .map((user, i) => ({ user, roles: i === 0 ? ['owner'] : user.userType === 'Guest' ? ['guest'] : [] }));
}

export function teamJson(t: Tenant, group: GroupRecord, team: TeamStore): Record<string, unknown> {
  const members = teamMembers(t, group);
  return {
    id: group.id,
    createdDateTime: group.createdDateTime,
    displayName: group.displayName,
    description: group.description,
    internalId: team.internalId,
    classification: null,
    specialization: 'none',
    visibility: (group.visibility ?? 'private').toLowerCase(),
    webUrl: teamsLink(`team/${encodeURIComponent(team.internalId)}/conversations`, {
      groupId: group.id,
      tenantId: t.id,
    }),
    isArchived: false,
    tenantId: t.id,
    isMembershipLimitedToOwners: false,
    memberSettings: {
      allowCreateUpdateChannels: true,
      allowCreatePrivateChannels: true,
      allowDeleteChannels: true,
      allowAddRemoveApps: true,
      allowCreateUpdateRemoveTabs: true,
      allowCreateUpdateRemoveConnectors: true,
    },
    guestSettings: { allowCreateUpdateChannels: false, allowDeleteChannels: false },
    messagingSettings: {
      allowUserEditMessages: true,
      allowUserDeleteMessages: true,
      allowOwnerDeleteMessages: true,
      allowTeamMentions: true,
      allowChannelMentions: true,
    },
    funSettings: {
      allowGiphy: true,
      giphyContentRating: 'moderate',
      allowStickersAndMemes: true,
      allowCustomMemes: true,
    },
    discoverySettings: { showInTeamsSearchAndSuggestions: false },
    summary: {
      ownersCount: members.filter((m) => m.roles.includes('owner')).length,
      membersCount: members.filter((m) => !m.roles.length).length,
      guestsCount: members.filter((m) => m.roles.includes('guest')).length,
    },
  };
}

export function channelJson(t: Tenant, teamId: string, c: ChannelRecord): Record<string, unknown> {
  // Only standard channels have an e-mail address.
  const email =
    c.membershipType === 'standard' ? `${hashOf(c.id).toString('hex').slice(0, 8)}.${t.domain}@emea.teams.ms` : '';
  return {
    id: c.id,
    createdDateTime: c.createdDateTime,
    displayName: c.displayName,
    description: c.description,
    isFavoriteByDefault: c.isFavoriteByDefault,
    email,
    tenantId: t.id,
    webUrl: teamsLink(`channel/${encodeURIComponent(c.id)}/${encodeURIComponent(c.displayName)}`, {
      groupId: teamId,
      tenantId: t.id,
    }),
    membershipType: c.membershipType,
    isArchived: false,
  };
}

export function memberJson(t: Tenant, scopeId: string, user: UserRecord, roles: string[]): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.aadUserConversationMember',
    // Opaque to clients (Graph's say so); like Graph's, the base64 of the scope and the user.
    id: Buffer.from(`${scopeId}##${user.id}`).toString('base64'),
    roles,
    displayName: user.displayName,
    visibleHistoryStartDateTime: '0001-01-01T00:00:00Z',
    userId: user.id,
    email: user.mail ?? user.userPrincipalName,
    tenantId: t.id,
  };
}

export function tabJson(channelId: string, tab: TabRecord, expandApp: boolean): Record<string, unknown> {
  return {
    id: tab.id,
    displayName: tab.displayName,
    webUrl: teamsLink(`channel/${encodeURIComponent(channelId)}/tab::${tab.id}`, { label: tab.displayName }),
    configuration: tab.configuration,
    sortOrderIndex: tab.sortOrderIndex,
    ...(expandApp
      ? {
          teamsApp: { id: tab.app.id, externalId: null, displayName: tab.app.displayName, distributionMethod: 'store' },
        }
      : {}),
  };
}

export function messageJson(
  t: Tenant,
  teamId: string,
  channelId: string,
  m: ChatMessageRecord,
  replies?: ChatMessageRecord[],
): Record<string, unknown> {
  const root = m.replyToId ?? m.id;
  return {
    '@odata.type': '#microsoft.graph.chatMessage',
    id: m.id,
    replyToId: m.replyToId,
    etag: String(Date.parse(m.lastModifiedDateTime)),
    messageType: 'message',
    createdDateTime: m.createdDateTime,
    lastModifiedDateTime: m.lastModifiedDateTime,
    lastEditedDateTime: m.lastEditedDateTime,
    deletedDateTime: m.deletedDateTime,
    subject: m.subject,
    summary: null,
    chatId: null,
    importance: m.importance,
    locale: 'en-us',
    webUrl: teamsLink(`message/${encodeURIComponent(channelId)}/${m.id}`, {
      groupId: teamId,
      tenantId: t.id,
      createdTime: m.id,
      parentMessageId: root,
    }),
    policyViolation: null,
    eventDetail: null,
    from: m.from ? identitySet(t, m.from) : null,
    body: m.body,
    channelIdentity: { teamId, channelId },
    attachments: m.attachments.map((a) => ({
      id: a.id,
      contentType: 'reference',
      contentUrl: a.contentUrl,
      content: null,
      name: a.name,
      thumbnailUrl: null,
      teamsAppId: null,
    })),
    mentions: m.mentions.map((p, i) => ({
      id: i,
      mentionText: p.displayName,
      mentioned: { ...identitySet(t, p), conversation: null },
    })),
    reactions: m.reactions.map((r) => ({
      reactionType: r.reactionType,
      createdDateTime: r.createdDateTime,
      user: identitySet(t, r.user),
    })),
    messageHistory: [],
    ...(replies ? { replies: replies.map((x) => messageJson(t, teamId, channelId, x)) } : {}),
  };
}
