import { ContainerWorkload, isRemoved, pick, seg } from './workload';
import { textOf } from '../../domain/text';

const MESSAGE_PROPS = [
  'subject',
  'from',
  'sender',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'receivedDateTime',
  'sentDateTime',
  'isRead',
  'isDraft',
  'flag',
  'categories',
  'importance',
  'hasAttachments',
  'internetMessageId',
  'conversationId',
  'parentFolderId',
  'bodyPreview',
  'inferenceClassification',
] as const;

/**
 * Mail folders of a mailbox: one flat delta over the whole hierarchy (the tree is rebuilt from parentFolderId).
 * `wellKnown` (name → id) marks the Inbox, Sent Items, ... so restores and browsing can find them by role.
 */
export function mailFolders(userId: string, wellKnown: Record<string, string> = {}): ContainerWorkload {
  const roleOf = new Map(Object.entries(wellKnown).map(([name, id]) => [id, name]));
  return {
    kind: 'mailFolder',
    operation: 'mail.read',
    initialUrl: `/users/${seg(userId)}/mailFolders/delta`,
    toChange: (item) =>
      isRemoved(item)
        ? { kind: 'delete', itemId: item.id }
        : { kind: 'upsert', itemId: item.id, hasContent: false, ...changeKeyOf(item) },
    props: (item) => {
      const role = roleOf.get(item.id);
      return {
        ...pick(item, ['displayName', 'parentFolderId', 'childFolderCount', 'totalItemCount', 'unreadItemCount']),
        ...(role ? { wellKnownName: role } : {}),
      };
    },
    content: () => null,
  };
}

/** Messages of one folder: full MIME as content, the properties MIME does not carry (read, flag, categories) as props. */
export function folderMessages(userId: string, folderId: string): ContainerWorkload {
  return {
    kind: 'message',
    operation: 'mail.read',
    initialUrl: `/users/${seg(userId)}/mailFolders/${seg(folderId)}/messages/delta?$select=${MESSAGE_PROPS.join(',')},changeKey,lastModifiedDateTime`,
    toChange: (item) =>
      isRemoved(item)
        ? { kind: 'delete', itemId: item.id }
        : {
            kind: 'upsert',
            itemId: item.id,
            hasContent: true,
            mutableContent: item.isDraft === true,
            ...changeKeyOf(item),
          },
    props: (item) => ({ ...pick(item, [...MESSAGE_PROPS, 'lastModifiedDateTime']), searchText: searchTextOf(item) }),
    content: (item) => ({ url: `/users/${seg(userId)}/messages/${seg(item.id)}/$value`, mime: true }),
    immutableIds: true,
  };
}

type Recipient = { emailAddress?: { name?: string; address?: string } };

/**
 * One lower-cased field holding what administrators search by (subject, every sender and recipient name and address,
 * the body preview), so a search is one CONTAINS over one string per version instead of walking nested arrays.
 */
export function searchTextOf(item: Record<string, unknown>): string {
  const people = ['from', 'sender', 'toRecipients', 'ccRecipients', 'bccRecipients', 'replyTo']
    .flatMap((k) => (Array.isArray(item[k]) ? (item[k] as Recipient[]) : item[k] ? [item[k] as Recipient] : []))
    .map((r) => `${r.emailAddress?.name ?? ''} <${r.emailAddress?.address ?? ''}>`);
  return [textOf([item.subject]), ...people, textOf([item.bodyPreview])].join('\n').toLowerCase().slice(0, 4000);
}

function changeKeyOf(item: Record<string, unknown>): { changeKey?: string } {
  const key = item.changeKey ?? item['@odata.etag'];
  return typeof key === 'string' ? { changeKey: key } : {};
}
