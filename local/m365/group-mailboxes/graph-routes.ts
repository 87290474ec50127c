// A Microsoft 365 group's mailbox over Graph v1.0 as an app-only caller meets it: conversations, threads and posts
// are readable (Group-Conversation.Read.All and up), post attachments only through $expand=attachments; creating
// conversations or threads, replying, the attachments collection and the group calendar are delegated-only in v1.0
// and answer app tokens 403 ErrorAccessDenied, as Graph does. There is no delta: clients compare
// lastDeliveredDateTime. Every call is throttled per group mailbox, like a user's mailbox.
import { GraphError, itemNotFound, mailboxNotEnabled } from '../graph/errors';
import { applySelect, listPage, option, selectOf } from '../graph/odata';
import { GraphContext, ok, registerRoutes, RouteSpec } from '../graph/router';
import { conversationJson, postJson, threadJson } from './json';
import type { GroupMailbox, GroupPostRecord, ThreadView } from './model';
import './model'; // registers every tenant's group mailboxes

// Application permissions of the v1.0 reference pages (conversation, conversationThread, post: list and get).
const READ = [
  'Group-Conversation.Read.All',
  'Group-Conversation.ReadWrite.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
];
// Delegated permissions of the pages whose Application row says "Not supported".
const WRITE = ['Group-Conversation.ReadWrite.All', 'Group.ReadWrite.All'];
const GROUP_READ = ['Group.Read.All', 'Group.ReadWrite.All'];
const PAGE = { fallback: 10, max: 1000 };

/**
 * Graph's answer to app tokens on delegated-only group mailbox calls (reply: microsoftgraph/microsoft-graph-docs#3606;
 * post attachments: #14567; group events: msgraph-sdk-powershell#623): the role check passes, Exchange refuses.
 */
const appOnlyRefused = (): GraphError =>
  new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');

function mailboxOf(ctx: GraphContext): GroupMailbox {
  const id = ctx.params.groupId;
  const mb = ctx.tenant.groupMailboxes.of(id);
  if (mb) return mb;
  // A security group has no mailbox to open; an unknown id names no mailbox at all (both answers unverified).
  if (ctx.tenant.directory.group(id)) throw mailboxNotEnabled();
  throw new GraphError(404, 'ErrorInvalidUser', `The requested user '${id}' is invalid.`);
}

/** The thread of the path; under /conversations/{id} it must belong to that conversation. */
function threadOf(ctx: GraphContext): { mb: GroupMailbox; view: ThreadView } {
  const mb = mailboxOf(ctx);
  const view = mb.thread(ctx.params.threadId);
  if (!view || (ctx.params.conversationId !== undefined && view.thread.conversationId !== ctx.params.conversationId))
    throw itemNotFound();
  return { mb, view };
}

function postOf(ctx: GraphContext): { mb: GroupMailbox; view: ThreadView; post: GroupPostRecord } {
  const { mb, view } = threadOf(ctx);
  const post = view.posts.find((p) => p.id === ctx.params.postId);
  if (!post) throw itemNotFound();
  return { mb, view, post };
}

/** A post as the query asks: `$expand=attachments` (with their bytes) or `inReplyTo`, then `$select`. */
function renderPost(
  ctx: GraphContext,
  mb: GroupMailbox,
  view: ThreadView,
  p: GroupPostRecord,
): Record<string, unknown> {
  const expand = (option(ctx.query, '$expand') ?? '').split(',').map((x) => x.trim().toLowerCase());
  const parent = expand.includes('inreplyto') ? { parent: view.posts.find((x) => x.id === p.inReplyTo) ?? null } : {};
  return applySelect(postJson(mb, p, { attachments: expand.includes('attachments'), ...parent }), selectOf(ctx.query));
}

/** A page of a collection with Graph's context, `$filter` and `$select` applied to the rendered objects. */
function collection(ctx: GraphContext, context: string, items: Array<Record<string, unknown>>): ReturnType<typeof ok> {
  const { page, nextLink } = listPage(ctx, items, PAGE);
  const select = selectOf(ctx.query);
  return ok({
    '@odata.context': `${ctx.baseUrl}/$metadata#groups('${ctx.params.groupId}')/${context}`,
    ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
    value: page.map((x) => applySelect(x, select)),
  });
}

