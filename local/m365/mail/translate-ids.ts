// POST /users/{id}/translateExchangeIds: converts Outlook ids between Exchange's formats (user-translateexchangeids
// v1.0): restId and ewsId (the same binary, URL-safe or standard base64), entryId (the MAPI entry id without the
// mailbox, URL-safe base64 with the padding count appended), and their immutable counterparts restImmutableEntryId
// and immutableEntryId. A REST id turns immutable (and back) through the item itself, which may have moved.
import { z } from 'zod';
import {
  decodeAnyItemId,
  decodeBinary,
  encodeBinary,
  encodeItemId,
  immutableOf,
  ItemKind,
  ItemRef,
} from '../tenant/ids';
import { immutableIdOf, Mailbox } from './mailbox';
import { GraphError } from '../graph/errors';
import { byMailbox, mailboxOf } from './outlook';
import { ok, registerRoutes } from '../graph/router';

const FORMATS = ['entryId', 'ewsId', 'immutableEntryId', 'restId', 'restImmutableEntryId'] as const;
type Format = (typeof FORMATS)[number];
const IMMUTABLE: ReadonlySet<Format> = new Set(['immutableEntryId', 'restImmutableEntryId']);

const body = z.object({
  inputIds: z.array(z.string()).min(1).max(1000),
  sourceIdType: z.enum(FORMATS),
  targetIdType: z.enum(FORMATS),
});

/** Graph's genericError for one id that could not be converted. */
class Untranslatable extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
const malformed = (): Untranslatable => new Untranslatable('ErrorInvalidIdMalformed', 'Id is malformed.');
const notFound = (): Untranslatable =>
  new Untranslatable('ErrorItemNotFound', 'The specified object was not found in the store.');

/** Bytes 0–18 of the binary are the marker and the mailbox; an entry id is 4 flag bytes and the rest. */
const MAILBOX_END = 19;
const FLAGS = Buffer.alloc(4);

/** URL-safe base64 without padding, then the number of padding characters it had (the doc's binary formats). */
const entryText = (bin: Buffer): string => {
  const b64 = bin.toString('base64');
  const pad = b64.length - b64.replace(/=+$/, '').length;
  return `${bin.toString('base64url')}${pad}`;
};
const entryBinary = (text: string): Buffer | undefined =>
  /^[A-Za-z0-9_-]+[012]$/.test(text) ? Buffer.from(text.slice(0, -1), 'base64url') : undefined;

/** The id's fields, whether it is immutable, given the mailbox the request names (entry ids do not carry it). */
function parse(mb: Mailbox, id: string, format: Format): { ref: ItemRef; immutable: boolean } {
  let hit: { ref: ItemRef; immutable: boolean } | undefined;
  if (format === 'entryId' || format === 'immutableEntryId') {
    const bin = entryBinary(id);
    const prefix = Buffer.from(
      encodeBinary(
        { mailbox: mb.key, kind: ItemKind.message, container: 0, index: 0, serial: 0, sub: 0 },
        format === 'immutableEntryId',
      ).subarray(0, MAILBOX_END),
    );
    hit =
      bin && bin.length > FLAGS.length && bin.subarray(0, FLAGS.length).equals(FLAGS)
        ? decodeBinary(Buffer.concat([prefix, bin.subarray(FLAGS.length)]))
        : undefined;
  } else {
    hit = decodeAnyItemId(format === 'ewsId' ? id.replace(/\+/g, '-').replace(/\//g, '_') : id);
  }
  if (!hit || hit.immutable !== IMMUTABLE.has(format)) throw malformed();
  if (!hit.ref.mailbox.equals(mb.key)) throw notFound();
  return hit;
}

/** The item's immutable id, found through the item: a moved message or contact keeps the one it was created with. */
function immutableOfItem(mb: Mailbox, restId: string, ref: ItemRef): string {
  if (ref.kind === ItemKind.attachment) {
    const owner = immutableOfItem(mb, encodeItemId({ ...ref, kind: ItemKind.message, sub: 0 }), {
      ...ref,
      kind: ItemKind.message,
      sub: 0,
    });
    return encodeItemId({ ...decodeAnyItemId(owner)!.ref, kind: ItemKind.attachment, sub: ref.sub }, true);
  }
  const item =
    ref.kind === ItemKind.message
      ? mb.findMessage(restId)?.message
      : ref.kind === ItemKind.contact
        ? mb.findContact(restId)?.contact
        : undefined;
  if (item) return immutableIdOf(item);
  if ((ref.kind === ItemKind.event || ref.kind === ItemKind.occurrence) && mb.findEvent(restId))
    return immutableOf(restId);
  throw notFound();
}

/** The item's current REST id for an immutable id (the mailbox maps the moved ones). */
function restOfItem(mb: Mailbox, immutableId: string, ref: ItemRef): string {
  if (ref.kind === ItemKind.attachment) {
    const owner = decodeAnyItemId(mb.restIdOf(encodeItemId({ ...ref, kind: ItemKind.message, sub: 0 }, true)))!.ref;
    return encodeItemId({ ...owner, kind: ItemKind.attachment, sub: ref.sub });
  }
  const restId = mb.restIdOf(immutableId);
  const exists =
    ref.kind === ItemKind.message
      ? mb.findMessage(restId)
      : ref.kind === ItemKind.contact
        ? mb.findContact(restId)
        : mb.findEvent(restId);
  if (!exists) throw notFound();
  return restId;
}

function translate(mb: Mailbox, id: string, from: Format, to: Format): string {
  const { ref, immutable } = parse(mb, id, from);
  const source = encodeItemId(ref, immutable);
  const wantImmutable = IMMUTABLE.has(to);
  const target =
    wantImmutable === immutable
      ? source
      : wantImmutable
        ? immutableOfItem(mb, source, ref)
        : restOfItem(mb, source, ref);
  switch (to) {
    case 'restId':
    case 'restImmutableEntryId':
      return target;
    case 'ewsId':
      return target.replace(/-/g, '+').replace(/_/g, '/');
    default:
      return entryText(
        Buffer.concat([FLAGS, encodeBinary(decodeAnyItemId(target)!.ref, wantImmutable).subarray(MAILBOX_END)]),
      );
  }
}

registerRoutes([
  {
    // The v1.0 page's application permissions (User.Read.All, User.ReadWrite.All) as earlier revisions listed them;
    // the current revision says application permissions are not supported (see README).
    method: 'POST',
    path: '/users/{userId}/translateExchangeIds',
    workload: 'mail',
    mailbox: byMailbox,
    permissions: ['User.Read.All', 'User.ReadWrite.All'],
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const parsed = body.safeParse(await ctx.json());
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new GraphError(
          400,
          'ErrorInvalidParameter',
          `Invalid value for '${issue.path.join('.') || 'body'}': ${issue.message}`,
        );
      }
      const { inputIds, sourceIdType, targetIdType } = parsed.data;
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#Collection(microsoft.graph.convertIdResult)`,
        value: inputIds.map((sourceId) => {
          try {
            return { sourceId, targetId: translate(mb, sourceId, sourceIdType, targetIdType) };
          } catch (e) {
            if (!(e instanceof Untranslatable)) throw e;
            return { sourceId, errorDetails: { code: e.code, message: e.message } };
          }
        }),
      });
    },
  },
]);
