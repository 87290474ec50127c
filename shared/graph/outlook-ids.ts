// Outlook item ids that survive moves. Graph gives messages, events and contacts a new id when they move to another
// folder unless the request carries `Prefer: IdType="ImmutableId"` — and the preference applies to that request only,
// a $batch item included (outlook-immutable-id). So every mail, calendar and contacts request asks for it, and a
// moved message is the same catalog item in its new folder instead of a deletion and a new download.
import type { GraphOperation } from '../domain/graph-permissions';

export const IMMUTABLE_IDS = 'IdType="ImmutableId"';

const OUTLOOK = /^(mail|calendars|contacts)\./;

/** The headers of a request for `operation`, with IdType="ImmutableId" joined to its Prefer when it reads or writes Outlook items. */
export function withOutlookIds(
  operation: GraphOperation,
  headers?: Record<string, string>,
): Record<string, string> | undefined {
  if (!OUTLOOK.test(operation)) return headers;
  const name = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === 'prefer');
  if (!name) return { ...headers, Prefer: IMMUTABLE_IDS };
  // Several preferences share one header, comma-separated (RFC 7240).
  const prefer = headers![name];
  return /idtype\s*=/i.test(prefer) ? headers : { ...headers, [name]: `${prefer}, ${IMMUTABLE_IDS}` };
}