const route = (
  method: RouteSpec['method'],
  path: string,
  permissions: string[],
  handler: RouteSpec['handler'],
): RouteSpec => ({
  method,
  path,
  workload: 'groupMailbox',
  permissions,
  mailbox: (ctx) => ctx.params.groupId,
  handler,
});

const refused = (method: RouteSpec['method'], path: string, permissions: string[]): RouteSpec =>
  route(method, path, permissions, () => {
    throw appOnlyRefused();
  });

const GROUP = '/groups/{groupId}';
// Threads and their posts are addressed with or without their conversation.
const THREADS = [`${GROUP}/threads/{threadId}`, `${GROUP}/conversations/{conversationId}/threads/{threadId}`];

registerRoutes([
  route('GET', `${GROUP}/conversations`, READ, (ctx) =>
    collection(ctx, 'conversations', mailboxOf(ctx).conversations().map(conversationJson)),
  ),
  route('GET', `${GROUP}/conversations/{conversationId}`, READ, (ctx) => {
    const c = mailboxOf(ctx).conversation(ctx.params.conversationId);
    if (!c) throw itemNotFound();
    return ok({
      '@odata.context': `${ctx.baseUrl}/$metadata#groups('${ctx.params.groupId}')/conversations/$entity`,
      ...applySelect(conversationJson(c), selectOf(ctx.query)),
    });
  }),
  route('GET', `${GROUP}/conversations/{conversationId}/threads`, READ, (ctx) => {
    const mb = mailboxOf(ctx);
    const c = mb.conversation(ctx.params.conversationId);
    if (!c) throw itemNotFound();
    return collection(
      ctx,
      `conversations('${c.id}')/threads`,
      c.threads.map((v) => threadJson(mb, v)),
    );
  }),
  route('GET', `${GROUP}/threads`, READ, (ctx) => {
    const mb = mailboxOf(ctx);
    return collection(
      ctx,
      'threads',
      mb.threadViews().map((v) => threadJson(mb, v)),
    );
  }),
  ...THREADS.flatMap((thread) => [
    route('GET', thread, READ, (ctx) => {
      const { mb, view } = threadOf(ctx);
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#groups('${ctx.params.groupId}')/threads/$entity`,
        ...applySelect(threadJson(mb, view), selectOf(ctx.query)),
      });
    }),
    route('GET', `${thread}/posts`, READ, (ctx) => {
      const { mb, view } = threadOf(ctx);
      const { page, nextLink } = listPage(ctx, view.posts, PAGE);
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#groups('${ctx.params.groupId}')/threads('${encodeURIComponent(view.thread.id)}')/posts`,
        ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
        value: page.map((p) => renderPost(ctx, mb, view, p)),
      });
    }),
    route('GET', `${thread}/posts/{postId}`, READ, (ctx) => {
      const { mb, view, post } = postOf(ctx);
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#groups('${ctx.params.groupId}')/threads('${encodeURIComponent(view.thread.id)}')/posts/$entity`,
        ...renderPost(ctx, mb, view, post),
      });
    }),
    refused('GET', `${thread}/posts/{postId}/attachments`, READ),
    refused('GET', `${thread}/posts/{postId}/attachments/{attachmentId}`, READ),
    refused('POST', `${thread}/reply`, WRITE),
    refused('POST', `${thread}/posts/{postId}/reply`, WRITE),
  ]),
  refused('POST', `${GROUP}/threads`, WRITE),
  refused('POST', `${GROUP}/conversations`, WRITE),
  refused('POST', `${GROUP}/conversations/{conversationId}/threads`, WRITE),
  // The group calendar: every v1.0 page (calendar, events, calendarView, create) lists no application permission.
  refused('GET', `${GROUP}/calendar`, GROUP_READ),
  refused('GET', `${GROUP}/events`, GROUP_READ),
  refused('GET', `${GROUP}/calendar/events`, GROUP_READ),
  refused('GET', `${GROUP}/events/{eventId}`, GROUP_READ),
  refused('GET', `${GROUP}/calendarView`, GROUP_READ),
  refused('POST', `${GROUP}/events`, ['Group.ReadWrite.All']),
  refused('POST', `${GROUP}/calendar/events`, ['Group.ReadWrite.All']),
]);
