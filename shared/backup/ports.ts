import type { Readable } from 'node:stream';
import type { GraphOperation } from '../domain/graph-permissions';
import type { ContentPointer } from '../catalog/version-doc';
import type { GraphItem } from './workloads/workload';
import type { ResumableSource } from '../storage/resumable-put';

export interface ReadOptions {
  /** Throttling key: the mailbox, drive or site the request touches. */
  mailbox: string;
  operation: GraphOperation;
  /** Epoch ms by which the calling activity must return; waits that would pass it end the activity instead. */
  deadline: number;
  /** This caller's own request counts (the client is shared by concurrent activities). */
  tally?: { requests: number; throttled: number };
  /** Request headers, e.g. a Prefer of the workload's (joined to the page size's). */
  headers?: Record<string, string>;
}

export interface DeltaPage {
  value: GraphItem[];
  nextLink?: string;
  deltaLink?: string;
}

/** What the sync engine needs from Microsoft Graph. */
export interface GraphReader {
  page(url: string, opts: ReadOptions): Promise<DeltaPage>;
  stream(url: string, opts: ReadOptions): Promise<Readable>;
  /** A file's bytes from byte `from` on (a ranged read); a reader without it stores every file in one go. */
  streamFrom?(url: string, opts: ReadOptions, from: number): Promise<RangedBody>;
}

export interface RangedBody {
  body: Readable;
  /** The download's ETag: it changes with the file's bytes, so a resumed read can tell it is the same file. */
  etag?: string;
}

/** Graph expired the container's delta token (410): the container must be re-enumerated. */
export class ResyncRequired extends Error {
  constructor(readonly location?: string) {
    super('delta token expired; full resynchronisation required');
    this.name = 'ResyncRequired';
  }
}

/** Graph asked to wait longer than the activity may: checkpoint and let the orchestrator wait on a durable timer. */
export class WaitRequired extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`throttled: retry after ${retryAfterSeconds} s`);
    this.name = 'WaitRequired';
  }
}

export interface StoredContent {
  pointer: ContentPointer;
  size: number;
  storedBytes: number;
  /** Messages: the searchable body text, read from the MIME as it streamed by. */
  bodyText?: string;
}

/** Writes content (streamed) into the backup repository, deduplicated per tenant. */
export interface ContentWriter {
  write(tenantId: string, source: Readable | Buffer, opts: { mime: boolean }): Promise<StoredContent>;
  /** A large file across activities: stored, or how many of its bytes are staged so far. */
  writeResumable(tenantId: string, source: ResumableSource): Promise<StoredContent | { staged: number }>;
  /** Drops a large file's staging, once the catalog records it or it will not be finished (key as given above). */
  abandonResumable(tenantId: string, stagingKey: string): Promise<void>;
}
