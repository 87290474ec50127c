// One adapter per kind of protected item: what it is called in alarms, how its containers are found, and how each
// container is read through Graph. The pipeline (point-steps, sync-container, the orchestrations) knows no kind;
// adding SharePoint sites, group mailboxes or teams is adding a module here and registering it in index.ts.
import type { Subject } from '../../domain/alarms';
import type { GraphOperation } from '../../domain/graph-permissions';
import type { VersionDoc } from '../../catalog/version-doc';
import type { GraphClient } from '../../graph/graph-client';
import type { GraphSession } from '../../graph/graph-session';
import type { ProtectedItemDoc } from '../../inventory/schemas';
import type { SyncOutcome } from '../sync-container';
import type { ContainerWorkload } from '../workloads/workload';

/** A container as the orchestrator sees it: a small reference, never content. `type` selects the workload. */
export interface ContainerRef {
  id: string;
  type: string;
  [detail: string]: string | undefined;
}

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

/** How a restore sees the kind's recovery points: the folders it can recreate and what a whole folder holds. */
export interface RestoreShape {
  folders(view: PointView): Promise<VersionDoc[]>;
  folderItems(view: PointView, folderId: string): AsyncIterable<VersionDoc>;
}

export type Listed = { containers: ContainerRef[] } | { retryAfterSeconds: number };

export interface ProtectedKind {
  subject(item: ProtectedItemDoc): Subject;
  /** The Graph operation an item-level failure is classified under (names the permission it needs). */
  operation: GraphOperation;
  listContainers(ctx: ListContext): Promise<Listed>;
  workload(item: ProtectedItemDoc, container: ContainerRef): ContainerWorkload;
  restore: RestoreShape;
}

/** A listed container of a type the kind does not know: a bug, said plainly. */
export function unknownContainer(kind: string, c: ContainerRef): Error {
  return new Error(`a ${kind} has no container of type '${c.type}' (${c.id})`);
}
