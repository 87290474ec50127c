// Single-value extended properties on messages, events and contacts (singleValueLegacyExtendedProperty-get / -post
// pages): set on create and by PATCH, returned only through $expand with a $filter on the id (absent when the item
// lacks it), found with $filter=singleValueExtendedProperties/Any(…); type, GUID and tag compare case-insensitively.
import { json, startTestEmulator, TestEmulator } from './support';

const KEY = 'String {9b7e4c1a-3f2d-4e8b-a5c6-0d1e2f3a4b5c} Name restoreKey';
const SPELLED = 'string {9B7E4C1A-3F2D-4E8B-A5C6-0D1E2F3A4B5C} Name restoreKey';

describe('single-value extended properties', () => {
  let t: TestEmulator;
  let user: string;

  beforeAll(async () => {
    t = await startTestEmulator({
      seed: 'extended',
      profile: {
        licensedUsers: 2,
        sharedMailboxes: 0,
        messages: { inbox: 3 },
        filesPerDrive: 0,
        fileBytes: { min: 0, max: 0 },
        attachmentEvery: 0,
        largeEvery: 0,
        eventsPerMailbox: 2,
        recurringEvery: 0,
        contactsPerMailbox: 2,
        contactFolders: 0,
        contactsPerFolder: 0,
      },
    });
    user = t.em.tenant().directory.correspondents()[0].id;
  });
  afterAll(() => t?.stop());

  const expand = (id: string): string =>
    `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${id}')`)}`;
  const having = (id: string, value: string): string =>
    `$filter=${encodeURIComponent(`singleValueExtendedProperties/Any(ep: ep/id eq '${id}' and ep/value eq '${value}')`)}`;

  const cases = [
    { kind: 'contacts', create: { displayName: 'Twin' } },
    {
      kind: 'events',
      create: {
        subject: 'Stamped',
        start: { dateTime: '2026-05-01T10:00:00', timeZone: 'UTC' },
        end: { dateTime: '2026-05-01T11:00:00', timeZone: 'UTC' },
      },
    },
    { kind: 'mailFolders/inbox/messages', create: { subject: 'Stamped', body: { contentType: 'text', content: 'x' } } },
  ];

  it.each(cases)(
    '$kind: create with a property, find it by Any(id, value), expand it, PATCH it',
    async ({ kind, create }) => {
      const base = `/users/${user}/${kind}`;
      const item = (path: string): string =>
        kind.includes('messages') ? `/users/${user}/messages/${path}` : `${base}/${path}`;
      const stamped = await json(
        await t.graph('POST', base, {
          body: { ...create, singleValueExtendedProperties: [{ id: KEY, value: 'op-1:a' }] },
        }),
      );
      const plain = await json(await t.graph('POST', base, { body: create }));
      expect(stamped.singleValueExtendedProperties).toBeUndefined();

      const found = await json(await t.graph('GET', `${base}?${having(SPELLED, 'OP-1:A')}&$select=id`));
      expect(found.value.map((x: { id: string }) => x.id)).toEqual([stamped.id]);
      expect((await json(await t.graph('GET', `${base}?${having(KEY, 'op-1:b')}`))).value).toEqual([]);

      const listed = (await json(await t.graph('GET', `${base}?${expand(SPELLED)}&$top=100`))).value as Array<
        Record<string, unknown>
      >;
      expect(listed.find((x) => x.id === stamped.id)!.singleValueExtendedProperties).toEqual([
        { id: KEY, value: 'op-1:a' },
      ]);
      expect(listed.find((x) => x.id === plain.id)!).not.toHaveProperty('singleValueExtendedProperties');
      // The Name of a named property is case-sensitive: another name is another property.
      expect(
        await json(await t.graph('GET', `${item(plain.id)}?${expand(KEY.replace('restoreKey', 'RestoreKey'))}`)),
      ).not.toHaveProperty('singleValueExtendedProperties');

      expect(
        (
          await t.graph('PATCH', item(plain.id), {
            body: { singleValueExtendedProperties: [{ id: SPELLED, value: 'op-1:c' }] },
          })
        ).status,
      ).toBe(200);
      expect(
        (await json(await t.graph('GET', `${item(plain.id)}?${expand(KEY)}`))).singleValueExtendedProperties,
      ).toEqual([{ id: SPELLED, value: 'op-1:c' }]);
      expect(
        (await json(await t.graph('GET', `${base}?${having(KEY, 'op-1:c')}`))).value.map((x: { id: string }) => x.id),
      ).toEqual([plain.id]);
    },
  );
});
