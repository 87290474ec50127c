// The preview of a group mailbox's post, in the shape of a message preview: a post is stored as Graph's JSON (no
// MIME: Graph serves an application none), so its headers come from its fields and its HTML body goes through the
// same sanitizer as mail. Its attachments are listed from the metadata kept with it.
import { htmlText, sanitizeMailHtml } from './html-sanitizer';
import type { MessagePreview } from './preview';

type Recipient = { emailAddress?: { name?: string; address?: string } } | undefined;

const line = (r: Recipient): string => {
  const { name, address } = r?.emailAddress ?? {};
  return name && address ? `${name} <${address}>` : (address ?? name ?? '');
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function previewPost(post: Record<string, unknown>, topic: string): MessagePreview {
  const body = (post.body ?? {}) as { contentType?: string; content?: string };
  const content = str(body.content);
  const html = body.contentType === 'html' ? content : undefined;
  const recipients = (v: unknown): string => (Array.isArray(v) ? v.map((r) => line(r as Recipient)).join(', ') : '');
  const attachments = Array.isArray(post.attachments) ? (post.attachments as Array<Record<string, unknown>>) : [];
  return {
    headers: {
      subject: topic,
      from: line(post.from as Recipient),
      to: recipients(post.toRecipients),
      cc: recipients(post.ccRecipients),
      date: str(post.receivedDateTime),
      messageId: str(post.internetMessageId),
    },
    text: html !== undefined ? htmlText(html) : content,
    ...(html !== undefined ? { html: sanitizeMailHtml(html) } : {}),
    attachments: attachments.map((a) => ({
      name: str(a.name),
      contentType: str(a.contentType),
      size: typeof a.size === 'number' ? a.size : 0,
      inline: a.isInline === true,
    })),
    truncated: false,
  };
}
