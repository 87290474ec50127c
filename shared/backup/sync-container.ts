// Synchronises one container (a mail folder, a drive, ...) of one protected item into a recovery point, page by
// page, within a time box. Per page: content first, then the write-ahead change log, then the catalog, then the
// cursor. A crash or retry anywhere redoes at most the current page, whose writes are idempotent.
import { ChangeLog, LogRecord, logBlobName } from '../catalog/change-log';
import { CursorState, CursorStore, CursorTally } from '../catalog/cursor-store';
import { headId, toHead, VersionDoc } from '../catalog/version-doc';
import { VersionStore } from '../catalog/version-store';
import { planPage, unseenAfterResync, VersionOp } from '../domain/version-plan';
import type { SkipInput, SkipStore } from '../catalog/skip-store';
import { STILL_BACKING_UP } from '../domain/alarms';
import { classifyItemFailure, ItemFailure } from './item-failure';
import { mapLimit } from './map-limit';
import { ContentWriter, DeltaPage, GraphReader, ResyncRequired, StoredContent, WaitRequired } from './ports';
import { ContainerWorkload, GraphItem, itemName } from './workloads/workload';
import { afterPage, completed, DEFAULT_RECONCILE, fullRoundDue, ReconcilePolicy, sinceMark } from './watermark';
import { base64Stream } from './base64-stream';

export interface SyncTarget {
  accountId: string;
  tenantId: string;
  protectedItemId: string;
  containerId: string;
  /** Throttling key for Graph (the mailbox's user id, the drive id). */
  mailbox: string;
  seq: number;
}

/** What a sync did; the cursor keeps it (with the Graph requests) per recovery point. */
export type SyncCounts = Omit<CursorTally, 'seq' | 'requests' | 'throttled'>;

/** Counts are the container's totals in this recovery point so far (not this call's), Graph requests included. */
export type SyncOutcome =
  | { status: 'done'; counts: SyncCounts; graph: GraphTally; resynced: boolean }
  | { status: 'continue'; counts: SyncCounts; graph: GraphTally }
  | { status: 'wait'; counts: SyncCounts; graph: GraphTally; retryAfterSeconds: number };

export interface GraphTally {
  requests: number;
  throttled: number;
}

export interface SyncDeps {
  graph: GraphReader;
  content: ContentWriter;
  versions: VersionStore;
  cursors: CursorStore;
  log: ChangeLog;
  skips: SkipStore;
  now(): Date;
  /** Parallel content downloads per container; Graph allows 4 concurrent requests per mailbox. */
  contentConcurrency?: number;
  /** Counts this sync's Graph requests and throttled answers (the client is shared by concurrent activities). */
  tally?: { requests: number; throttled: number };
  /** Reads of one item's content before it is skipped for this run (the pipeline retries each request too). */
  itemAttempts?: number;
  /** Files at least this big are stored across steps (ranged reads from where the last step stopped). */
  resumableFrom?: number;
  /** When a container without delta (ContainerWorkload.watermark) is listed whole again. */
  reconcile?: ReconcilePolicy;
}

export const emptyCounts = (): SyncCounts => ({
  pages: 0,
  changes: 0,
  written: 0,
  deleted: 0,
  unchanged: 0,
  contentFetched: 0,
  bytes: 0,
  storedBytes: 0,
  skipped: 0,
});

