// One adapter per kind of protected item: what it is called in alarms, how its containers are found, and how each
// container is read through Graph. The pipeline (point-steps, sync-container, the orchestrations) knows no kind;
// adding group mailboxes or teams is adding a module here and registering it in index.ts.
import type { Subject } from '../domain/alarms';
import type { GraphOperation } from '../domain/graph-permissions';
import type { VersionDoc } from '../catalog/version-doc';
import type { GraphClient } from '../graph/graph-client';
import type { GraphSession } from '../graph/graph-session';
import type { JobInput, ProtectedItemDoc } from '../inventory/schemas';
import type { DirectoryEntry, DirectorySourceId } from '../backup/directory';
import type { SyncOutcome } from '../backup/sync-container';
import type { ContainerWorkload } from '../backup/workloads/workload';
import type { Readable } from 'node:stream';
import type { ItemResult } from '../operations/operation-store';
import type { OverwriteBehavior } from '../restore/restore-request';
import type { PlannedFolder } from '../restore/restore-plan';

/** A container as the orchestrator sees it: a small reference, never content. `type` selects the workload. */
export interface ContainerRef {
  id: string;
  type: string;
  [detail: string]: string | undefined;
}

/** A drive container whose items' permissions are kept (the job's `sharingPermissions`): its value is 'yes'. */
export const SHARING = 'sharing';

/** A container synced before that no longer exists: its items are recorded as deleted (no workload). */
export const REMOVED = 'removed';

/** What listing may use, and nothing more of the runtime. */
export interface ListContext {
  item: ProtectedItemDoc;
  graph: GraphSession & Pick<GraphClient, 'batch'>;
  deadline: number;
  /** Syncs a container that describes the others (a folder hierarchy) into the catalog first. */
  syncHierarchy(containerId: string, workload: ContainerWorkload): Promise<SyncOutcome>;
  /** The current versions of a container (e.g. the folders a hierarchy sync recorded). */
  heads(containerId: string): AsyncIterable<VersionDoc>;
  /** Ids of the containers synced before (they have cursors), to find those that no longer exist. */
  syncedContainers(): Promise<string[]>;
  /** The mark each watermark container's last completed round recorded (ContainerWorkload.watermark), by id. */
  watermarks(): Promise<Map<string, string>>;
  /** Stores what the kind learnt about the item once (e.g. a mailbox's well-known folder ids). */
  update(change: (item: ProtectedItemDoc) => ProtectedItemDoc): Promise<void>;
}

/** A recovery point's catalog as a restore plans from it. */
export interface PointView {
  /** The versions of one container at the point. */
  container(containerId: string): Promise<VersionDoc[]>;
  /** Every folder version at the point (mail and contact folders, drive folders). */
  folders(): Promise<VersionDoc[]>;
  /** The content versions directly in a folder at the point. */
  inFolder(folderId: string): AsyncIterable<VersionDoc>;
}

/** Where a restore writes, resolved by the pipeline the same way for every kind. */
export interface RestoreTarget {
  /** The target account's Graph client. */
  graph: GraphClient;
  /** The target user (or site, for a site): the item's own for an in-place restore. */
  userId: string;
  /** Restoring into the item itself (overwrite behaviour applies) or elsewhere (under a folder named for the restore). */
  original: boolean;
  overwrite: OverwriteBehavior;
  /** When the job started: an unstamped copy created since then is an unfinished one of this job. */
  startedAt: Date;
  deadline: number;
  operationId: string;
  mailFormat: 'exactMime' | 'notDraft';
  /** The batch's first attempt: none of its items can be this job's own yet. */
  firstAttempt: boolean;
}

/** What a restore reads of the backup: the item, and what the plan kept of its folders (see RestoreShape.details). */
export interface RestoreSource {
  item: ProtectedItemDoc;
  details: Record<string, string>;
  /** A backed-up folder's own content at the point (a list's schema), if it has any. */
  folderContent(folderId: string): Promise<Buffer | undefined>;
}

/** One version's stored content. */
export interface StoredContent {
  size: number;
  open(): Promise<Readable>;
  bytes(): Promise<Buffer>;
}

export interface KindRestorer {
  /** Finds or creates the target folders, extending the source → target map (kept between batches). */
  folders(planned: readonly PlannedFolder[], known: Record<string, string>): Promise<Record<string, string>>;
  /** Restores one version into its target folder ('' for items outside folders). */
  item(doc: VersionDoc, folderId: string, content: StoredContent): Promise<ItemResult>;
}

/** How a restore sees the kind's recovery points, and how it writes them back. */
export interface RestoreShape {
  /** The folders a restore can recreate. */
  folders(view: PointView): Promise<VersionDoc[]>;
  /** What restoring a whole folder restores. */
  folderItems(view: PointView, folderId: string): AsyncIterable<VersionDoc>;
  /** The version kinds that can be restored as items. */
  restorable: ReadonlySet<VersionDoc['kind']>;
  /** The source folder a restored version goes back into; '' for versions outside folders (events, contacts). */
  folderOf(doc: VersionDoc): string;
  /** What the plan keeps of the backup's folders for the restorer (e.g. the drive they came from). */
  details(folders: readonly VersionDoc[]): Record<string, string>;
  /** The Graph operation a failed write is classified under (its alarm names the permission). */
  writeOperation: GraphOperation;
  /**
   * Where the kind restores other than into the item itself: a user's mailbox or drive (the default: targets
   * 'mailbox' and 'account'), or another SharePoint site (target 'site').
   */
  elsewhere?: 'user' | 'site';
  /** Why the kind restores nothing at all (Graph lets no application write it): every restore is refused with this. */
  refused?: string;
  restorer(target: RestoreTarget, source: RestoreSource): Promise<KindRestorer>;
}

export type Listed = { containers: ContainerRef[] } | { retryAfterSeconds: number };

/** Where a kind's items are found and which entries have one. */
export interface KindDiscovery {
  source: DirectorySourceId;
  /** The job's switch that puts every such item of the account in an account-wide scope. */
  include: keyof JobInput['sources']['include'];
  /** Whether an entry has an item of this kind, for an account-wide scope (a listed selector is taken as asked). */
  eligible: (entry: DirectoryEntry) => boolean;
}

export interface ProtectedKind {
  subject(item: ProtectedItemDoc): Subject;
  /** The Graph operation an item-level failure is classified under (names the permission it needs). */
  operation: GraphOperation;
  discovery: KindDiscovery;
  listContainers(ctx: ListContext): Promise<Listed>;
  workload(item: ProtectedItemDoc, container: ContainerRef): ContainerWorkload;
  restore: RestoreShape;
}

/** A listed container of a type the kind does not know: a bug, said plainly. */
export function unknownContainer(kind: string, c: ContainerRef): Error {
  return new Error(`a ${kind} has no container of type '${c.type}' (${c.id})`);
}
