import { Container, Database } from '@azure/cosmos';
import { closedId, headId, VersionDoc } from './version-doc';
import type { LogRecord } from './change-log';
import { withSearchTerms } from '../domain/search-terms';
import type { Edge } from '../difference/difference';

const pk = (d: Pick<VersionDoc, 'protectedItemId' | 'containerId' | 'id'>): [string, string, string] => [
  d.protectedItemId,
  d.containerId,
  d.id,
];

/** Cosmos operations on item versions; what to write is decided by the pure planner and logged before writing. */
export class VersionStore {
  readonly container: Container;

  constructor(database: Database) {
    this.container = database.container('versions');
  }

  /** Current heads of the given items of one container, in one query. */
  async heads(
    protectedItemId: string,
    containerId: string,
    itemIds: readonly string[],
  ): Promise<Map<string, VersionDoc>> {
    const out = new Map<string, VersionDoc>();
    if (itemIds.length === 0) return out;
    const { resources } = await this.container.items
      .query<VersionDoc>(
        {
          query: 'SELECT * FROM c WHERE c.protectedItemId = @p AND c.containerId = @c AND ARRAY_CONTAINS(@ids, c.id)',
          parameters: [
            { name: '@p', value: protectedItemId },
            { name: '@c', value: containerId },
            { name: '@ids', value: itemIds.map((i) => headId(protectedItemId, containerId, i)) },
          ],
        },
        { partitionKey: [protectedItemId, containerId] },
      )
      .fetchAll();
    for (const d of resources) out.set(d.itemId, strip(d));
    return out;
  }

  /**
   * The latest version, in any other container of the protected item, of each of these items: where an item whose
   * id survives moves (Outlook immutable ids) was before, whether its version there is still current or was closed
   * when its old folder reported it gone. One query over the protected item's partitions.
   */
  async latestElsewhere(
    protectedItemId: string,
    containerId: string,
    itemIds: readonly string[],
  ): Promise<Map<string, VersionDoc>> {
    const out = new Map<string, VersionDoc>();
    if (itemIds.length === 0) return out;
    const { resources } = await this.container.items
      .query<VersionDoc>(
        {
          query:
            'SELECT * FROM c WHERE c.protectedItemId = @p AND c.containerId != @c AND ARRAY_CONTAINS(@ids, c.itemId)',
          parameters: [
            { name: '@p', value: protectedItemId },
            { name: '@c', value: containerId },
            { name: '@ids', value: [...itemIds] },
          ],
        },
        { partitionKey: [protectedItemId] },
      )
      .fetchAll();
    for (const d of resources) {
      const seen = out.get(d.itemId);
      if (!seen || d.validFrom > seen.validFrom) out.set(d.itemId, strip(d));
    }
    return out;
  }

