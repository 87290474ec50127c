// A message preview for the recovery console: its headers, its body as text and as sanitized HTML, and its
// attachments. Streams over the message up to a cap: attachments are counted, not held, except the small inline
// images the HTML shows (as data: URIs, since the preview may load nothing from elsewhere).
import { inlineImageUri, sanitizeMailHtml } from './html-sanitizer';
import { addressLine, rawHeader, readMessage, textHeader } from './read-message';

export interface MessagePreview {
  headers: { subject: string; from: string; to: string; cc: string; date: string; messageId: string };
  text: string;
  /** HTML without scripts, handlers, forms or remote loads (html-sanitizer.ts); remote images as data-blocked-src. */
  html?: string;
  attachments: Array<{ name: string; contentType: string; size: number; inline: boolean }>;
  /** The message was larger than the cap: later parts are not shown. */
  truncated: boolean;
}

/** Inline images shown in the HTML: each up to this size, all together up to the total (the rest stay blank). */
const INLINE_IMAGE_MAX = 1024 * 1024;
const INLINE_IMAGES_TOTAL = 4 * 1024 * 1024;

export async function previewMessage(source: Buffer | AsyncIterable<Buffer>, cap: number): Promise<MessagePreview> {
  const m = await readMessage(source, {
    cap,
    keep: (a) => (a.contentId && a.contentType.startsWith('image/') ? INLINE_IMAGE_MAX : 0),
  });
  const images = new Map<string, string>();
  let total = 0;
  for (const { contentId, contentType, bytes } of m.attachments) {
    const uri =
      contentId && bytes && total + bytes.length <= INLINE_IMAGES_TOTAL
        ? inlineImageUri(contentType, bytes)
        : undefined;
    if (!contentId || !bytes || !uri) continue;
    total += bytes.length;
    images.set(contentId, uri);
  }
  const html = m.html === undefined ? undefined : sanitizeMailHtml(m.html, images);
  return {
    headers: {
      subject: textHeader(m.headers, 'subject'),
      from: addressLine(m.headers, 'from'),
      to: addressLine(m.headers, 'to'),
      cc: addressLine(m.headers, 'cc'),
      date: rawHeader(m.headerLines, 'date'),
      messageId: textHeader(m.headers, 'message-id'),
    },
    text: m.text ?? '',
    ...(html !== undefined ? { html } : {}),
    attachments: m.attachments.map((a) => ({
      name: a.name,
      contentType: a.contentType,
      size: a.size,
      inline: a.inline,
    })),
    truncated: m.truncated,
  };
}