export async function syncContainer(
  deps: SyncDeps,
  target: SyncTarget,
  workload: ContainerWorkload,
  deadline: number,
): Promise<SyncOutcome> {
  const own = deps.tally ?? { requests: 0, throttled: 0 };
  const read = { mailbox: target.mailbox, operation: workload.operation, deadline, tally: own };
  const stored = await deps.cursors.get(target.protectedItemId, target.containerId);
  // Counting goes on from what earlier steps of this point saved with their pages (a retried step included).
  const {
    seq: _seq,
    requests: baseRequests,
    throttled: baseThrottled,
    ...base
  } = stored?.tally?.seq === target.seq
    ? stored.tally
    : { ...emptyCounts(), seq: target.seq, requests: 0, throttled: 0 };
  const counts: SyncCounts = base;
  const graph = (): GraphTally => ({ requests: baseRequests + own.requests, throttled: baseThrottled + own.throttled });
  // The step before died mid-page: the page it was applying is applied again, and what it wrote counts now.
  let redo = stored?.open === true && stored.tally?.seq === target.seq;
  const idType = workload.immutableIds ? { idType: 'immutable' as const } : {};
  const details = workload.details ? { details: workload.details.props } : {};
  const save = (c: CursorState, open = true): Promise<void> =>
    deps.cursors.save(
      {
        ...withoutTally(c),
        ...idType,
        ...details,
        tally: { seq: target.seq, ...counts, ...graph() },
        ...(open ? { open: true } : {}),
      },
      deps.now(),
    );
  // No cursor: a new container, or a catalog rebuilt from the change log (cursors are not logged). Enumerating it
  // as a resync costs a new container nothing and makes a rebuilt one record what was deleted meanwhile.
  let cursor: CursorState = stored
    ? withoutTally(stored)
    : {
        protectedItemId: target.protectedItemId,
        containerId: target.containerId,
        phase: 'resync',
        resyncSeq: target.seq,
      };
  // Catalogued under REST ids before the product asked for immutable ones: the container becomes a new baseline (see
  // README, "Outlook ids"). Its items come again under their immutable ids, and the sweep closes the REST-id heads.
  const migrating = stored !== undefined && workload.immutableIds === true && stored.idType !== 'immutable';
  // A fact newly kept (a job now keeping sharing permissions): every item is listed again to have it read.
  const completing =
    stored !== undefined && (workload.details?.props ?? []).some((p) => !(stored.details ?? []).includes(p));
  // A listing without delta (workload.snapshot) is enumerated whole every round, so what it no longer lists is swept.
  const again = workload.snapshot === true && cursor.phase === 'incremental';
  if ((cursor.phase === 'resync' && cursor.resyncSeq !== target.seq) || migrating || again || completing) {
    // A resync left unfinished by an earlier run: its marks belong to that run, so enumerate again under this one.
    cursor = {
      protectedItemId: target.protectedItemId,
      containerId: target.containerId,
      phase: 'resync',
      resyncSeq: target.seq,
    };
  }
  // Graph has no delta for some containers (group conversations), so rather than a second pipeline the same loop runs
  // them: a round starts from the listing again, and is a full one (swept like a resync) when a reconciliation is due.
  if (
    workload.watermark &&
    cursor.phase !== 'resync' &&
    cursor.nextLink === undefined &&
    fullRoundDue(workload.watermark, cursor.watermark, deps.reconcile ?? DEFAULT_RECONCILE, deps.now())
  ) {
    const { roundMark: _unfinished, ...last } = cursor.watermark ?? {};
    cursor = {
      protectedItemId: target.protectedItemId,
      containerId: target.containerId,
      phase: 'resync',
      resyncSeq: target.seq,
      watermark: last,
    };
  }
  let resynced = false;
  await save(cursor);
  // Items skipped before are named by their REST ids: the new baseline lists each of them again.
  if (migrating) await deps.skips.forget(target.protectedItemId, target.containerId);
  const pending = await deps.skips.itemIds(target.protectedItemId, target.containerId);
  if (pending.size > 0) {
    // Items skipped by an earlier run: their delta changes are consumed, so they are read again by id.
    const due = (await deps.skips.due(target.protectedItemId, target.containerId, target.seq)).map((d) => d.item);
    const resync = cursor.phase === 'resync' && cursor.resyncSeq === target.seq;
    const waited = due.length
      ? await applyOrWait(deps, target, workload, due, resync, read, counts, pending, false)
      : 0;
    if (waited) return { status: 'wait', counts, graph: await closed(save, cursor, graph), retryAfterSeconds: waited };
  }
  while (deps.now().getTime() < deadline) {
    const url = cursor.nextLink ?? cursor.deltaLink ?? workload.initialUrl;
    let page;
    try {
      page = await listPage(deps, workload, cursor, url, read);
    } catch (e) {
      if (e instanceof WaitRequired)
        return {
          status: 'wait',
          counts,
          graph: await closed(save, cursor, graph),
          retryAfterSeconds: e.retryAfterSeconds,
        };
      if (!(e instanceof ResyncRequired)) throw e;
      // Start the round again from scratch; what is already stored is matched, not stored twice.
      cursor = {
        protectedItemId: target.protectedItemId,
        containerId: target.containerId,
        phase: 'resync',
        resyncSeq: target.seq,
        ...(e.location ? { nextLink: e.location } : {}),
      };
      await save(cursor);
      resynced = true;
      continue;
    }
    const resync = cursor.phase === 'resync' && cursor.resyncSeq === target.seq;
    const w = workload.watermark;
    const listed = w ? sinceMark(w, page.value, cursor.watermark, resync) : { items: page.value, stop: false };
    const items = workload.expand ? listed.items.flatMap((i) => workload.expand!(i)) : listed.items;
    const waited = await applyOrWait(deps, target, workload, items, resync, read, counts, pending, redo);
    redo = false;
    if (waited) return { status: 'wait', counts, graph: await closed(save, cursor, graph), retryAfterSeconds: waited };
    counts.pages++;
    const watermark = w ? afterPage(w, cursor.watermark, listed.items) : undefined;
    if (page.nextLink && !listed.stop) {
      cursor = { ...withoutLinks(cursor), nextLink: page.nextLink, ...(watermark ? { watermark } : {}) };
      await save(cursor);
      continue;
    }
    if (resync) await sweepUnseen(deps, target, counts);
    cursor = {
      protectedItemId: target.protectedItemId,
      containerId: target.containerId,
      phase: 'incremental',
      ...(page.deltaLink ? { deltaLink: page.deltaLink } : {}),
      ...(w && watermark ? { watermark: completed(w, watermark, resync, deps.now()) } : {}),
    };
    await save(cursor, false);
    // A large file still part-way: the next step goes on with it (and reads whatever changed meanwhile).
    if (await deps.skips.inProgress(target.protectedItemId, target.containerId))
      return { status: 'continue', counts, graph: graph() };
    return { status: 'done', counts, graph: graph(), resynced };
  }
  return { status: 'continue', counts, graph: await closed(save, cursor, graph) };
}

