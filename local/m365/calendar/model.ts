// Calendar events: single instances and weekly series (with one moved and one cancelled occurrence), generated from
// the seed, plus their expansion into the instances a calendarView returns (occurrences and exceptions; a series
// master itself never appears in a calendarView, only in /events).
import { encodeItemId, ItemKind, ItemRef } from '../tenant/ids';
import { changeKeyOf, isoSeconds, MailAddress } from '../mail/message';
import { eventSubjectFor, sentencesFor } from '../tenant/names';
import { between, hashOf, pick, rng } from '../tenant/seeded';

export interface DateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

export interface Recurrence {
  pattern: {
    type: 'daily' | 'weekly' | 'absoluteMonthly';
    interval: number;
    daysOfWeek?: string[];
    dayOfMonth?: number;
    firstDayOfWeek?: string;
  };
  range: {
    type: 'numbered' | 'endDate' | 'noEnd';
    startDate: string;
    endDate?: string;
    numberOfOccurrences?: number;
    recurrenceTimeZone?: string;
  };
}

export interface EventRecord {
  id: string;
  /** Set by the client that created the event (retries of that create return this event). */
  transactionId?: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  categories: string[];
  subject: string;
  body: { contentType: 'html' | 'text'; content: string };
  bodyPreview: string;
  importance: 'low' | 'normal' | 'high';
  sensitivity: 'normal' | 'personal' | 'private' | 'confidential';
  isAllDay: boolean;
  isCancelled: boolean;
  isOrganizer: boolean;
  responseRequested: boolean;
  showAs: 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere' | 'unknown';
  type: 'singleInstance' | 'seriesMaster';
  start: DateTimeTimeZone;
  end: DateTimeTimeZone;
  location: { displayName: string; locationType: string };
  organizer: { emailAddress: MailAddress };
  attendees: Array<{
    type: 'required' | 'optional';
    status: { response: string; time: string };
    emailAddress: MailAddress;
  }>;
  recurrence: Recurrence | null;
  iCalUId: string;
  isOnlineMeeting: boolean;
  /** Single-value extended properties a client set, by id (never rendered; see extended-properties.ts). */
  extended?: Record<string, string>;
  /** Occurrence number → exception (moved by minutes) or cancellation. Emulator detail, not rendered. */
  exceptions: Record<number, { shiftMinutes?: number; cancelled?: boolean }>;
}

/** An instance as calendarView returns it. */
export type EventInstance = Omit<EventRecord, 'type' | 'exceptions'> & {
  type: 'singleInstance' | 'occurrence' | 'exception';
  seriesMasterId: string | null;
  originalStart?: string;
};

const DAY = 86_400_000;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
/** Bound on the occurrences one series expands to (a noEnd series over a wide window). */
export const MAX_OCCURRENCES = 520;

export const toDateTimeTimeZone = (ms: number): DateTimeTimeZone => ({
  dateTime: `${new Date(ms).toISOString().slice(0, 19)}.0000000`,
  timeZone: 'UTC',
});
export const fromDateTimeTimeZone = (d: DateTimeTimeZone): number =>
  Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(d.dateTime) ? d.dateTime : `${d.dateTime.slice(0, 23)}Z`);

export interface EventGeneration {
  seed: string;
  owner: MailAddress & { id: string };
  peers: readonly MailAddress[];
  index: number;
  recurringEvery: number;
  anchor: Date;
}

