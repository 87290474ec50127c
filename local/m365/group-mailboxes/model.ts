// The group mailbox of a Microsoft 365 group: conversations, their threads and the threads' posts, generated from
// (seed, group id) the first time the group is asked for. A conversation is the set of threads sharing its id and
// topic, and lives while one of them does; a thread's lastDeliveredDateTime, preview and senders derive from its
// posts, so a new post moves them (the only change signal: group conversations have no delta in Graph).
import { arrayBase, ChangeLog, SeqClock } from '../tenant/change-log';
import type { GroupRecord } from '../directory/model';
import { decodeItemId, encodeItemId, ItemKind, ItemRef, mailboxKeyOf } from '../tenant/ids';
import { AttachmentContent, changeKeyOf, isoSeconds, MailAddress } from '../mail/message';
import { sentencesFor, subjectFor } from '../tenant/names';
import { between, pick, rng } from '../tenant/seeded';
import { registerTenantExtension, Tenant } from '../tenant/tenant';

export interface GroupThreadRecord {
  id: string;
  conversationId: string;
  topic: string;
  /** Container number of the thread's posts inside their ids. */
  container: number;
}

export interface GroupPostRecord {
  id: string;
  conversationId: string;
  threadId: string;
  createdDateTime: string;
  receivedDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  from: MailAddress;
  /** HTML body. */
  body: string;
  /** The post this one answers (Graph shows it only through $expand=inReplyTo). */
  inReplyTo: string | null;
  attachments: AttachmentContent[];
}

/** A thread with its live posts, oldest first, and what Graph derives from them. */
export interface ThreadView {
  thread: GroupThreadRecord;
  posts: GroupPostRecord[];
  lastDeliveredDateTime: string;
  hasAttachments: boolean;
  uniqueSenders: string[];
  preview: string;
}

export interface ConversationView extends Omit<ThreadView, 'thread' | 'posts'> {
  id: string;
  topic: string;
  threads: ThreadView[];
}

export interface NewPost {
  from: MailAddress;
  body: string;
  inReplyTo?: string | null;
  attachments?: AttachmentContent[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CREATED_BASE = 1000;
const OFFICE = 'application/vnd.openxmlformats-officedocument';
const ATTACHMENTS = [
  { name: 'Agenda.docx', contentType: `${OFFICE}.wordprocessingml.document` },
  { name: 'Budget Übersicht.xlsx', contentType: `${OFFICE}.spreadsheetml.sheet` },
  { name: 'Plan Q3.pptx', contentType: `${OFFICE}.presentationml.presentation` },
];

const newestFirst = (a: { lastDeliveredDateTime: string }, b: { lastDeliveredDateTime: string }): number =>
  Date.parse(b.lastDeliveredDateTime) - Date.parse(a.lastDeliveredDateTime);

/** The preview Exchange shows: the latest post's text, tags stripped. */
const previewOf = (html: string): string =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 255);

export class GroupMailbox {
  readonly key: Buffer;
  readonly threads: ChangeLog<GroupThreadRecord>;
  readonly posts: ChangeLog<GroupPostRecord>;
  /** Serial numbers for ids of created conversations, threads and posts. */
  private serial = 0;

  constructor(
    seed: string,
    readonly group: GroupRecord,
    people: readonly MailAddress[],
    anchor: Date,
    clock: SeqClock,
    private readonly now: () => number,
  ) {
    this.key = mailboxKeyOf(seed, group.id);
    let generated: ReturnType<GroupMailbox['generate']> | undefined;
    const once = (): ReturnType<GroupMailbox['generate']> => (generated ??= this.generate(seed, people, anchor));
    this.threads = new ChangeLog(
      `groups/${group.id}/threads`,
      arrayBase(() => once().threads),
      clock,
    );
    this.posts = new ChangeLog(
      `groups/${group.id}/posts`,
      arrayBase(() => once().posts),
      clock,
    );
  }

  get address(): MailAddress {
    return { name: this.group.displayName, address: this.group.mail ?? `${this.group.mailNickname}@invalid` };
  }

