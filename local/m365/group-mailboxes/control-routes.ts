// Control API for group mailboxes, as the group's members would change them: list a group's conversations with their
// threads and posts, start a conversation, post into a thread (a reply, optionally with a file), delete a thread, and
// read a post back as Graph renders it with its attachments (to verify a restore).
import { z } from 'zod';
import { ControlContext, ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';
import { postJson } from './json';
import type { GroupMailbox, NewPost } from './model';
import { isoSeconds } from '../mail/message';
import './model'; // registers every tenant's group mailboxes

function mailboxOf(ctx: ControlContext): GroupMailbox {
  const mb = ctx.tenant.groupMailboxes.of(ctx.params.groupId);
  if (!mb) throw new ControlError(404, `no Microsoft 365 group '${ctx.params.groupId}'`);
  return mb;
}

const POST = z.object({
  body: z.string(),
  /** Sender: a user id or UPN; the group's first member by default. */
  from: z.string().optional(),
  attachment: z
    .object({
      name: z.string().min(1),
      contentType: z.string().default('application/octet-stream'),
      contentBase64: z.string(),
    })
    .optional(),
});

function newPost(ctx: ControlContext, mb: GroupMailbox, b: z.infer<typeof POST>): NewPost {
  const sender = b.from ? ctx.tenant.user(b.from) : ctx.tenant.directory.generatedMembers(mb.group)[0];
  if (!sender) throw new ControlError(404, `no user '${b.from}'`);
  const bytes = b.attachment && Buffer.from(b.attachment.contentBase64, 'base64');
  return {
    from: { name: sender.displayName, address: sender.mail ?? sender.userPrincipalName },
    body: b.body,
    attachments:
      b.attachment && bytes
        ? [
            {
              name: b.attachment.name,
              contentType: b.attachment.contentType,
              size: bytes.length,
              isInline: false,
              lastModifiedDateTime: isoSeconds(ctx.emulator.clock.now()),
              source: { bytes },
            },
          ]
        : [],
  };
}

const MAILBOX = '/group-mailbox/{groupId}';

registerControlRoutes([
  {
    method: 'GET',
    path: `${MAILBOX}/conversations`,
    handler: (ctx) =>
      controlJson(
        200,
        mailboxOf(ctx)
          .conversations()
          .map((c) => ({
            id: c.id,
            topic: c.topic,
            lastDeliveredDateTime: c.lastDeliveredDateTime,
            threads: c.threads.map((t) => ({
              id: t.thread.id,
              lastDeliveredDateTime: t.lastDeliveredDateTime,
              posts: t.posts.map((p) => ({
                id: p.id,
                from: p.from.address,
                receivedDateTime: p.receivedDateTime,
                inReplyTo: p.inReplyTo,
                attachments: p.attachments.length,
              })),
            })),
          })),
      ),
  },
  {
    method: 'POST',
    path: `${MAILBOX}/conversations`,
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const b = await input(ctx, POST.extend({ topic: z.string().min(1) }));
      const { thread, post } = mb.startConversation(b.topic, newPost(ctx, mb, b));
      return controlJson(201, { conversationId: thread.conversationId, threadId: thread.id, postId: post.id });
    },
  },
  {
    method: 'POST',
    path: `${MAILBOX}/threads/{threadId}/posts`,
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const b = await input(ctx, POST.extend({ inReplyTo: z.string().optional() }));
      const view = mb.thread(ctx.params.threadId);
      if (!view) throw new ControlError(404, `no thread '${ctx.params.threadId}'`);
      // A reply answers the named post, else the thread's latest, as a mail client's Reply would.
      const inReplyTo = b.inReplyTo ?? view.posts.at(-1)?.id ?? null;
      if (inReplyTo !== null && !view.posts.some((p) => p.id === inReplyTo))
        throw new ControlError(404, `no post '${inReplyTo}' in the thread`);
      const post = mb.post(view.thread.id, { ...newPost(ctx, mb, b), inReplyTo })!;
      return controlJson(201, { id: post.id });
    },
  },
  {
    method: 'DELETE',
    path: `${MAILBOX}/threads/{threadId}`,
    handler(ctx) {
      if (!mailboxOf(ctx).deleteThread(ctx.params.threadId))
        throw new ControlError(404, `no thread '${ctx.params.threadId}'`);
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    path: `${MAILBOX}/posts/{postId}`,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const post = mb.posts.get(ctx.params.postId);
      if (!post) throw new ControlError(404, `no post '${ctx.params.postId}'`);
      return controlJson(200, { ...postJson(mb, post, { attachments: true }), inReplyToId: post.inReplyTo });
    },
  },
]);
