// Restores messages into a mailbox through Graph: folders found by role, id or name (created when missing), each
// message imported from its backed-up MIME, then its flag, categories, importance and read state set. Re-running a
// batch after a crash creates nothing twice and leaves nothing half done: see message() for how a retry finds and
// completes the copies an earlier attempt made.
import type { GraphClient } from '../graph/graph-client';
import { GraphRequestError } from '../graph/graph-errors';
import type { VersionDoc } from '../catalog/version-doc';
import type { ItemResult } from '../operations/operation-store';
import type { OverwriteBehavior } from './restore-request';
import type { PlannedFolder } from './restore-plan';
import { freeName } from './conflict-names';
import { readMessage, type AttachmentInfo } from '../mime/read-message';
import { putRange, UploadAnswerLost } from '../graph/upload-session';
import { restoreKey, stampExpand, stampFilter, Stamped, stampOf, stampProperty } from './restore-stamp';
import { textOf } from '../domain/text';

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
  /** When the job started: an unstamped copy created since then in a target folder is an unfinished one of this job. */
  startedAt: Date;
  operationId: string;
  mailFormat: 'exactMime' | 'notDraft';
  deadline: number;
  /** The batch's first attempt: none of its messages can be this job's own yet. */
  firstAttempt?: boolean;
}

const seg = encodeURIComponent;
const odataString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const is404 = (e: unknown): boolean => e instanceof GraphRequestError && e.status === 404;
/** For a lookup: what is not there is undefined; any other failure stays one. */
const unless404 = (e: unknown): undefined => {
  if (is404(e)) return undefined;
  throw e;
};

export class MailRestorer {
  constructor(private readonly t: MailTarget) {}

  private opts(write = false) {
    return {
      mailbox: this.t.userId,
      operation: write ? ('mail.write' as const) : ('mail.read' as const),
      deadline: this.t.deadline,
    };
  }

  private async child(parentId: string, name: string): Promise<string | undefined> {
    const found = await this.t.graph.all<{ id: string }>(
      `/users/${seg(this.t.userId)}/mailFolders/${seg(parentId)}/childFolders?$filter=displayName eq ${odataString(name)}&$select=id,displayName`,
      this.opts(),
    );
    return found[0]?.id;
  }

  private async create(parentId: string, name: string): Promise<string> {
    try {
      return (
        await this.t.graph.send<{ id: string }>(
          'POST',
          `/users/${seg(this.t.userId)}/mailFolders/${seg(parentId)}/childFolders`,
          { displayName: name },
          this.opts(true),
        )
      ).id;
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
    const top = (
      await this.t.graph.get<{ id: string }>(
        `/users/${seg(this.t.userId)}/mailFolders/msgfolderroot?$select=id`,
        this.opts(),
      )
    ).id;
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
      const parentSource = planned.find(
        (p) => p.path.length === f.path.length - 1 && p.path.every((n, i) => n === f.path[i]),
      );
      const parent = parentSource ? map[parentSource.sourceId] : root;
      const name = f.path[f.path.length - 1];
      if (this.t.original) {
        const same = await this.t.graph
          .get<{ id: string }>(`/users/${seg(this.t.userId)}/mailFolders/${seg(f.sourceId)}?$select=id`, this.opts())
          .catch(unless404);
        if (same) {
          map[f.sourceId] = same.id;
          continue;
        }
      }
      if (f.wellKnownName && !parentSource) {
        const role =
          this.t.original || !this.t.rootName
            ? await this.t.graph
                .get<{ id: string }>(
                  `/users/${seg(this.t.userId)}/mailFolders/${f.wellKnownName}?$select=id`,
                  this.opts(),
                )
                .catch(unless404)
            : undefined;
        if (role) {
          map[f.sourceId] = role.id;
          continue;
        }
      }
      const existing = await this.child(parent, name);
      if (existing && this.t.original && this.t.overwrite === 'rename') {
        const siblings = new Set(
          (
            await this.t.graph.all<{ displayName: string }>(
              `/users/${seg(this.t.userId)}/mailFolders/${seg(parent)}/childFolders?$select=displayName`,
              this.opts(),
            )
          ).map((c) => c.displayName.toLowerCase()),
        );
        map[f.sourceId] = await this.create(
          parent,
          freeName(name, (n) => siblings.has(n.toLowerCase())),
        );
      } else map[f.sourceId] = existing ?? (await this.create(parent, name));
    }
    return map;
  }