  id(kind: ItemKind, container: number, index = 0, serial = 0, sub = 0): string {
    return encodeItemId({ mailbox: this.key, kind, container, index, serial, sub });
  }

  /** The reference inside one of this group mailbox's ids, or undefined. */
  refOf(id: string): ItemRef | undefined {
    const ref = decodeItemId(id);
    return ref && ref.mailbox.equals(this.key) ? ref : undefined;
  }

  /**
   * 3–5 conversations over the quarter before the anchor; every third has a second thread (Exchange forks one when
   * recipients change); 1–4 posts per thread from the group's members, each later one replying to the one before,
   * and a file attachment on every third post.
   */
  private generate(
    seed: string,
    people: readonly MailAddress[],
    anchor: Date,
  ): { threads: GroupThreadRecord[]; posts: GroupPostRecord[] } {
    const r = rng(seed, this.group.id, 'conversations');
    const count = between(r, 3, 5);
    const threads: GroupThreadRecord[] = [];
    const posts: GroupPostRecord[] = [];
    for (let c = 0; c < count; c++) {
      const conversationId = this.id(ItemKind.conversation, c + 1);
      const topic = subjectFor(r);
      const start = anchor.getTime() - (count - c) * 11 * DAY + between(r, 8, 17) * HOUR;
      for (let t = 0; t < (c % 3 === 1 ? 2 : 1); t++) {
        const thread = {
          id: this.id(ItemKind.thread, threads.length + 1),
          conversationId,
          topic,
          container: threads.length + 1,
        };
        threads.push(thread);
        let previous: string | null = null;
        for (let p = 0, n = between(r, 1, 4); p < n; p++) {
          const at = start + t * DAY + p * 2 * HOUR + between(r, 0, 59) * 60_000;
          const stamp = isoSeconds(at);
          const id = this.id(ItemKind.post, thread.container, p);
          const attachments: AttachmentContent[] =
            posts.length % 3 === 1
              ? [
                  {
                    ...pick(r, ATTACHMENTS),
                    size: between(r, 8_000, 60_000),
                    isInline: false,
                    lastModifiedDateTime: stamp,
                    source: { key: `${seed}|${id}|attachment` },
                  },
                ]
              : [];
          posts.push({
            id,
            conversationId,
            threadId: thread.id,
            createdDateTime: stamp,
            receivedDateTime: isoSeconds(at + between(r, 1, 30) * 1000),
            lastModifiedDateTime: stamp,
            changeKey: changeKeyOf(id, 0),
            from: pick(r, people),
            body: `<html><body><div>${sentencesFor(r, between(r, 1, 4))}</div></body></html>`,
            inReplyTo: previous,
            attachments,
          });
          previous = id;
        }
      }
    }
    return { threads, posts };
  }

  /** Every live thread with its posts. */
  threadViews(): ThreadView[] {
    const byThread = new Map<string, GroupPostRecord[]>();
    for (const p of this.posts.all()) {
      const list = byThread.get(p.threadId);
      if (list) list.push(p);
      else byThread.set(p.threadId, [p]);
    }
    return [...this.threads.all()]
      .map((thread) =>
        view(
          thread,
          (byThread.get(thread.id) ?? []).sort(
            (a, b) => Date.parse(a.receivedDateTime) - Date.parse(b.receivedDateTime),
          ),
        ),
      )
      .sort(newestFirst);
  }

  thread(id: string): ThreadView | undefined {
    return this.threadViews().find((v) => v.thread.id === id);
  }

  /** Conversations, newest delivery first. */
  conversations(): ConversationView[] {
    const byId = new Map<string, ThreadView[]>();
    for (const v of this.threadViews())
      byId.set(v.thread.conversationId, [...(byId.get(v.thread.conversationId) ?? []), v]);
    return [...byId]
      .map(([id, threads]) => ({
        ...view(
          threads[0].thread,
          threads.flatMap((t) => t.posts),
        ),
        id,
        topic: threads[0].thread.topic,
        threads,
      }))
      .sort(newestFirst);
  }