  /** Every current head of a container (for a resync's final sweep). */
  async *allHeads(protectedItemId: string, containerId: string): AsyncGenerator<VersionDoc> {
    const iterator = this.container.items.query<VersionDoc>(
      {
        query: 'SELECT * FROM c WHERE c.protectedItemId = @p AND c.containerId = @c AND NOT IS_DEFINED(c.validTo)',
        parameters: [
          { name: '@p', value: protectedItemId },
          { name: '@c', value: containerId },
        ],
      },
      { partitionKey: [protectedItemId, containerId], maxItemCount: 500 },
    );
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      for (const d of resources) yield strip(d);
    }
  }

  /** Up to `limit` current heads of a container that a resync at `seq` did not see (their mark is older or absent). */
  async unseenHeads(protectedItemId: string, containerId: string, seq: number, limit: number): Promise<VersionDoc[]> {
    const { resources } = await this.container.items
      .query<VersionDoc>(
        {
          query:
            'SELECT TOP @n * FROM c WHERE c.protectedItemId = @p AND c.containerId = @c AND NOT IS_DEFINED(c.validTo) AND (NOT IS_DEFINED(c.resyncMark) OR c.resyncMark != @s)',
          parameters: [
            { name: '@n', value: limit },
            { name: '@p', value: protectedItemId },
            { name: '@c', value: containerId },
            { name: '@s', value: seq },
          ],
        },
        { partitionKey: [protectedItemId, containerId] },
      )
      .fetchAll();
    return resources.map(strip);
  }

  /**
   * Up to `limit` closed versions valid only strictly between two consecutive remaining points `after` and `upTo`
   * (`after < validFrom`, `validTo <= upTo`): no remaining point sees them. Retention deletes them and asks again.
   */
  async unseenBetween(
    protectedItemId: string,
    after: number,
    upTo: number,
    limit: number,
  ): Promise<Array<Pick<VersionDoc, 'id' | 'protectedItemId' | 'containerId'>>> {
    const { resources } = await this.container.items
      .query<Pick<VersionDoc, 'id' | 'protectedItemId' | 'containerId'>>(
        {
          query:
            'SELECT TOP @n c.id, c.protectedItemId, c.containerId FROM c WHERE c.protectedItemId = @p AND IS_DEFINED(c.validTo) AND c.validFrom > @a AND c.validTo <= @b',
          parameters: [
            { name: '@n', value: limit },
            { name: '@p', value: protectedItemId },
            { name: '@a', value: after },
            { name: '@b', value: upTo },
          ],
        },
        // The item's own partitions only (a key prefix): without it Cosmos DB fans the query out to every partition.
        { partitionKey: [protectedItemId] },
      )
      .fetchAll();
    return resources;
  }

  /** How many versions of a protected item point at content (sizes retention's mark set). */
  async countWithContent(protectedItemId: string): Promise<number> {
    const { resources } = await this.container.items
      .query<number>(
        {
          query: 'SELECT VALUE COUNT(1) FROM c WHERE c.protectedItemId = @p AND IS_DEFINED(c.content)',
          parameters: [{ name: '@p', value: protectedItemId }],
        },
        { partitionKey: [protectedItemId] },
      )
      .fetchAll();
    return resources.reduce((n, c) => n + c, 0);
  }

  /** Content pointers of every version of a protected item (retention's marking), a page at a time. */
  async *contentPointers(
    protectedItemId: string,
    pageSize = 1000,
  ): AsyncGenerator<Array<NonNullable<VersionDoc['content']>>> {
    const query = this.container.items.query<{ content: NonNullable<VersionDoc['content']> }>(
      {
        query: 'SELECT c.content FROM c WHERE c.protectedItemId = @p AND IS_DEFINED(c.content)',
        parameters: [{ name: '@p', value: protectedItemId }],
      },
      { partitionKey: [protectedItemId], maxItemCount: pageSize },
    );
    while (query.hasMoreResults()) {
      const { resources } = await query.fetchNext();
      if (resources.length) yield resources.map((r) => r.content);
    }
  }

  /**
   * The log record that replaces `previous` (if any) with `next` at sequence `seq`. A previous version in another
   * container is an item that moved: its head there is closed and dropped by the same record; one already closed
   * (its old folder reported it gone first) only lends its content.
   */
  static putRecord(next: VersionDoc, previous: VersionDoc | undefined, seq: number): LogRecord {
    const current = previous && previous.validTo === undefined ? previous : undefined;
    const close =
      current && current.validFrom < seq
        ? {
            ...current,
            id: closedId(current.protectedItemId, current.containerId, current.itemId, current.validFrom),
            validTo: seq,
          }
        : undefined;
    const moved = current && current.containerId !== next.containerId;
    return {
      t: 'version',
      ...(close ? { close } : {}),
      put: { ...next, id: headId(next.protectedItemId, next.containerId, next.itemId) },
      ...(moved
        ? {
            drop: {
              id: headId(current.protectedItemId, current.containerId, current.itemId),
              protectedItemId: current.protectedItemId,
              containerId: current.containerId,
            },
          }
        : {}),
    };
  }

  static deleteRecord(previous: VersionDoc, seq: number): LogRecord {
    const close =
      previous.validFrom < seq
        ? {
            ...previous,
            id: closedId(previous.protectedItemId, previous.containerId, previous.itemId, previous.validFrom),
            validTo: seq,
          }
        : undefined;
    return {
      t: 'version',
      ...(close ? { close } : {}),
      drop: {
        id: headId(previous.protectedItemId, previous.containerId, previous.itemId),
        protectedItemId: previous.protectedItemId,
        containerId: previous.containerId,
      },
    };
  }

  /**
   * Executes version records: the closed copy first, so a crash in between never loses the old state, then the drop,
   * then the new head: a move redone after a crash between them finds the closed copy (and its content) instead of
   * the item being current in two folders at once. Every write
   * of a message (a backup's, a resync sweep's, a rebuild's) derives its search word index here, so the index always
   * matches the stored text, covers closed copies too, and disappears with its version; it is never logged, so a
   * rebuild from the change log re-derives it (and gives catalogs written before the index their index).
   */
  async apply(record: Extract<LogRecord, { t: 'version' }>): Promise<void> {
    if (record.close) await this.container.items.upsert(indexed(record.close));
    if (record.drop) {
      try {
        await this.container.item(record.drop.id, pk(record.drop)).delete();
      } catch (e) {
        if ((e as { code?: number }).code !== 404) throw e;
      }
    }
    if (record.put) await this.container.items.upsert(indexed(record.put));
  }

  /** The versions of the given items valid at sequence `seq` (any container of the protected item), in one query. */
  async versionsAt(protectedItemId: string, seq: number, itemIds: readonly string[]): Promise<VersionDoc[]> {
    if (itemIds.length === 0) return [];
    const { resources } = await this.container.items
      .query<VersionDoc>(
        {
          query:
            'SELECT * FROM c WHERE c.protectedItemId = @p AND ARRAY_CONTAINS(@ids, c.itemId) AND c.validFrom <= @s AND (NOT IS_DEFINED(c.validTo) OR c.validTo > @s)',
          parameters: [
            { name: '@p', value: protectedItemId },
            { name: '@ids', value: [...itemIds] },
            { name: '@s', value: seq },
          ],
        },
        { partitionKey: [protectedItemId] },
      )
      .fetchAll();
    return resources.map(strip);
  }

  /**
   * One page of the versions that end ('ended': valid at `from`, closed by `to`) or start ('started': valid at `to`,
   * begun after `from`) between points `from` < `to`; an item untouched in between has one version spanning both
   * and is in neither.
   */
  async edgePage(
    protectedItemId: string,
    edge: Edge,
    from: number,
    to: number,
    size: number,
    continuation?: string,
  ): Promise<{ value: VersionDoc[]; continuation?: string }> {
    const where =
      edge === 'ended'
        ? 'c.validFrom <= @a AND IS_DEFINED(c.validTo) AND c.validTo > @a AND c.validTo <= @b'
        : 'c.validFrom > @a AND c.validFrom <= @b AND (NOT IS_DEFINED(c.validTo) OR c.validTo > @b)';
    const r = await this.container.items
      .query<VersionDoc>(
        {
          query: `SELECT * FROM c WHERE c.protectedItemId = @p AND ${where}`,
          parameters: [
            { name: '@p', value: protectedItemId },
            { name: '@a', value: from },
            { name: '@b', value: to },
          ],
        },
        {
          partitionKey: [protectedItemId],
          maxItemCount: size,
          ...(continuation ? { continuationToken: continuation } : {}),
        },
      )
      .fetchNext();
    return { value: r.resources.map(strip), ...(r.continuationToken ? { continuation: r.continuationToken } : {}) };
  }

  /** The items of a recovery point: versions valid at sequence `seq`, optionally of one container, paged. */
  view(
    protectedItemId: string,
    seq: number,
    opts: { containerId?: string; continuation?: string; pageSize?: number } = {},
  ) {
    const filter = opts.containerId ? ' AND c.containerId = @c' : '';
    return this.container.items.query<VersionDoc>(
      {
        query: `SELECT * FROM c WHERE c.protectedItemId = @p${filter} AND c.validFrom <= @s AND (NOT IS_DEFINED(c.validTo) OR c.validTo > @s)`,
        parameters: [
          { name: '@p', value: protectedItemId },
          { name: '@s', value: seq },
          ...(opts.containerId ? [{ name: '@c', value: opts.containerId }] : []),
        ],
      },
      {
        partitionKey: opts.containerId ? [protectedItemId, opts.containerId] : [protectedItemId],
        maxItemCount: opts.pageSize ?? 100,
        ...(opts.continuation ? { continuationToken: opts.continuation } : {}),
      },
    );
  }
}

/** A version as stored: a message, list item, post or page with its search word index. */
export const indexed = (d: VersionDoc): VersionDoc =>
  d.kind === 'message' || d.kind === 'listItem' || d.kind === 'groupPost' || d.kind === 'sitePage'
    ? { ...d, props: withSearchTerms(d.props) }
    : d;

/** Drops Cosmos system properties so documents compare and re-serialise cleanly, and the derived word index. */
const SYSTEM_PROPERTIES = ['_rid', '_self', '_etag', '_attachments', '_ts'];

function strip(d: VersionDoc): VersionDoc {
  const { searchTerms: _derived, ...props } = d.props;
  return {
    ...Object.fromEntries(Object.entries(d).filter(([k]) => !SYSTEM_PROPERTIES.includes(k))),
    props,
  } as unknown as VersionDoc;
}
