// Read side of the catalog for administrators: a recovery point's folder tree, a folder's items, search over one
// recovery point or a range of them. Every query is confined to one protected item's partitions, which the API has
// already tied to the caller's account, so one account never reads another's versions.
import { createHash } from 'node:crypto';
import type { SqlParameter } from '@azure/cosmos';
import type { VersionDoc } from '../catalog/version-doc';
import type { VersionStore } from '../catalog/version-store';
import { searchPlan, TermCondition } from '../domain/search-terms';
import { textOf } from '../domain/text';

export interface Page<T> {
  value: T[];
  continuation?: string;
}

export interface ItemSummary {
  id: string;
  kind: VersionDoc['kind'];
  name: string;
  folderId?: string;
  from?: string;
  to?: string[];
  date?: string;
  size?: number;
  isRead?: boolean;
  hasAttachments?: boolean;
  /** The recovery points (sequence numbers) holding this version: from validFrom up to, not including, validTo. */
  validFrom: number;
  validTo?: number;
}

export class BadContinuation extends Error {}

const address = (r: unknown): string | undefined =>
  (r as { emailAddress?: { address?: string } } | undefined)?.emailAddress?.address;

export function summarize(d: VersionDoc): ItemSummary {
  const p = d.props;
  const to = Array.isArray(p.toRecipients) ? p.toRecipients.map(address).filter((a): a is string => !!a) : undefined;
  return {
    id: d.itemId,
    kind: d.kind,
    name: textOf([p.subject, p.displayName, p.name, p.topic]),
    ...((p.parentFolderId ?? p.parentId) ? { folderId: textOf([p.parentFolderId, p.parentId]) } : {}),
    ...(address(p.from) ? { from: address(p.from)! } : {}),
    ...(to?.length ? { to } : {}),
    ...((p.receivedDateTime ?? p.lastModifiedDateTime)
      ? { date: textOf([p.receivedDateTime, p.lastModifiedDateTime]) }
      : {}),
    ...(typeof p.size === 'number'
      ? { size: p.size }
      : d.content
        ? { size: 'mime' in d.content ? d.content.mime.size : d.content.blob.size }
        : {}),
    ...(typeof p.isRead === 'boolean' ? { isRead: p.isRead } : {}),
    ...(typeof p.hasAttachments === 'boolean' ? { hasAttachments: p.hasAttachments } : {}),
    validFrom: d.validFrom,
    ...(d.validTo !== undefined ? { validTo: d.validTo } : {}),
  };
}

/** Which query a continuation token belongs to: a token is only ever accepted by the query that issued it. */
const queryKey = (query: string, parameters: readonly SqlParameter[]): string =>
  createHash('sha256')
    .update(JSON.stringify([query, parameters]))
    .digest('base64url')
    .slice(0, 16);

/** Continuation tokens travel base64url-encoded with their query's key; anything else is a 400, never a Cosmos error. */
export const encodeContinuation = (token: string | undefined, key: string): string | undefined =>
  token ? Buffer.from(JSON.stringify({ k: key, t: token }), 'utf8').toString('base64url') : undefined;
export function decodeContinuation(raw: string | undefined, key: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,8000}$/.test(raw)) throw new BadContinuation('not a continuation token from this API');
  let parsed: { k?: unknown; t?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { k?: unknown; t?: unknown };
  } catch {
    throw new BadContinuation('not a continuation token from this API');
  }
  if (parsed.k !== key || typeof parsed.t !== 'string')
    throw new BadContinuation('this continuation token does not belong to this query');
  return parsed.t;
}

const AT = 'c.validFrom <= @s AND (NOT IS_DEFINED(c.validTo) OR c.validTo > @s)';

async function page(
  versions: VersionStore,
  query: string,
  parameters: SqlParameter[],
  pk: string[],
  size: number,
  token: string | undefined,
): Promise<Page<ItemSummary>> {
  const key = queryKey(query, parameters);
  const continuation = decodeContinuation(token, key);
  try {
    const r = await versions.container.items
      .query<VersionDoc>(
        { query, parameters },
        { partitionKey: pk, maxItemCount: size, ...(continuation ? { continuationToken: continuation } : {}) },
      )
      .fetchNext();
    const next = encodeContinuation(r.continuationToken, key);
    return { value: r.resources.map(summarize), ...(next ? { continuation: next } : {}) };
  } catch (e) {
    if (continuation && (e as { code?: number }).code === 400)
      throw new BadContinuation('this continuation token does not belong to this query');
    throw e;
  }
}