  /**
   * One message into `folderId` from its MIME (`mime` yields the exact backed-up bytes), stamped with its restore key
   * (restore-stamp.ts). A retried batch finds the copy an earlier attempt made and completes what that attempt may
   * not have done before it died, so every message ends with its flags, read state and attachments, exactly once.
   *
   * exactMime: Graph takes no extended property with a MIME import, so the stamp goes into the PATCH that sets the
   * flags, right after the create, and marks the copy complete. A crash between the two leaves an unstamped copy:
   * a retry claims one with the same Internet message id created in the target folder since the job started (the
   * batch runs its messages in order, so an earlier message of the same id has stamped its copy by then) and sends
   * the PATCH. notDraft: the stamp and the flags go with the JSON create; the attachments follow, and a retry adds
   * those missing (an upload session creates its attachment only with its last range, so one present is whole).
   */
  async message(doc: VersionDoc, folderId: string, mime: () => Promise<Buffer>): Promise<ItemResult> {
    const name = textOf([doc.props.subject], '(no subject)');
    const base = { itemId: doc.itemId, name };
    const key = restoreKey(this.t.operationId, doc.itemId);
    const folderPath = `/users/${seg(this.t.userId)}/mailFolders/${seg(folderId)}/messages`;
    let outcome: ItemResult['outcome'] = 'restored';
    // Elsewhere than the original location a message found in the folder changes nothing unless it is this job's
    // own, which only a retried batch can meet: a first attempt saves the lookup (a third of the requests).
    if (this.t.original || !this.t.firstAttempt) {
      const { ours, unfinished, others } = await this.copies(folderPath, doc, key);
      if (ours) return { ...base, outcome, newId: await this.complete(ours, mime) };
      if (unfinished) return { ...base, outcome, newId: await this.flagged(unfinished, doc, key) };
      if (others.length > 0 && this.t.original) {
        if (this.t.overwrite === 'skip')
          return {
            ...base,
            outcome: 'skipped',
            reason: 'a message with the same Internet message id is in the folder',
          };
        if (this.t.overwrite === 'overwrite') {
          for (const id of others)
            await this.t.graph
              .send('DELETE', `/users/${seg(this.t.userId)}/messages/${seg(id)}`, undefined, this.opts(true))
              .catch(unless404);
          outcome = 'overwritten';
        } else outcome = 'renamed';
      }
    }
    if (this.t.mailFormat === 'notDraft')
      return { ...base, outcome, newId: await this.rebuilt(doc, folderPath, await mime(), key) };
    const created = await this.t.graph.send<{ id: string }>('POST', folderPath, (await mime()).toString('base64'), {
      ...this.opts(true),
      headers: { 'content-type': 'text/plain' },
    });
    return { ...base, outcome, newId: await this.flagged(created.id, doc, key) };
  }

  /**
   * The copies of a message in the target folder: this job's finished one (stamped with `key`), an unfinished one
   * of a MIME import (unstamped, created since the job started; never on a batch's first attempt), and the others.
   * One request: by Internet message id with each copy's stamp, or by the stamp alone when there is no id.
   */
  private async copies(
    folderPath: string,
    doc: VersionDoc,
    key: string,
  ): Promise<{ ours?: string; unfinished?: string; others: string[] }> {
    const messageId = typeof doc.props.internetMessageId === 'string' ? doc.props.internetMessageId : undefined;
    if (!messageId) {
      const stamped = await this.t.graph.all<{ id: string }>(
        `${folderPath}?$filter=${stampFilter(key)}&$select=id`,
        this.opts(),
      );
      return { ...(stamped[0] ? { ours: stamped[0].id } : {}), others: [] };
    }
    const byId = encodeURIComponent(`internetMessageId eq ${odataString(messageId)}`);
    const same = await this.t.graph.all<Stamped & { id: string; createdDateTime: string }>(
      `${folderPath}?$filter=${byId}&$select=id,createdDateTime&$expand=${stampExpand}`,
      this.opts(),
    );
    const since = Math.floor(this.t.startedAt.getTime() / 1000) * 1000;
    const ours = same.find((m) => stampOf(m) === key)?.id;
    const unfinished =
      ours || this.t.firstAttempt || this.t.mailFormat !== 'exactMime'
        ? undefined
        : same.find((m) => stampOf(m) === undefined && Date.parse(m.createdDateTime) >= since)?.id;
    const others = same.filter((m) => m.id !== ours && m.id !== unfinished).map((m) => m.id);
    return { ...(ours ? { ours } : {}), ...(unfinished ? { unfinished } : {}), others };
  }

  /** Flags, categories, importance and read state of a MIME import, and the stamp that marks it complete. */
  private async flagged(id: string, doc: VersionDoc, key: string): Promise<string> {
    const patch: Record<string, unknown> = {
      isRead: doc.props.isRead === true,
      singleValueExtendedProperties: [stampProperty(key)],
    };
    for (const k of ['flag', 'categories', 'importance'] as const)
      if (doc.props[k] !== undefined) patch[k] = doc.props[k];
    await this.t.graph.send('PATCH', `/users/${seg(this.t.userId)}/messages/${seg(id)}`, patch, this.opts(true));
    return id;
  }

