// The searchable text of a message body, from the first bytes of its MIME (bodies come before attachments in the
// messages Exchange writes): the plain text if there is a plain part, else the HTML as text (mailparser converts
// it); lower-cased, spaces collapsed, capped so a version document stays small.
import { MessageUnreadable, readMessage } from './read-message';

export const BODY_TEXT_PREFIX = 64 * 1024;
const BODY_TEXT_MAX = 4000;

export async function bodyTextOf(prefix: Buffer): Promise<string> {
  let text: string;
  try {
    text = (await readMessage(prefix)).text ?? '';
  } catch (e) {
    // A message the parser refuses is still backed up, byte for byte; it is only not found by its body text.
    if (e instanceof MessageUnreadable) return '';
    throw e;
  }
  return text.replace(/\s+/g, ' ').trim().toLowerCase().slice(0, BODY_TEXT_MAX);
}
