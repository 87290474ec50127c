// The searchable text of a message body, from the first bytes of its MIME (bodies come before attachments in the
// messages Exchange writes): plain text if there is a plain part, else the HTML without tags; lower-cased, spaces
// collapsed, capped so a version document stays small.
import { readMessage } from './preview';

export const BODY_TEXT_PREFIX = 64 * 1024;
const BODY_TEXT_MAX = 4000;

export function bodyTextOf(prefix: Buffer): string {
  const m = readMessage(prefix);
  const text = m.text ?? (m.html ?? '').replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<[^>]+>/g, ' ').replace(/&nbsp;/g, ' ').replace(/&amp;/g, '&');
  return text.replace(/\s+/g, ' ').trim().toLowerCase().slice(0, BODY_TEXT_MAX);
}
