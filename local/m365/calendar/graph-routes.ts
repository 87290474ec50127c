// Calendar routes: the default calendar, /events (series masters and single instances), /calendarView (instances in
// a window), calendarView/delta (window fixed by the first request; changes outside it come back as @removed), and
// event create / update / delete.
import { EventInstance, EventRecord, fromDateTimeTimeZone, instanceIdsIn, instancesIn } from './model';
import type { DeltaChange } from '../tenant/change-log';
import { immutableOf, ItemKind } from '../tenant/ids';
import type { Mailbox } from '../mail/mailbox';
import { changeKeyOf } from '../mail/message';
import { deltaResponse, removedEntry } from '../graph/delta';
import { GraphError, itemNotFound, syncStateNotFound } from '../graph/errors';
import { canonicalFilterIds, expandedExtended, filterable, mergeExtended } from '../graph/extended-properties';
import { applySelect, listPage, option } from '../graph/odata';
import { byMailbox, CALENDAR_READ, CALENDAR_WRITE, mailboxOf, patchedKeys, wantsImmutableIds } from '../mail/outlook';
import { selectFor } from '../graph/schema';
import { created, GraphContext, noContent, ok, registerRoutes } from '../graph/router';

const EVENT_TYPE = '#microsoft.graph.event';
const cal = { workload: 'calendar' as const, mailbox: byMailbox };

/** An event or instance as Graph renders it; with immutable ids its id and seriesMasterId take that form (events never move here: one calendar). */
export function eventJson(
  e: EventRecord | EventInstance,
  select?: readonly string[],
  immutableIds = false,
): Record<string, unknown> {
  const { exceptions: _x, extended: _hidden, ...rest } = e as EventRecord;
  void _x;
  void _hidden;
  const ids = immutableIds
    ? {
        id: immutableOf(e.id),
        ...('seriesMasterId' in e && e.seriesMasterId ? { seriesMasterId: immutableOf(e.seriesMasterId) } : {}),
      }
    : {};
  const json: Record<string, unknown> = {
    '@odata.etag': `W/"${e.changeKey}"`,
    ...rest,
    ...ids,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(e.id)}&exvsurl=1&path=/calendar/item`,
  };
  return applySelect(json, select);
}

function windowOf(ctx: GraphContext, params?: Record<string, string>): { from: number; to: number } {
  const start = params?.startDateTime ?? option(ctx.query, 'startDateTime');
  const end = params?.endDateTime ?? option(ctx.query, 'endDateTime');
  if (!start || !end)
    throw new GraphError(
      400,
      'ErrorInvalidParameter',
      'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
    );
  const from = Date.parse(start);
  const to = Date.parse(end);
  if (Number.isNaN(from) || Number.isNaN(to))
    throw new GraphError(400, 'ErrorInvalidParameter', 'StartDateTime and EndDateTime must be ISO 8601 date times.');
  return { from, to };
}

function eventOf(mb: Mailbox, id: string): EventRecord {
  const hit = mb.findEvent(id);
  if (!hit || hit.occurrence !== undefined) throw itemNotFound();
  return hit.event;
}

function instancesOf(mb: Mailbox, from: number, to: number): EventInstance[] {
  return [...mb.events.all()]
    .flatMap((e) => instancesIn(e, mb.refOf(e.id)!, from, to))
    .sort((a, b) => fromDateTimeTimeZone(a.start) - fromDateTimeTimeZone(b.start));
}

interface EventInput {
  subject?: string;
  body?: { contentType?: 'html' | 'text'; content?: string };
  start?: { dateTime: string; timeZone?: string };
  end?: { dateTime: string; timeZone?: string };
  location?: { displayName?: string };
  attendees?: EventRecord['attendees'];
  recurrence?: EventRecord['recurrence'];
  isAllDay?: boolean;
  showAs?: EventRecord['showAs'];
  importance?: EventRecord['importance'];
  sensitivity?: EventRecord['sensitivity'];
  categories?: string[];
  transactionId?: string;
  singleValueExtendedProperties?: unknown;
}

async function createEvent(ctx: GraphContext) {
  const mb = mailboxOf(ctx);
  const input = await ctx.json<EventInput>();
  // transactionId: a client's retry of the same create gets the event the first attempt made.
  const again = input.transactionId
    ? [...mb.events.all()].find((e) => e.transactionId === input.transactionId)
    : undefined;
  if (again)
    return created({
      '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/events/$entity`,
      ...eventJson(again, undefined, wantsImmutableIds(ctx)),
    });
  if (!input.start || !input.end)
    throw new GraphError(400, 'ErrorPropertyValidationFailure', 'The start and end properties are required.');
  const extended = mergeExtended({}, input.singleValueExtendedProperties);
  const text = input.body?.content ?? '';
  const e = mb.createEvent((id, now) => ({
    id,
    createdDateTime: now,
    lastModifiedDateTime: now,
    changeKey: changeKeyOf(id, now),
    categories: input.categories ?? [],
    subject: input.subject ?? '',
    body: { contentType: input.body?.contentType ?? 'html', content: text },
    bodyPreview: text
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 255),
    importance: input.importance ?? 'normal',
    sensitivity: input.sensitivity ?? 'normal',
    isAllDay: input.isAllDay ?? false,
    isCancelled: false,
    isOrganizer: true,
    responseRequested: true,
    showAs: input.showAs ?? 'busy',
    type: input.recurrence ? 'seriesMaster' : 'singleInstance',
    start: { dateTime: input.start!.dateTime, timeZone: input.start!.timeZone ?? 'UTC' },
    end: { dateTime: input.end!.dateTime, timeZone: input.end!.timeZone ?? 'UTC' },
    location: { displayName: input.location?.displayName ?? '', locationType: 'default' },
    organizer: { emailAddress: { name: mb.owner.name, address: mb.owner.address } },
    attendees: input.attendees ?? [],
    recurrence: input.recurrence ?? null,
    iCalUId: `040000008200E00074C5B7101A82E008${Buffer.from(id).toString('hex').slice(-48).toUpperCase()}`,
    isOnlineMeeting: false,
    exceptions: {},
    ...(input.transactionId ? { transactionId: input.transactionId } : {}),
    ...(Object.keys(extended).length ? { extended } : {}),
  }));
  return created({
    '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/events/$entity`,
    ...eventJson(e, undefined, wantsImmutableIds(ctx)),
  });
}

