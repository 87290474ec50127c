// Control API for calendars, as the mailbox's owner would change them: events (single or weekly series) added,
// moved, removed.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ControlError, controlJson, registerControlRoutes } from '../control/registry';
import { input } from '../control/routes-core';
import { mailboxOf } from '../mail/control-routes';
import { changeKeyOf } from '../mail/message';
import { toDateTimeTimeZone } from './model';

registerControlRoutes([
  {
    method: 'POST',
    path: '/calendar/{user}/events',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const b = await input(
        ctx,
        z.object({
          subject: z.string().default('New event'),
          start: z.string(),
          minutes: z.number().int().positive().default(60),
          weeklyOccurrences: z.number().int().positive().optional(),
        }),
      );
      const start = Date.parse(b.start);
      if (Number.isNaN(start)) throw new ControlError(400, 'start: not a date time');
      const e = mb.createEvent((id, now) => ({
        id,
        createdDateTime: now,
        lastModifiedDateTime: now,
        changeKey: changeKeyOf(id, now),
        categories: [],
        subject: b.subject,
        body: { contentType: 'html', content: '' },
        bodyPreview: '',
        importance: 'normal',
        sensitivity: 'normal',
        isAllDay: false,
        isCancelled: false,
        isOrganizer: true,
        responseRequested: true,
        showAs: 'busy',
        type: b.weeklyOccurrences ? 'seriesMaster' : 'singleInstance',
        start: toDateTimeTimeZone(start),
        end: toDateTimeTimeZone(start + b.minutes * 60_000),
        location: { displayName: '', locationType: 'default' },
        organizer: { emailAddress: { name: mb.owner.name, address: mb.owner.address } },
        attendees: [],
        recurrence: b.weeklyOccurrences
          ? {
              pattern: {
                type: 'weekly',
                interval: 1,
                daysOfWeek: [
                  ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][
                    new Date(start).getUTCDay()
                  ],
                ],
              },
              range: {
                type: 'numbered',
                startDate: new Date(start).toISOString().slice(0, 10),
                numberOfOccurrences: b.weeklyOccurrences,
              },
            }
          : null,
        iCalUId: createHash('sha1').update(id).digest('hex').toUpperCase(),
        isOnlineMeeting: false,
        exceptions: {},
      }));
      return controlJson(201, { id: e.id });
    },
  },
  {
    method: 'PATCH',
    path: '/calendar/{user}/events/{id}',
    async handler(ctx) {
      const mb = mailboxOf(ctx);
      const hit = mb.findEvent(ctx.params.id);
      if (!hit) throw new ControlError(404, `no event '${ctx.params.id}'`);
      const { subject, start, minutes } = await input(
        ctx,
        z.object({
          subject: z.string().optional(),
          start: z.string().optional(),
          minutes: z.number().int().positive().optional(),
        }),
      );
      const s = start ? Date.parse(start) : Date.parse(`${hit.event.start.dateTime.slice(0, 19)}Z`);
      const duration =
        (minutes ??
          (Date.parse(`${hit.event.end.dateTime.slice(0, 19)}Z`) -
            Date.parse(`${hit.event.start.dateTime.slice(0, 19)}Z`)) /
            60_000) * 60_000;
      const now = new Date(ctx.emulator.clock.now()).toISOString();
      mb.events.update(
        {
          ...hit.event,
          ...(subject ? { subject } : {}),
          start: toDateTimeTimeZone(s),
          end: toDateTimeTimeZone(s + duration),
          lastModifiedDateTime: now,
          changeKey: changeKeyOf(hit.event.id, now),
        },
        ['subject', 'start', 'end'],
      );
      return { status: 204 };
    },
  },
  {
    method: 'DELETE',
    path: '/calendar/{user}/events/{id}',
    handler(ctx) {
      const mb = mailboxOf(ctx);
      const hit = mb.findEvent(ctx.params.id);
      if (!hit) throw new ControlError(404, `no event '${ctx.params.id}'`);
      mb.events.remove(hit.event.id);
      return { status: 204 };
    },
  },
]);
