// Restores messages into a mailbox through Graph: folders found by role, id or name (created when missing), each
// message imported from its backed-up MIME, then its flag, categories, importance and read state set. Re-running a
// batch after a crash creates nothing twice: a message with the same Internet message id created in the target
// folder since the job started is this job's own (looked up in place, or when a batch is retried).
import type { GraphClient } from '../graph/graph-client';
import { GraphRequestError } from '../graph/graph-errors';
import type { VersionDoc } from '../catalog/version-doc';
import type { ItemResult } from '../operations/operation-store';
import type { OverwriteBehavior } from './restore-request';
import type { PlannedFolder } from './restore-plan';
import { freeName } from './conflict-names';
import { readMessage } from '../mime/preview';

/** Graph takes file attachments up to 3 MB in one request; larger ones go through an upload session. */
const INLINE_ATTACHMENT_LIMIT = 3 * 1024 * 1024;
/** Upload session chunks: a multiple of 320 KiB under Graph's 4 MiB per request. */
const UPLOAD_CHUNK = 9 * 320 * 1024;

export interface MailTarget {
  graph: GraphClient;
  /** Target mailbox's user id. */
  userId: string;
  /** Restoring into the item's own mailbox (overwrite behaviour applies) or elsewhere (under `rootName`). */
  original: boolean;
  overwrite: OverwriteBehavior;
  /** Folder created under the target's root for a restore elsewhere. */
  rootName?: string;
  /** When the job started: messages created since then in a target folder are this job's. */
  startedAt: Date;
  mailFormat: 'exactMime' | 'notDraft';
  deadline: number;
  /** The batch's first attempt: none of its messages can be this job's own yet. */
  firstAttempt?: boolean;
}

const seg = encodeURIComponent;
const odataString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const is404 = (e: unknown): boolean => e instanceof GraphRequestError && e.status === 404;

export class MailRestorer {
  constructor(private readonly t: MailTarget) {}

  private opts(write = false) {
    return { mailbox: this.t.userId, operation: write ? ('mail.write' as const) : ('mail.read' as const), deadline: this.t.deadline };
  }

  private async child(parentId: string, name: string): Promise<string | undefined> {
    const found = await this.t.graph.all<{ id: string }>(`/users/${seg(this.t.userId)}/mailFolders/${seg(parentId)}/childFolders?$filter=displayName eq ${odataString(name)}&$select=id,displayName`, this.opts());
    return found[0]?.id;
  }

  private async create(parentId: string, name: string): Promise<string> {
    try {
      return (await this.t.graph.send<{ id: string }>('POST', `/users/${seg(this.t.userId)}/mailFolders/${seg(parentId)}/childFolders`, { displayName: name }, this.opts(true))).id;
    } catch (e) {
      // Created meanwhile (a retried activity, a user): use it.
      if (e instanceof GraphRequestError && e.status === 409) {
        const id = await this.child(parentId, name);
        if (id) return id;
      }
      throw e;
    }
  }

  private async root(): Promise<string> {
    const top = (await this.t.graph.get<{ id: string }>(`/users/${seg(this.t.userId)}/mailFolders/msgfolderroot?$select=id`, this.opts())).id;
    if (!this.t.rootName) return top;
    return (await this.child(top, this.t.rootName)) ?? this.create(top, this.t.rootName);
  }

  /**
   * Target folder ids by source folder id, parents first. In place: the folder itself if it still exists, else its
   * well-known counterpart, else a folder of that name (rename: a new "Name (1)" beside one that exists).
   */
  async folders(planned: readonly PlannedFolder[], known: Record<string, string>): Promise<Record<string, string>> {
    const map = { ...known };
    const root = await this.root();
    for (const f of planned) {
      if (map[f.sourceId]) continue;
      const parentSource = planned.find((p) => p.path.length === f.path.length - 1 && p.path.every((n, i) => n === f.path[i]));
      const parent = parentSource ? map[parentSource.sourceId]! : root;
      const name = f.path[f.path.length - 1]!;
      if (this.t.original) {
        const same = await this.t.graph.get<{ id: string }>(`/users/${seg(this.t.userId)}/mailFolders/${seg(f.sourceId)}?$select=id`, this.opts()).catch((e) => (is404(e) ? undefined : Promise.reject(e)));
        if (same) {
          map[f.sourceId] = same.id;
          continue;
        }
      }
      if (f.wellKnownName && !parentSource) {
        const role = this.t.original || !this.t.rootName
          ? await this.t.graph.get<{ id: string }>(`/users/${seg(this.t.userId)}/mailFolders/${f.wellKnownName}?$select=id`, this.opts()).catch((e) => (is404(e) ? undefined : Promise.reject(e)))
          : undefined;
        if (role) {
          map[f.sourceId] = role.id;
          continue;
        }
      }
      const existing = await this.child(parent, name);
      if (existing && this.t.original && this.t.overwrite === 'rename') {
        const siblings = new Set((await this.t.graph.all<{ displayName: string }>(`/users/${seg(this.t.userId)}/mailFolders/${seg(parent)}/childFolders?$select=displayName`, this.opts())).map((c) => c.displayName.toLowerCase()));
        map[f.sourceId] = await this.create(parent, freeName(name, (n) => siblings.has(n.toLowerCase())));
      } else map[f.sourceId] = existing ?? (await this.create(parent, name));
    }
    return map;
  }

