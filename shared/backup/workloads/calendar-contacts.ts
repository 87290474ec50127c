import { ContainerWorkload, GraphItem, isRemoved, pick, seg } from './workload';

const changeKeyOf = (item: GraphItem): { changeKey?: string } => {
  const key = item.changeKey ?? item['@odata.etag'];
  return typeof key === 'string' ? { changeKey: key } : {};
};

/**
 * Graph v1.0 tracks calendar changes only through calendarView delta over a fixed window, so the window is wide
 * (1990–2099, UTC): every event an administrator could want back. The whole event JSON is the content.
 */
export function calendarEvents(userId: string): ContainerWorkload {
  return {
    kind: 'event',
    operation: 'calendars.read',
    initialUrl: `/users/${seg(userId)}/calendarView/delta?startDateTime=1990-01-01T00:00:00Z&endDateTime=2099-12-31T23:59:59Z`,
    toChange: (item) =>
      isRemoved(item)
        ? { kind: 'delete', itemId: item.id }
        : { kind: 'upsert', itemId: item.id, hasContent: true, mutableContent: true, ...changeKeyOf(item) },
    props: (item) =>
      pick(item, [
        'subject',
        'start',
        'end',
        'isAllDay',
        'organizer',
        'location',
        'type',
        'seriesMasterId',
        'recurrence',
        'showAs',
        'sensitivity',
        'categories',
        'lastModifiedDateTime',
      ]),
    content: () => ({ inline: true }),
    immutableIds: true,
  };
}

/** Contacts of the default folder (`folderId` undefined) or of one contact folder; the contact JSON is the content. */
export function contacts(userId: string, folderId?: string): ContainerWorkload {
  const base = folderId
    ? `/users/${seg(userId)}/contactFolders/${seg(folderId)}/contacts/delta`
    : `/users/${seg(userId)}/contacts/delta`;
  return {
    kind: 'contact',
    operation: 'contacts.read',
    initialUrl: base,
    toChange: (item) =>
      isRemoved(item)
        ? { kind: 'delete', itemId: item.id }
        : { kind: 'upsert', itemId: item.id, hasContent: true, mutableContent: true, ...changeKeyOf(item) },
    props: (item) =>
      pick(item, [
        'displayName',
        'givenName',
        'surname',
        'emailAddresses',
        'companyName',
        'parentFolderId',
        'lastModifiedDateTime',
      ]),
    content: () => ({ inline: true }),
    immutableIds: true,
  };
}

/** Contact folders below the default Contacts folder (the default one itself is tracked as `contacts`). */
export function contactFolders(userId: string): ContainerWorkload {
  return {
    kind: 'contactFolder',
    operation: 'contacts.read',
    initialUrl: `/users/${seg(userId)}/contactFolders/delta`,
    toChange: (item) =>
      isRemoved(item)
        ? { kind: 'delete', itemId: item.id }
        : { kind: 'upsert', itemId: item.id, hasContent: false, ...changeKeyOf(item) },
    props: (item) => pick(item, ['displayName', 'parentFolderId']),
    content: () => null,
  };
}
