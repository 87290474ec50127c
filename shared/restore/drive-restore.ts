// Restores OneDrive files and folders through Graph: folders found by id or name (created when missing), files
// uploaded from the backed-up bytes, small ones in one PUT, larger ones streamed through an upload session in
// 320 KiB-multiple ranges (memory: one range; a failed range resumes where the session says, see upload-session.ts).
// The overwrite behaviour maps onto Graph's conflictBehavior.
import type { Readable } from 'node:stream';
import type { GraphClient } from '../graph/graph-client';
import { GraphRequestError } from '../graph/graph-errors';
import type { VersionDoc } from '../catalog/version-doc';
import type { ItemResult } from '../operations/operation-store';
import type { OverwriteBehavior } from './restore-request';
import type { PlannedFolder } from './restore-plan';
import { readAll } from '../storage/read-all';
import { putRange, UploadAnswerLost } from '../graph/upload-session';
import { textOf } from '../domain/text';

export interface DriveTarget {
  graph: GraphClient;
  driveId: string;
  original: boolean;
  overwrite: OverwriteBehavior;
  /** Folder created under the drive's root for a restore elsewhere. */
  rootName?: string;
  startedAt: Date;
  deadline: number;
}

/** Graph's simple upload takes up to 250 MB, but an upload session is the documented path above 4 MB. */
const SIMPLE_UPLOAD_LIMIT = 4 * 1024 * 1024;
/** Upload ranges: 32 × 320 KiB = 10 MiB, a multiple of 320 KiB as Graph requires. */
const RANGE = 32 * 320 * 1024;

const seg = encodeURIComponent;
const odataString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const status = (e: unknown): number | undefined => (e instanceof GraphRequestError ? e.status : undefined);
const CONFLICT: Record<OverwriteBehavior, string> = { skip: 'fail', overwrite: 'replace', rename: 'rename' };

export class DriveRestorer {
  constructor(private readonly t: DriveTarget) {}

  private opts(write = false) {
    return {
      mailbox: this.t.driveId,
      operation: write ? ('files.write' as const) : ('files.read' as const),
      deadline: this.t.deadline,
    };
  }

  private base(): string {
    return `/drives/${seg(this.t.driveId)}/items`;
  }

  private async child(parentId: string, name: string): Promise<{ id: string; folder?: unknown } | undefined> {
    const found = await this.t.graph.all<{ id: string; name: string; folder?: unknown }>(
      `${this.base()}/${seg(parentId)}/children?$filter=name eq ${odataString(name)}&$select=id,name,folder`,
      this.opts(),
    );
    return found.find((c) => c.name.toLowerCase() === name.toLowerCase());
  }

  private async folder(parentId: string, name: string): Promise<string> {
    const existing = await this.child(parentId, name);
    if (existing?.folder) return existing.id;
    try {
      return (
        await this.t.graph.send<{ id: string }>(
          'POST',
          `${this.base()}/${seg(parentId)}/children`,
          { name, folder: {}, '@microsoft.graph.conflictBehavior': existing ? 'rename' : 'fail' },
          this.opts(true),
        )
      ).id;
    } catch (e) {
      const raced = status(e) === 409 ? await this.child(parentId, name) : undefined;
      if (raced?.folder) return raced.id;
      throw e;
    }
  }

  /** Target folder ids by source folder id, parents first: the folder itself if it still exists, else by name. */
  async folders(planned: readonly PlannedFolder[], known: Record<string, string>): Promise<Record<string, string>> {
    const map = { ...known };
    const top = (await this.t.graph.get<{ id: string }>(`/drives/${seg(this.t.driveId)}/root?$select=id`, this.opts()))
      .id;
    const root = this.t.rootName ? await this.folder(top, this.t.rootName) : top;
    for (const f of planned) {
      if (map[f.sourceId]) continue;
      if (f.path.length === 0) {
        map[f.sourceId] = root;
        continue;
      }
      if (this.t.original) {
        const same = await this.t.graph
          .get<{ id: string }>(`${this.base()}/${seg(f.sourceId)}?$select=id`, this.opts())
          .catch((e: unknown) => {
            if (status(e) === 404) return undefined;
            throw e;
          });
        if (same) {
          map[f.sourceId] = same.id;
          continue;
        }
      }
      const parent = planned.find(
        (p) => p.path.length === f.path.length - 1 && p.path.every((n, i) => n === f.path[i]),
      );
      map[f.sourceId] = await this.folder(parent ? map[parent.sourceId] : root, f.path[f.path.length - 1]);
    }
    return map;
  }

