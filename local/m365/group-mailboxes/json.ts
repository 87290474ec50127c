// Graph's JSON of a group mailbox's conversation, conversationThread and post, shared by the Graph routes and the
// control API (which reads posts back to verify restores).
import { fileAttachmentJson } from '../mail/outlook';
import type { ConversationView, GroupMailbox, GroupPostRecord, ThreadView } from './model';
import type { MailAddress } from '../mail/message';

const recipient = (a: MailAddress): Record<string, unknown> => ({ emailAddress: { name: a.name, address: a.address } });

export const conversationJson = (c: ConversationView): Record<string, unknown> => ({
  id: c.id,
  topic: c.topic,
  hasAttachments: c.hasAttachments,
  lastDeliveredDateTime: c.lastDeliveredDateTime,
  uniqueSenders: c.uniqueSenders,
  preview: c.preview,
});

/** A thread is addressed to the group; the recipients of its posts are not modelled beyond that. */
export const threadJson = (mb: GroupMailbox, v: ThreadView): Record<string, unknown> => ({
  id: v.thread.id,
  toRecipients: [recipient(mb.address)],
  topic: v.thread.topic,
  hasAttachments: v.hasAttachments,
  lastDeliveredDateTime: v.lastDeliveredDateTime,
  uniqueSenders: v.uniqueSenders,
  ccRecipients: [],
  preview: v.preview,
  isLocked: false,
});

/**
 * A post. Expansions: `attachments` (file attachments with their bytes), `parent` (inReplyTo: the post it answers,
 * or null for the first post of a thread).
 */
export function postJson(
  mb: GroupMailbox,
  p: GroupPostRecord,
  expand: { attachments?: boolean; parent?: GroupPostRecord | null } = {},
): Record<string, unknown> {
  return {
    '@odata.etag': `W/"${p.changeKey}"`,
    id: p.id,
    createdDateTime: p.createdDateTime,
    lastModifiedDateTime: p.lastModifiedDateTime,
    changeKey: p.changeKey,
    categories: [],
    receivedDateTime: p.receivedDateTime,
    hasAttachments: p.attachments.length > 0,
    body: { contentType: 'html', content: p.body },
    from: recipient(p.from),
    sender: recipient(p.from),
    conversationId: p.conversationId,
    conversationThreadId: p.threadId,
    newParticipants: [],
    ...(expand.attachments
      ? { attachments: p.attachments.map((a, i) => fileAttachmentJson(mb.attachmentId(p, i + 1), a, true)) }
      : {}),
    ...(expand.parent !== undefined ? { inReplyTo: expand.parent && postJson(mb, expand.parent) } : {}),
  };
}