/**
 * A page of the container's listing. A listing itself gone (a thread deleted since its group was listed) lists
 * nothing when the workload says so: its full round records what it held as deleted, instead of failing each run
 * until a reconciliation finds the thread gone.
 */
async function listPage(
  deps: SyncDeps,
  workload: ContainerWorkload,
  cursor: CursorState,
  url: string,
  read: Read,
): Promise<DeltaPage> {
  try {
    return await deps.graph.page(url, workload.prefer ? { ...read, headers: { prefer: workload.prefer } } : read);
  } catch (e) {
    if (workload.watermark?.goneIsEmpty && cursor.phase === 'resync' && classifyItemFailure(e)?.kind === 'gone')
      return { value: [] };
    throw e;
  }
}

/** A step ending on its own (time box, throttling) says so in its cursor, so the next step does not count a redo. */
async function closed(
  save: (c: CursorState, open: boolean) => Promise<void>,
  cursor: CursorState,
  graph: () => GraphTally,
): Promise<GraphTally> {
  await save(cursor, false);
  return graph();
}

function withoutTally(c: CursorState): CursorState {
  const { tally: _tally, open: _open, ...rest } = c;
  return rest;
}

function withoutLinks(c: CursorState): CursorState {
  return {
    protectedItemId: c.protectedItemId,
    containerId: c.containerId,
    phase: c.phase,
    ...(c.resyncSeq !== undefined ? { resyncSeq: c.resyncSeq } : {}),
    ...(c.watermark ? { watermark: c.watermark } : {}),
  };
}

type Read = {
  mailbox: string;
  operation: ContainerWorkload['operation'];
  deadline: number;
  tally?: { requests: number; throttled: number };
  headers?: Record<string, string>;
};

/** Applies a page; returns the seconds Graph asked to wait (0 when applied). */
async function applyOrWait(
  deps: SyncDeps,
  target: SyncTarget,
  workload: ContainerWorkload,
  items: GraphItem[],
  resync: boolean,
  read: Read,
  counts: SyncCounts,
  pending: Map<string, boolean>,
  redo: boolean,
): Promise<number> {
  // A page counts once it is applied: one abandoned for a throttling wait is applied, and counted, again later.
  const page = emptyCounts();
  try {
    await applyPage(deps, target, workload, items, resync, read, page, pending, redo);
    for (const k of Object.keys(page) as Array<keyof SyncCounts>) counts[k] += page[k];
    return 0;
  } catch (e) {
    if (e instanceof WaitRequired) return Math.max(e.retryAfterSeconds, 1);
    throw e;
  }
}