/** Mail folders, contact folders, drive folders, group threads and SharePoint lists of a recovery point. */
export async function folderVersions(
  versions: VersionStore,
  protectedItemId: string,
  seq: number,
): Promise<VersionDoc[]> {
  const { resources } = await versions.container.items
    .query<VersionDoc>(
      {
        query: `SELECT * FROM c WHERE c.protectedItemId = @p AND ${AT} AND (c.kind = 'mailFolder' OR c.kind = 'contactFolder' OR c.kind = 'groupThread' OR c.kind = 'list' OR ((c.kind = 'driveItem' OR c.kind = 'sitePage') AND c.props.folder = true))`,
        parameters: [
          { name: '@p', value: protectedItemId },
          { name: '@s', value: seq },
        ],
      },
      { partitionKey: [protectedItemId] },
    )
    .fetchAll();
  return resources;
}

/** The folder tree for the navigation pane, with each mail folder's role. */
export async function folderTree(versions: VersionStore, protectedItemId: string, seq: number): Promise<ItemSummary[]> {
  return (await folderVersions(versions, protectedItemId, seq)).map((d) => ({
    ...summarize(d),
    ...(typeof d.props.wellKnownName === 'string' ? { wellKnownName: d.props.wellKnownName } : {}),
    ...(d.props.root ? { root: true } : {}),
  }));
}

/** The items of one folder at a recovery point, paged. */
export function folderItems(
  versions: VersionStore,
  protectedItemId: string,
  seq: number,
  folderId: string,
  size: number,
  continuation?: string,
): Promise<Page<ItemSummary>> {
  return page(
    versions,
    `SELECT * FROM c WHERE c.protectedItemId = @p AND ${AT} AND (c.props.parentFolderId = @f OR c.props.parentId = @f) ORDER BY c.itemId`,
    [
      { name: '@p', value: protectedItemId },
      { name: '@s', value: seq },
      { name: '@f', value: folderId },
    ],
    [protectedItemId],
    size,
    continuation,
  );
}

/** The index condition on one word, as Cosmos serves it from the range index on /props/searchTerms/[]. */
const termCondition = (t: TermCondition, param: string): string =>
  t.whole
    ? `ARRAY_CONTAINS(c.props.searchTerms, ${param})`
    : `EXISTS(SELECT VALUE t FROM t IN c.props.searchTerms WHERE STARTSWITH(t, ${param}))`;

/**
 * Messages and list items of recovery points fromSeq..toSeq matching `text` (see searchPlan for what matches) in
 * their subject, sender or recipient names or addresses, or body text (its first 4,000 characters), or a list
 * item's field values, or a group post's thread topic, author or body text. The word index narrows the
 * versions to candidates; the phrase is checked on those only. Each hit is a version: its validFrom/validTo say
 * which of those points hold it. Unordered, so Cosmos stops reading as soon as a page is full.
 */
export function search(
  versions: VersionStore,
  protectedItemId: string,
  range: { fromSeq: number; toSeq: number },
  text: string,
  size: number,
  continuation?: string,
): Promise<Page<ItemSummary>> {
  const plan = searchPlan(text);
  const terms = plan.terms.map((t, i) => ` AND ${termCondition(t, `@t${i}`)}`).join('');
  // Cosmos DB seeks the word conditions in the index whatever their place; the local stand-in has no index and
  // evaluates left to right, so the phrase (one string search) goes first and spares it the array walks.
  return page(
    versions,
    `SELECT * FROM c WHERE c.protectedItemId = @p AND (c.kind = 'message' OR c.kind = 'listItem' OR c.kind = 'groupPost' OR c.kind = 'sitePage') AND c.validFrom <= @hi AND (NOT IS_DEFINED(c.validTo) OR c.validTo > @lo) AND (CONTAINS(c.props.searchText, @q) OR CONTAINS(c.props.bodyText, @q))${terms}`,
    [
      { name: '@p', value: protectedItemId },
      { name: '@lo', value: range.fromSeq },
      { name: '@hi', value: range.toSeq },
      { name: '@q', value: plan.phrase },
      ...plan.terms.map((t, i) => ({ name: `@t${i}`, value: t.term })),
    ],
    [protectedItemId],
    size,
    continuation,
  );
}

/** Items with content directly inside a folder at a recovery point (messages, files), page by page. */
export async function* contentInFolder(
  versions: VersionStore,
  protectedItemId: string,
  seq: number,
  folderId: string,
): AsyncGenerator<VersionDoc> {
  const iterator = versions.container.items.query<VersionDoc>(
    {
      query: `SELECT * FROM c WHERE c.protectedItemId = @p AND ${AT} AND (c.props.parentFolderId = @f OR c.props.parentId = @f) AND IS_DEFINED(c.content)`,
      parameters: [
        { name: '@p', value: protectedItemId },
        { name: '@s', value: seq },
        { name: '@f', value: folderId },
      ],
    },
    { partitionKey: [protectedItemId], maxItemCount: 200 },
  );
  while (iterator.hasMoreResults()) for (const d of (await iterator.fetchNext()).resources) yield d;
}