  /** One message into `folderId` from its MIME (`mime` yields the exact backed-up bytes). */
  async message(doc: VersionDoc, folderId: string, mime: () => Promise<Buffer>): Promise<ItemResult> {
    const name = String(doc.props.subject ?? '(no subject)');
    const base = { itemId: doc.itemId, name };
    const messageId = typeof doc.props.internetMessageId === 'string' ? doc.props.internetMessageId : undefined;
    const folderPath = `/users/${seg(this.t.userId)}/mailFolders/${seg(folderId)}/messages`;
    let outcome: ItemResult['outcome'] = 'restored';
    // Elsewhere than the original location a message found in the folder changes nothing unless it is this job's
    // own, which only a retried batch can meet: a first attempt saves the lookup (a third of the requests).
    if (messageId && (this.t.original || !this.t.firstAttempt)) {
      const same = await this.t.graph.all<{ id: string; createdDateTime: string }>(`${folderPath}?$filter=internetMessageId eq ${odataString(messageId)}&$select=id,createdDateTime`, this.opts());
      const since = Math.floor(this.t.startedAt.getTime() / 1000) * 1000;
      const ours = same.find((m) => Date.parse(m.createdDateTime) >= since);
      if (ours) return { ...base, outcome: 'restored', newId: ours.id };
      if (same.length > 0 && this.t.original) {
        if (this.t.overwrite === 'skip') return { ...base, outcome: 'skipped', reason: 'a message with the same Internet message id is in the folder' };
        if (this.t.overwrite === 'overwrite') {
          for (const m of same) await this.t.graph.send('DELETE', `/users/${seg(this.t.userId)}/messages/${seg(m.id)}`, undefined, this.opts(true)).catch((e) => (is404(e) ? undefined : Promise.reject(e)));
          outcome = 'overwritten';
        } else outcome = 'renamed';
      }
    }
    if (this.t.mailFormat === 'notDraft') return { ...base, outcome, newId: await this.rebuilt(doc, folderPath, await mime()) };
    const created = await this.t.graph.send<{ id: string }>('POST', folderPath, (await mime()).toString('base64'), { ...this.opts(true), headers: { 'content-type': 'text/plain' } });
    const patch: Record<string, unknown> = { isRead: doc.props.isRead === true };
    for (const k of ['flag', 'categories', 'importance'] as const) if (doc.props[k] !== undefined) patch[k] = doc.props[k];
    await this.t.graph.send('PATCH', `/users/${seg(this.t.userId)}/messages/${seg(created.id)}`, patch, this.opts(true));
    return { ...base, outcome, newId: created.id };
  }

  /**
   * A non-draft message: created from its Graph properties and the MIME's bodies with PR_MESSAGE_FLAGS (read or not,
   * never unsent), the original delivery and submit times, then its attachments (small ones inline in one request
   * each, large ones through an upload session).
   */
  private async rebuilt(doc: VersionDoc, folderPath: string, raw: Buffer): Promise<string> {
    const m = readMessage(raw);
    const p = doc.props;
    const times = [['SystemTime 0x0E06', p.receivedDateTime], ['SystemTime 0x0039', p.sentDateTime]].filter(([, v]) => typeof v === 'string');
    const created = await this.t.graph.send<{ id: string }>('POST', folderPath, {
      ...Object.fromEntries(['subject', 'from', 'sender', 'toRecipients', 'ccRecipients', 'bccRecipients', 'replyTo', 'importance', 'flag', 'categories', 'internetMessageId', 'inferenceClassification'].filter((k) => p[k] !== undefined && p[k] !== null).map((k) => [k, p[k]])),
      body: m.html !== undefined ? { contentType: 'html', content: m.html } : { contentType: 'text', content: m.text ?? '' },
      singleValueExtendedProperties: [{ id: 'Integer 0x0E07', value: p.isRead === true ? '1' : '0' }, ...times.map(([id, value]) => ({ id, value }))],
    }, this.opts(true));
    const messagePath = `/users/${seg(this.t.userId)}/messages/${seg(created.id)}`;
    for (const a of m.attachments) {
      const meta = { name: a.name, contentType: a.contentType, isInline: a.inline, ...(a.contentId ? { contentId: a.contentId } : {}) };
      if (a.bytes.length <= INLINE_ATTACHMENT_LIMIT) {
        await this.t.graph.send('POST', `${messagePath}/attachments`, { '@odata.type': '#microsoft.graph.fileAttachment', ...meta, contentBytes: a.bytes.toString('base64') }, this.opts(true));
        continue;
      }
      const session = await this.t.graph.send<{ uploadUrl: string }>('POST', `${messagePath}/attachments/createUploadSession`, { AttachmentItem: { attachmentType: 'file', name: a.name, size: a.bytes.length, contentType: a.contentType, isInline: a.inline, ...(a.contentId ? { contentId: a.contentId } : {}) } }, this.opts(true));
      for (let at = 0; at < a.bytes.length; at += UPLOAD_CHUNK) {
        const chunk = a.bytes.subarray(at, at + UPLOAD_CHUNK);
        // The upload URL is pre-authenticated: no bearer token goes to it.
        const res = await fetch(session.uploadUrl, { method: 'PUT', headers: { 'content-range': `bytes ${at}-${at + chunk.length - 1}/${a.bytes.length}`, 'content-type': 'application/octet-stream' }, body: chunk });
        await res.body?.cancel();
        if (!res.ok) throw new Error(`attachment '${a.name}' upload answered ${res.status} at byte ${at}`);
      }
    }
    return created.id;
  }
}