/**
 * Content, then the change log, then the catalog, then the skip records: a crash anywhere redoes the page, whose
 * writes are idempotent. An item whose content cannot be read never stops the page: gone, it is recorded as
 * deleted; otherwise it is skipped, keeping its last good version (marked seen, so a resync sweep keeps it).
 */
async function applyPage(
  deps: SyncDeps,
  target: SyncTarget,
  workload: ContainerWorkload,
  items: GraphItem[],
  resync: boolean,
  read: Read,
  counts: SyncCounts,
  pending: Map<string, boolean>,
  redo: boolean,
): Promise<void> {
  const listed = items.map((i) => workload.toChange(i));
  counts.changes += listed.length;
  const heads = await deps.versions.heads(target.protectedItemId, target.containerId, [
    ...new Set(listed.map((c) => c.itemId)),
  ]);
  // A current version without a fact the workload now keeps is written again with it.
  const changes = listed.map((c, i) =>
    c.kind === 'upsert' && lacksDetail(workload, items[i], heads.get(c.itemId)) ? { ...c, changed: true as const } : c,
  );
  // An item whose id survives moves and has no head here may have come from another folder: its versions are there.
  const arrived = workload.immutableIds
    ? [...new Set(changes.filter((c) => c.kind === 'upsert' && !heads.has(c.itemId)).map((c) => c.itemId))]
    : [];
  const elsewhere = await deps.versions.latestElsewhere(target.protectedItemId, target.containerId, arrived);
  const headsForPlan = new Map([...heads].map(([id, d]) => [id, toHead(d)]));
  for (const [id, d] of elsewhere) headsForPlan.set(id, { ...toHead(d), elsewhere: true });
  const plan = planPage(changes, headsForPlan, { seq: target.seq, resync });
  const skipped: SkipInput[] = [];
  // Large files stored whole: their staging blobs stay until the catalog has them, so a redone page finds the
  // bytes staged instead of downloading them again.
  const finished: string[] = [];

  const records = await mapLimit(plan, deps.contentConcurrency ?? 4, async (op): Promise<LogRecord | undefined> => {
    const own = heads.get(op.itemId);
    // What a write starts from: this container's head, or the version in the folder the item moved from.
    const previous = own ?? (op.op === 'put' ? elsewhere.get(op.itemId) : undefined);
    if (op.op === 'skip') {
      if (redo && previous?.validFrom === target.seq) {
        // Written by the attempt that died on this page: it counts once, now.
        counts.written++;
        const size = previous.content
          ? 'blob' in previous.content
            ? previous.content.blob.size
            : previous.content.mime.size
          : 0;
        counts.bytes += size;
      } else counts.unchanged++;
      return undefined;
    }
    if (op.op === 'mark') {
      counts.unchanged++;
      return {
        t: 'version',
        put: {
          ...previous!,
          id: headId(target.protectedItemId, target.containerId, op.itemId),
          resyncMark: target.seq,
        },
      };
    }
    if (op.op === 'delete') {
      counts.deleted++;
      return VersionStore.deleteRecord(previous!, target.seq);
    }
    const item = items[op.index];
    const outcome = await readItem(deps, target, workload, item, op, previous, resync, read, counts);
    if ('version' in outcome) {
      if (resumable(deps, workload, item)) finished.push(item.id);
      counts.written++;
      // Moved in while still current in its old folder: closed there by this write, counted as its old folder would.
      if (previous && previous.containerId !== target.containerId && previous.validTo === undefined) counts.deleted++;
      return VersionStore.putRecord(outcome.version, previous, target.seq);
    }
    const about = {
      protectedItemId: target.protectedItemId,
      containerId: target.containerId,
      itemId: op.itemId,
      name: itemName(item),
      item,
    };
    if ('staged' in outcome) {
      // Time is up mid-file: kept like a skipped item, without counting as one, and continued by the next step.
      const reason = `its download was still under way (${outcome.staged} of ${Number(item.size)} bytes stored)`;
      skipped.push({
        ...about,
        code: STILL_BACKING_UP,
        reason,
        transient: true,
        inProgress: true,
        staged: outcome.staged,
      });
    } else if (outcome.failure.kind === 'gone') {
      if (!own) return undefined;
      counts.deleted++;
      return VersionStore.deleteRecord(own, target.seq);
    } else {
      counts.skipped++;
      const f = outcome.failure;
      skipped.push({
        ...about,
        code: f.code,
        reason: f.reason,
        transient: f.kind === 'transient',
        ...(f.status ? { status: f.status } : {}),
        ...(f.requestId ? { requestId: f.requestId } : {}),
      });
    }
    return own && resync && own.resyncMark !== target.seq
      ? {
          t: 'version',
          put: { ...own, id: headId(target.protectedItemId, target.containerId, op.itemId), resyncMark: target.seq },
        }
      : undefined;
  });
  const toWrite = records.filter(
    (r): r is Extract<LogRecord, { t: 'version' }> => r !== undefined && r.t === 'version',
  );
  await deps.log.append(logBlobName(target.accountId, target.protectedItemId, target.seq), toWrite);
  await mapLimit(toWrite, 8, (r) => deps.versions.apply(r));
  for (const id of finished) await deps.content.abandonResumable(target.tenantId, stagingKey(target, id));
  for (const s of skipped) {
    if (await deps.skips.record(s, target.seq, deps.now())) counts.skipped++;
    // Staged blocks stay known even when a file is given up for this run: the next run goes on from them.
    pending.set(s.itemId, s.inProgress === true);
  }
  // Listed again and not skipped this time (stored, unchanged, deleted): no longer owed to anyone.
  const again = new Set(skipped.map((s) => s.itemId));
  for (const id of new Set(changes.map((c) => c.itemId))) {
    if (!pending.has(id) || again.has(id)) continue;
    // A file left part-way (now stored otherwise, changed below the threshold, or gone): its staged blocks go.
    if (pending.get(id)) await deps.content.abandonResumable(target.tenantId, stagingKey(target, id));
    await deps.skips.clear(target.protectedItemId, target.containerId, id);
    pending.delete(id);
  }
}