  conversation(id: string): ConversationView | undefined {
    return this.conversations().find((c) => c.id === id);
  }

  /** Adds a post to a live thread, delivered now; undefined when the thread is gone. */
  post(threadId: string, input: NewPost): GroupPostRecord | undefined {
    const thread = this.threads.get(threadId);
    if (!thread) return undefined;
    const serial = ++this.serial;
    const id = this.id(ItemKind.post, thread.container, 0, serial);
    const stamp = isoSeconds(this.now());
    const post: GroupPostRecord = {
      id,
      conversationId: thread.conversationId,
      threadId,
      createdDateTime: stamp,
      receivedDateTime: stamp,
      lastModifiedDateTime: stamp,
      changeKey: changeKeyOf(id, stamp),
      from: input.from,
      body: input.body,
      inReplyTo: input.inReplyTo ?? null,
      attachments: input.attachments ?? [],
    };
    this.posts.create(post);
    return post;
  }

  /** Starts a conversation: a new conversation, its thread and its first post. */
  startConversation(topic: string, first: NewPost): { thread: GroupThreadRecord; post: GroupPostRecord } {
    const serial = ++this.serial;
    const thread = {
      id: this.id(ItemKind.thread, CREATED_BASE + serial, 0, serial),
      conversationId: this.id(ItemKind.conversation, CREATED_BASE + serial, 0, serial),
      topic,
      container: CREATED_BASE + serial,
    };
    this.threads.create(thread);
    return { thread, post: this.post(thread.id, first)! };
  }

  /** Deletes a thread and its posts; its conversation goes with its last thread. */
  deleteThread(id: string): boolean {
    if (!this.threads.remove(id)) return false;
    for (const p of [...this.posts.all()].filter((x) => x.threadId === id)) this.posts.remove(p.id);
    return true;
  }

  /** The id of a post's n-th (1-based) attachment. */
  attachmentId(post: GroupPostRecord, n: number): string {
    const ref = this.refOf(post.id)!;
    return this.id(ItemKind.attachment, ref.container, ref.index, ref.serial, n);
  }
}

function view(thread: GroupThreadRecord, posts: GroupPostRecord[]): ThreadView {
  const latest = posts.reduce<GroupPostRecord | undefined>(
    (a, p) => (!a || Date.parse(p.receivedDateTime) >= Date.parse(a.receivedDateTime) ? p : a),
    undefined,
  );
  return {
    thread,
    posts,
    lastDeliveredDateTime: latest?.receivedDateTime ?? isoSeconds(0),
    hasAttachments: posts.some((p) => p.attachments.length > 0),
    uniqueSenders: [...new Set(posts.map((p) => p.from.name))],
    preview: latest ? previewOf(latest.body) : '',
  };
}

/** The group mailboxes of a tenant: one per Microsoft 365 group, opened on first use. */
export class GroupMailboxes {
  private readonly opened = new Map<string, GroupMailbox>();

  constructor(private readonly tenant: Tenant) {}

  /** The mailbox of a Microsoft 365 group; undefined for security groups and unknown ids. */
  of(groupId: string): GroupMailbox | undefined {
    const group = this.tenant.directory.group(groupId);
    if (!group?.groupTypes.includes('Unified')) return undefined;
    let mb = this.opened.get(group.id);
    if (!mb) {
      const people = this.tenant.directory
        .generatedMembers(group)
        .map((u) => ({ name: u.displayName, address: u.mail ?? u.userPrincipalName }));
      mb = new GroupMailbox(this.tenant.seed, group, people, this.tenant.anchor, this.tenant.changes, this.tenant.now);
      this.opened.set(group.id, mb);
    }
    return mb;
  }
}

declare module '../tenant/tenant' {
  interface TenantExtensions {
    groupMailboxes: GroupMailboxes;
  }
}

registerTenantExtension((t) => {
  t.groupMailboxes = new GroupMailboxes(t);
});