  /** One file into `folderId`. A retried upload finds its own file (same name and size, created since the job began). */
  async file(doc: VersionDoc, folderId: string, size: number, open: () => Promise<Readable>): Promise<ItemResult> {
    const name = textOf([doc.props.name], doc.itemId);
    const base = { itemId: doc.itemId, name };
    const conflict = this.t.original ? CONFLICT[this.t.overwrite] : 'rename';
    const same = (): Promise<Array<{ id: string; size?: number; createdDateTime?: string }>> =>
      this.t.graph.all(
        `${this.base()}/${seg(folderId)}/children?$filter=name eq ${odataString(name)}&$select=id,name,size,createdDateTime`,
        this.opts(),
      );
    const since = Math.floor(this.t.startedAt.getTime() / 1000) * 1000;
    const oursIn = (found: Awaited<ReturnType<typeof same>>) =>
      found.find((c) => c.size === size && Date.parse(c.createdDateTime ?? '') >= since);
    const existing = await same();
    const ours = oursIn(existing);
    if (ours) return { ...base, outcome: 'restored', newId: ours.id };
    const clash = existing.length > 0;
    if (clash && conflict === 'fail')
      return { ...base, outcome: 'skipped', reason: 'a file of that name is in the folder' };
    const outcome: ItemResult['outcome'] = !clash ? 'restored' : conflict === 'replace' ? 'overwritten' : 'renamed';
    const target = `${this.base()}/${seg(folderId)}:/${seg(name)}:`;
    if (size <= SIMPLE_UPLOAD_LIMIT) {
      const item = await this.t.graph.send<{ id: string }>(
        'PUT',
        `${target}/content?@microsoft.graph.conflictBehavior=${conflict}`,
        await readAll(await open()),
        { ...this.opts(true), headers: { 'content-type': 'application/octet-stream' } },
      );
      return { ...base, outcome, newId: item.id };
    }
    const session = await this.t.graph.send<{ uploadUrl: string }>(
      'POST',
      `${target}/createUploadSession`,
      { item: { '@microsoft.graph.conflictBehavior': conflict } },
      this.opts(true),
    );
    try {
      return { ...base, outcome, newId: await this.uploadRanges(session.uploadUrl, await open(), size) };
    } catch (e) {
      // The last range went through but its answer (the new item) was lost: the item is in the folder.
      const landed = e instanceof UploadAnswerLost ? oursIn(await same()) : undefined;
      if (landed) return { ...base, outcome, newId: landed.id };
      throw e;
    }
  }

  /** Streams `source` to the session's upload URL, one range in memory at a time; returns the new item's id. */
  private async uploadRanges(uploadUrl: string, source: Readable, size: number): Promise<string> {
    let sent = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let last: { id?: unknown } = {};
    const flush = async (): Promise<void> => {
      const chunk = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      last = await putRange(this.t.graph, uploadUrl, chunk, sent, size, this.opts(true));
      sent += chunk.length;
    };
    for await (const c of source) {
      let b = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
      while (b.length > 0) {
        const take = Math.min(RANGE - pendingBytes, b.length);
        pending.push(b.subarray(0, take));
        pendingBytes += take;
        b = b.subarray(take);
        if (pendingBytes === RANGE) await flush();
      }
    }
    if (pendingBytes > 0) await flush();
    if (sent !== size || typeof last.id !== 'string') throw new Error(`uploaded ${sent} of ${size} bytes`);
    return last.id;
  }
}