type ReadOutcome = { version: VersionDoc } | { failure: ItemFailure } | { staged: number };

/** A large file whose step ran out of time: this many bytes are staged for the next step (control flow, not a fault). */
class PartlyStored extends Error {
  constructor(readonly staged: number) {
    super(`${staged} bytes staged; the rest in the next step`);
  }
}

/** The item's next version, or why its content could not be had after `itemAttempts` reads. */
async function readItem(
  deps: SyncDeps,
  target: SyncTarget,
  workload: ContainerWorkload,
  item: GraphItem,
  op: Extract<VersionOp, { op: 'put' }>,
  previous: VersionDoc | undefined,
  resync: boolean,
  read: Read,
  counts: SyncCounts,
): Promise<ReadOutcome> {
  const refused = op.fetchContent ? workload.refused?.(item) : undefined;
  if (refused) return { failure: { kind: 'unreadable', ...refused } };
  const attempts = deps.itemAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return { version: await nextVersion(deps, target, workload, item, op, previous, resync, read, counts) };
    } catch (e) {
      if (e instanceof PartlyStored) return { staged: e.staged };
      const failure = classifyItemFailure(e);
      if (!failure) throw e;
      if (failure.kind !== 'transient' || attempt >= attempts) return { failure };
    }
  }
}

async function nextVersion(
  deps: SyncDeps,
  target: SyncTarget,
  workload: ContainerWorkload,
  item: GraphItem,
  op: Extract<VersionOp, { op: 'put' }>,
  previous: VersionDoc | undefined,
  resync: boolean,
  read: Read,
  counts: SyncCounts,
): Promise<VersionDoc> {
  const change = workload.toChange(item);
  const doc: VersionDoc = {
    id: headId(target.protectedItemId, target.containerId, change.itemId),
    protectedItemId: target.protectedItemId,
    containerId: target.containerId,
    itemId: change.itemId,
    kind: workload.kind,
    validFrom: target.seq,
    props: { ...workload.props(item), ...(await readDetails(deps, workload, item, read)) },
    ...(change.kind === 'upsert' && change.changeKey !== undefined ? { changeKey: change.changeKey } : {}),
    ...(change.kind === 'upsert' && change.contentKey !== undefined ? { contentKey: change.contentKey } : {}),
    ...(resync ? { resyncMark: target.seq } : {}),
  };
  const source = workload.content(item);
  if (!source) return doc;
  // Unchanged content (a read-state or flag change): the stored bytes and the body text carry over.
  if (!op.fetchContent && previous?.content)
    return {
      ...doc,
      content: previous.content,
      ...(previous.props.bodyText !== undefined ? { props: { ...doc.props, bodyText: previous.props.bodyText } } : {}),
    };
  const stored =
    'url' in source && resumable(deps, workload, item)
      ? await writeLarge(
          deps,
          target,
          item,
          { url: source.url, version: (change.kind === 'upsert' && change.contentKey) || String(item.eTag) },
          read,
        )
      : await deps.content.write(
          target.tenantId,
          'inline' in source
            ? Buffer.from(JSON.stringify(item))
            : 'base64' in source
              ? base64Stream(source.base64)
              : await deps.graph.stream(source.url, read),
          { mime: 'url' in source && source.mime === true },
        );
  counts.contentFetched++;
  counts.bytes += stored.size;
  counts.storedBytes += stored.storedBytes;
  return {
    ...doc,
    content: stored.pointer,
    ...(stored.bodyText !== undefined ? { props: { ...doc.props, bodyText: stored.bodyText } } : {}),
  };
}