const EVENT_PATCHABLE = new Set([
  'subject',
  'body',
  'start',
  'end',
  'location',
  'attendees',
  'recurrence',
  'isAllDay',
  'showAs',
  'importance',
  'sensitivity',
  'categories',
  'singleValueExtendedProperties',
]);

registerRoutes([
  {
    method: 'GET',
    path: '/users/{userId}/calendar',
    ...cal,
    permissions: CALENDAR_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/calendar/$entity`,
        id: mb.id(ItemKind.calendar, 0),
        name: 'Calendar',
        color: 'auto',
        isDefaultCalendar: true,
        canEdit: true,
        canShare: true,
        canViewPrivateItems: true,
        owner: { name: mb.owner.name, address: mb.owner.address },
      });
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/events',
    ...cal,
    permissions: CALENDAR_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const select = selectFor(ctx, 'event');
      canonicalFilterIds(ctx);
      const { page, nextLink } = listPage(ctx, [...mb.events.all()], {
        fallback: 10,
        max: 1000,
        filterView: (e) => filterable({ ...e }, e.extended ?? {}),
      });
      const value = page.map((e) => ({
        ...eventJson(e, select, wantsImmutableIds(ctx)),
        ...expandedExtended(ctx, e.extended ?? {}),
      }));
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/events`,
        ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
        value,
      });
    },
  },
  { method: 'POST', path: '/users/{userId}/events', ...cal, permissions: CALENDAR_WRITE, handler: createEvent },
  {
    method: 'POST',
    path: '/users/{userId}/calendar/events',
    ...cal,
    permissions: CALENDAR_WRITE,
    handler: createEvent,
  },
  {
    method: 'GET',
    path: '/users/{userId}/events/{eventId}',
    ...cal,
    permissions: CALENDAR_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const hit = mb.findEvent(ctx.params.eventId);
      if (!hit) throw itemNotFound();
      const restId = mb.restIdOf(ctx.params.eventId);
      const json =
        hit.occurrence === undefined
          ? hit.event
          : instancesIn(hit.event, hit.ref, -8.64e15, 8.64e15).find((i) => i.id === restId);
      if (!json) throw itemNotFound();
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/events/$entity`,
        ...eventJson(json, selectFor(ctx, 'event'), wantsImmutableIds(ctx)),
        ...expandedExtended(ctx, json.extended ?? {}),
      });
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/events/{eventId}/instances',
    ...cal,
    permissions: CALENDAR_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const e = eventOf(mb, ctx.params.eventId);
      const { from, to } = windowOf(ctx);
      const select = selectFor(ctx, 'event');
      return ok({
        value: instancesIn(e, mb.refOf(e.id)!, from, to).map((i) => eventJson(i, select, wantsImmutableIds(ctx))),
      });
    },
  },
  {
    method: 'PATCH',
    path: '/users/{userId}/events/{eventId}',
    ...cal,
    permissions: CALENDAR_WRITE,
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const e = eventOf(mb, ctx.params.eventId);
      const input = await ctx.json<Record<string, unknown>>();
      const keys = patchedKeys(input, EVENT_PATCHABLE);
      const now = new Date(ctx.emulator.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const { singleValueExtendedProperties, ...fields } = input;
      const extended = mergeExtended(e.extended ?? {}, singleValueExtendedProperties);
      const next = {
        ...e,
        ...(fields as Partial<EventRecord>),
        ...(Object.keys(extended).length ? { extended } : {}),
        lastModifiedDateTime: now,
        changeKey: changeKeyOf(e.id, now, mb.events.currentSeq()),
      };
      next.type = next.recurrence ? 'seriesMaster' : 'singleInstance';
      mb.events.update(next, [...keys, 'lastModifiedDateTime', 'changeKey']);
      return ok(eventJson(next, undefined, wantsImmutableIds(ctx)));
    },
  },
  {
    method: 'DELETE',
    path: '/users/{userId}/events/{eventId}',
    ...cal,
    permissions: CALENDAR_WRITE,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      mb.events.remove(eventOf(mb, ctx.params.eventId).id);
      return noContent();
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/calendarView',
    ...cal,
    permissions: CALENDAR_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const { from, to } = windowOf(ctx);
      const select = selectFor(ctx, 'event');
      const { page, nextLink } = listPage(ctx, instancesOf(mb, from, to), { fallback: 10, max: 1000 });
      return ok({
        '@odata.context': `${ctx.baseUrl}/$metadata#users('${ctx.params.userId}')/calendarView`,
        ...(nextLink ? { '@odata.nextLink': nextLink } : {}),
        value: page.map((i) => eventJson(i, select, wantsImmutableIds(ctx))),
      });
    },
  },
  {
    method: 'GET',
    path: '/users/{userId}/calendarView/delta',
    ...cal,
    permissions: CALENDAR_READ,
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const first = option(ctx.query, '$skiptoken') ?? option(ctx.query, '$deltatoken');
      if (!first) windowOf(ctx);
      const immutableIds = wantsImmutableIds(ctx);
      return deltaResponse(ctx, {
        log: mb.events,
        linkPath: `/users/${ctx.params.userId}/calendarView/delta`,
        context: 'Collection(event)',
        pageSize: { fallback: 100, max: 1000 },
        // Prefer: odata.maxpagesize counts what a page holds: occurrences and exceptions, not series.
        roundParams: ['startDateTime', 'endDateTime'],
        noSelect: true,
        countEntries: true,
        expired: () => syncStateNotFound(mb.events.generation),
        render: (c: DeltaChange<EventRecord>, o) => {
          const { from, to } = windowOf(ctx, o.params);
          const ref = mb.refOf(c.id)!;
          const id = (restId: string): string => (immutableIds ? immutableOf(restId) : restId);
          if (c.kind === 'removed') {
            const ids = instanceIdsIn(c.item, ref, from, to);
            return (ids.length ? ids : [c.id]).map((x) => removedEntry(EVENT_TYPE, id(x), 'deleted'));
          }
          const instances = instancesIn(c.item, ref, from, to);
          // A change to an event outside the window is reported as a removal: the client filters by its own range.
          if (!instances.length) return c.initial ? [] : [removedEntry(EVENT_TYPE, id(c.id), 'deleted')];
          return instances.map((i) => ({ '@odata.type': EVENT_TYPE, ...eventJson(i, undefined, immutableIds) }));
        },
      });
    },
  },
]);