  /** This job's stamped copy: complete for a MIME import; a rebuilt one gets the attachments it lacks. */
  private async complete(id: string, mime: () => Promise<Buffer>): Promise<string> {
    if (this.t.mailFormat !== 'notDraft') return id;
    const wanted = (await readMessage(await mime(), { keep: 'all' })).attachments;
    if (wanted.length === 0) return id;
    const messagePath = `/users/${seg(this.t.userId)}/messages/${seg(id)}`;
    const present = new Map<string, number>();
    for (const a of await this.t.graph.all<{ name: string; contentId?: string | null }>(
      `${messagePath}/attachments?$select=name,contentId`,
      this.opts(),
    )) {
      present.set(attachmentKey(a), (present.get(attachmentKey(a)) ?? 0) + 1);
    }
    for (const a of wanted) {
      const n = present.get(attachmentKey(a)) ?? 0;
      if (n > 0) present.set(attachmentKey(a), n - 1);
      else await this.attach(messagePath, a);
    }
    return id;
  }

  /**
   * A non-draft message: created from its Graph properties and the MIME's bodies with PR_MESSAGE_FLAGS (read or not,
   * never unsent), the original delivery and submit times and the restore stamp, then its attachments.
   */
  private async rebuilt(doc: VersionDoc, folderPath: string, raw: Buffer, key: string): Promise<string> {
    const m = await readMessage(raw, { keep: 'all' });
    const p = doc.props;
    const times = [
      ['SystemTime 0x0E06', p.receivedDateTime],
      ['SystemTime 0x0039', p.sentDateTime],
    ].filter(([, v]) => typeof v === 'string');
    const created = await this.t.graph.send<{ id: string }>(
      'POST',
      folderPath,
      {
        ...Object.fromEntries(
          [
            'subject',
            'from',
            'sender',
            'toRecipients',
            'ccRecipients',
            'bccRecipients',
            'replyTo',
            'importance',
            'flag',
            'categories',
            'internetMessageId',
            'inferenceClassification',
          ]
            .filter((k) => p[k] !== undefined && p[k] !== null)
            .map((k) => [k, p[k]]),
        ),
        body:
          m.html !== undefined
            ? { contentType: 'html', content: m.html }
            : { contentType: 'text', content: m.text ?? '' },
        singleValueExtendedProperties: [
          { id: 'Integer 0x0E07', value: p.isRead === true ? '1' : '0' },
          ...times.map(([id, value]) => ({ id, value })),
          stampProperty(key),
        ],
      },
      this.opts(true),
    );
    const messagePath = `/users/${seg(this.t.userId)}/messages/${seg(created.id)}`;
    for (const a of m.attachments) await this.attach(messagePath, a);
    return created.id;
  }

  /** One attachment: inline in one request up to 3 MB, else through an upload session (upload-session.ts). */
  private async attach(messagePath: string, a: MimeAttachment): Promise<void> {
    const meta = {
      name: a.name,
      contentType: a.contentType,
      isInline: a.inline,
      ...(a.contentId ? { contentId: a.contentId } : {}),
    };
    if (a.bytes.length <= INLINE_ATTACHMENT_LIMIT) {
      await this.t.graph.send(
        'POST',
        `${messagePath}/attachments`,
        { '@odata.type': '#microsoft.graph.fileAttachment', ...meta, contentBytes: a.bytes.toString('base64') },
        this.opts(true),
      );
      return;
    }
    const session = await this.t.graph.send<{ uploadUrl: string }>(
      'POST',
      `${messagePath}/attachments/createUploadSession`,
      { AttachmentItem: { attachmentType: 'file', ...meta, size: a.bytes.length } },
      this.opts(true),
    );
    try {
      for (let at = 0; at < a.bytes.length; at += UPLOAD_CHUNK)
        await putRange(
          this.t.graph,
          session.uploadUrl,
          a.bytes.subarray(at, at + UPLOAD_CHUNK),
          at,
          a.bytes.length,
          this.opts(true),
        );
    } catch (e) {
      // The last range went through but its answer was lost: the attachment is there if the session completed.
      const names =
        e instanceof UploadAnswerLost
          ? await this.t.graph.all<{ name: string; contentId?: string | null }>(
              `${messagePath}/attachments?$select=name,contentId`,
              this.opts(),
            )
          : [];
      if (!names.some((x) => attachmentKey(x) === attachmentKey(a))) throw e;
    }
  }
}

type MimeAttachment = AttachmentInfo & { bytes: Buffer };

/** What tells a message's attachments apart when comparing a copy with its MIME (Exchange's size is not the bytes'). */
const attachmentKey = (a: { name: string; contentId?: string | null }): string => `${a.name}\u0000${a.contentId ?? ''}`;