const lacksDetail = (workload: ContainerWorkload, item: GraphItem, head: VersionDoc | undefined): boolean =>
  head !== undefined && (workload.details?.of(item) ?? []).some((d) => head.props[d.prop] === undefined);

/** Pages of one detail collection read at most (a version history is a page or two). */
const DETAIL_PAGES = 5;

/** The item's facts its listing does not carry (ContainerWorkload.details), each collection read in full. */
async function readDetails(
  deps: SyncDeps,
  workload: ContainerWorkload,
  item: GraphItem,
  read: Read,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const detail of workload.details?.of(item) ?? []) {
    const values: GraphItem[] = [];
    let url: string | undefined = detail.url;
    for (let pages = 0; url && pages < DETAIL_PAGES; pages++) {
      const page = await deps.graph.page(url, read);
      values.push(...page.value);
      url = page.nextLink;
    }
    out[detail.prop] = detail.keep(values);
  }
  return out;
}

const stagingKey = (target: SyncTarget, itemId: string): string =>
  headId(target.protectedItemId, target.containerId, itemId);

/** A file (not MIME) big enough to be stored across steps, when the reader can read ranges. */
function resumable(deps: SyncDeps, workload: ContainerWorkload, item: GraphItem): boolean {
  const source = workload.content(item);
  const from = deps.resumableFrom;
  return (
    source !== null &&
    'url' in source &&
    !source.mime &&
    deps.graph.streamFrom !== undefined &&
    from !== undefined &&
    typeof item.size === 'number' &&
    item.size >= from
  );
}

/** Stages what this step has time for; throws PartlyStored when the deadline comes before the file's end. */
async function writeLarge(
  deps: SyncDeps,
  target: SyncTarget,
  item: GraphItem,
  from: { url: string; version: string },
  read: Read,
): Promise<StoredContent> {
  const r = await deps.content.writeResumable(target.tenantId, {
    stagingKey: stagingKey(target, item.id),
    versionKey: from.version,
    size: item.size as number,
    open: (offset) => deps.graph.streamFrom!(from.url, read, offset),
    stop: () => deps.now().getTime() >= read.deadline,
  });
  if ('staged' in r) throw new PartlyStored(r.staged);
  return r;
}

/**
 * After a resync, what Graph no longer listed is gone: deleted a slice at a time (each slice logged, then applied),
 * so memory stays flat however large the container. A fresh query per slice is unaffected by the deletes.
 */
async function sweepUnseen(deps: SyncDeps, target: SyncTarget, counts: SyncCounts): Promise<void> {
  for (;;) {
    const slice = await deps.versions.unseenHeads(target.protectedItemId, target.containerId, target.seq, SWEEP_SLICE);
    if (slice.length === 0) return;
    const byId = new Map(slice.map((h) => [h.itemId, h]));
    const records = unseenAfterResync(slice.map(toHead), target.seq).map((op) =>
      VersionStore.deleteRecord(byId.get(op.itemId)!, target.seq),
    );
    counts.deleted += records.length;
    await deps.log.append(logBlobName(target.accountId, target.protectedItemId, target.seq), records);
    await mapLimit(records, 8, (r) => deps.versions.apply(r as Extract<LogRecord, { t: 'version' }>));
  }
}

const SWEEP_SLICE = 500;
