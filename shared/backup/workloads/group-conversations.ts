// A Microsoft 365 group's mailbox: its threads (one listing, newest delivery first) and each thread's posts with their
// attachments. Graph v1.0 has no delta here, so both follow a watermark on lastDeliveredDateTime (see Watermarked).
import { ContainerWorkload, GraphItem, pick, seg } from './workload';
import { searchTextOf } from './mail';
import { htmlText } from '../../mime/html-sanitizer';

const delivered = (item: GraphItem): string | undefined =>
  typeof item.lastDeliveredDateTime === 'string' ? item.lastDeliveredDateTime : undefined;

/**
 * The group's threads: folders of the catalog, whose change key is their last delivery, so a thread delivered to
 * since the last round gets a new version (and its posts are read again), and a full round records threads gone.
 */
export function groupThreads(groupId: string): ContainerWorkload {
  return {
    kind: 'groupThread',
    operation: 'groupConversations.read',
    initialUrl: `/groups/${seg(groupId)}/threads`,
    toChange: (item) => {
      const mark = delivered(item);
      return { kind: 'upsert', itemId: item.id, hasContent: false, ...(mark ? { changeKey: mark } : {}) };
    },
    props: (item) =>
      pick(item, [
        'topic',
        'lastDeliveredDateTime',
        'hasAttachments',
        'uniqueSenders',
        'preview',
        'toRecipients',
        'ccRecipients',
        'isLocked',
      ]),
    content: () => null,
    watermark: { markOf: delivered },
  };
}

const ATTACHMENT_METADATA = ['id', 'name', 'contentType', 'size', 'isInline', 'lastModifiedDateTime'];
const POST_PROPS = [
  'receivedDateTime',
  'createdDateTime',
  'lastModifiedDateTime',
  'from',
  'sender',
  'hasAttachments',
  'conversationId',
  'conversationThreadId',
];

/** A post's body as text (Graph serves it as HTML or text). */
const bodyOf = (item: GraphItem): string => {
  const body = item.body as { contentType?: string; content?: string } | undefined;
  const content = body?.content ?? '';
  return body?.contentType?.toLowerCase() === 'html' ? htmlText(content) : content;
};

const changeKeyOf = (item: GraphItem): string | undefined => {
  const key = item.changeKey ?? item['@odata.etag'];
  return typeof key === 'string' ? key : undefined;
};

/**
 * The posts of one thread, each stored whole as JSON (body, from, sender, dates, its attachments' metadata) and each
 * file attachment as an item of its own whose bytes go to content storage. Graph serves an application a post's
 * attachments only through $expand (the attachments collection and its $value are delegated-only in v1.0), so the
 * bytes come base64 in the listing. Read only when the thread was delivered to, and then whole: `lastDelivered` (the
 * thread's lastDeliveredDateTime when listed) is what the round records.
 */
export function threadPosts(
  groupId: string,
  threadId: string,
  thread: { lastDelivered?: string; topic?: string } = {},
): ContainerWorkload {
  const { lastDelivered, topic } = thread;
  return {
    kind: 'groupPost',
    operation: 'groupConversations.read',
    initialUrl: `/groups/${seg(groupId)}/threads/${seg(threadId)}/posts?$expand=attachments`,
    expand(post) {
      const attachments = Array.isArray(post.attachments) ? (post.attachments as GraphItem[]) : [];
      const key = changeKeyOf(post);
      return [
        { ...post, attachments: attachments.map(({ contentBytes: _bytes, ...metadata }) => metadata) },
        ...attachments.map((a): GraphItem => ({
          ...a,
          '@postAttachment': true,
          postId: post.id,
          ...(key !== undefined ? { postChangeKey: key } : {}),
        })),
      ];
    },
    toChange: (item) => {
      // An attachment changes only with its post; its bytes never do under the same id.
      const key = item['@postAttachment'] ? item.postChangeKey : changeKeyOf(item);
      return {
        kind: 'upsert',
        itemId: item.id,
        hasContent: !item['@postAttachment'] || typeof item.contentBytes === 'string',
        ...(typeof key === 'string' ? { changeKey: key } : {}),
        ...(item['@postAttachment'] ? {} : { mutableContent: true }),
      };
    },
    props: (item) =>
      item['@postAttachment']
        ? { ...pick(item, ATTACHMENT_METADATA), postId: item.postId, attachment: true }
        : {
            ...pick(item, POST_PROPS),
            // Searched as a message is: the thread's topic, who wrote it, the body's text.
            searchText: searchTextOf({
              subject: topic,
              from: item.from,
              sender: item.sender,
              bodyPreview: bodyOf(item),
            }),
            parentId: threadId,
            // Posts have no subject of their own: a browse names them by their thread's topic.
            ...(topic ? { topic } : {}),
            attachments: ((item.attachments ?? []) as GraphItem[]).map((a) => pick(a, ['id', 'name', 'size'])),
          },
    content: (item) =>
      item['@postAttachment']
        ? typeof item.contentBytes === 'string'
          ? { base64: item.contentBytes }
          : null
        : { inline: true },
    watermark: {
      markOf: () => undefined,
      everyRound: true,
      goneIsEmpty: true,
      ...(lastDelivered ? { mark: lastDelivered } : {}),
    },
  };
}