export function generateEvent(g: EventGeneration, id: string): EventRecord {
  const key = `${g.seed}|${g.owner.id}|event|${g.index}`;
  const r = rng(key);
  const recurring = g.recurringEvery > 0 && g.index % g.recurringEvery === 0;
  const day = Math.floor(g.anchor.getTime() / DAY) * DAY - between(r, -60, 180) * DAY;
  const start = day + between(r, 8, 16) * 3_600_000 + pick(r, [0, 30]) * 60_000;
  const minutes = pick(r, [30, 60, 60, 90]);
  const attendees = [pick(r, g.peers.length ? g.peers : [g.owner])];
  const subject = eventSubjectFor(r);
  const text = sentencesFor(r, between(r, 1, 3));
  const created = isoSeconds(start - 14 * DAY);
  return {
    id,
    createdDateTime: created,
    lastModifiedDateTime: created,
    changeKey: changeKeyOf(key, 0),
    categories: r() < 0.2 ? ['Blue category'] : [],
    subject,
    body: { contentType: 'html', content: `<html><body><div>${text}</div></body></html>` },
    bodyPreview: text.slice(0, 255),
    importance: 'normal',
    sensitivity: 'normal',
    isAllDay: false,
    isCancelled: false,
    isOrganizer: true,
    responseRequested: true,
    showAs: 'busy',
    type: recurring ? 'seriesMaster' : 'singleInstance',
    start: toDateTimeTimeZone(start),
    end: toDateTimeTimeZone(start + minutes * 60_000),
    location: {
      displayName: pick(r, ['Microsoft Teams Meeting', 'Room 4.12', 'Café Übersee', '']),
      locationType: 'default',
    },
    organizer: { emailAddress: { name: g.owner.name, address: g.owner.address } },
    attendees: attendees.map((a) => ({
      type: 'required' as const,
      status: { response: 'none', time: '0001-01-01T00:00:00Z' },
      emailAddress: { name: a.name, address: a.address },
    })),
    recurrence: recurring
      ? {
          pattern: {
            type: 'weekly',
            interval: 1,
            daysOfWeek: [WEEKDAYS[new Date(start).getUTCDay()]],
            firstDayOfWeek: 'sunday',
          },
          range: {
            type: 'numbered',
            startDate: new Date(start).toISOString().slice(0, 10),
            numberOfOccurrences: 12,
            recurrenceTimeZone: 'UTC',
          },
        }
      : null,
    iCalUId: `040000008200E00074C5B7101A82E008${hashOf(key, 'uid').toString('hex').toUpperCase().slice(0, 48)}`,
    isOnlineMeeting: false,
    exceptions: recurring ? { 3: { shiftMinutes: 60 }, 5: { cancelled: true } } : {},
  };
}

/** Start times of a series' occurrences (1-based numbers), in order, up to MAX_OCCURRENCES or `untilMs`. */
export function* occurrenceStarts(e: EventRecord, untilMs: number): Generator<{ n: number; start: number }> {
  if (!e.recurrence) return;
  const { pattern, range } = e.recurrence;
  const first = fromDateTimeTimeZone(e.start);
  const timeOfDay = first % DAY;
  const endMs = range.type === 'endDate' && range.endDate ? Date.parse(`${range.endDate}T23:59:59Z`) : Infinity;
  const limit = range.type === 'numbered' ? Math.min(range.numberOfOccurrences ?? 1, MAX_OCCURRENCES) : MAX_OCCURRENCES;
  let n = 0;
  const step = Math.max(1, pattern.interval);
  for (let dayMs = Math.floor(first / DAY) * DAY; n < limit; dayMs += DAY) {
    const start = dayMs + timeOfDay;
    if (start > endMs || start > untilMs) return;
    const d = new Date(dayMs);
    const daysFromFirst = Math.round((dayMs - Math.floor(first / DAY) * DAY) / DAY);
    const match =
      pattern.type === 'daily'
        ? daysFromFirst % step === 0
        : pattern.type === 'weekly'
          ? Math.floor(daysFromFirst / 7) % step === 0 &&
            (pattern.daysOfWeek ?? [WEEKDAYS[new Date(first).getUTCDay()]]).includes(WEEKDAYS[d.getUTCDay()])
          : d.getUTCDate() === (pattern.dayOfMonth ?? new Date(first).getUTCDate());
    if (!match || start < first) continue;
    n++;
    yield { n, start };
  }
}

/** The instances of an event that overlap [fromMs, toMs): the event itself, or its occurrences and exceptions. */
export function instancesIn(e: EventRecord, ref: ItemRef, fromMs: number, toMs: number): EventInstance[] {
  const { exceptions, type, ...rest } = e;
  const duration = fromDateTimeTimeZone(e.end) - fromDateTimeTimeZone(e.start);
  if (type === 'singleInstance') {
    const s = fromDateTimeTimeZone(e.start);
    return s < toMs && s + duration > fromMs ? [{ ...rest, type: 'singleInstance', seriesMasterId: null }] : [];
  }
  const out: EventInstance[] = [];
  for (const { n, start } of occurrenceStarts(e, toMs)) {
    const ex = exceptions[n];
    if (ex?.cancelled) continue;
    const s = start + (ex?.shiftMinutes ?? 0) * 60_000;
    if (s >= toMs || s + duration <= fromMs) continue;
    out.push({
      ...rest,
      id: encodeItemId({ ...ref, kind: ItemKind.occurrence, sub: n }),
      type: ex ? 'exception' : 'occurrence',
      seriesMasterId: e.id,
      recurrence: null,
      originalStart: isoSeconds(start),
      start: toDateTimeTimeZone(s),
      end: toDateTimeTimeZone(s + duration),
    });
  }
  return out;
}

/** Every instance id a series ever had within the window (for @removed when the series goes). */
export const instanceIdsIn = (e: EventRecord, ref: ItemRef, fromMs: number, toMs: number): string[] =>
  instancesIn(e, ref, fromMs, toMs).map((i) => i.id);
