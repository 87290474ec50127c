// Restores calendar events and contacts from their backed-up Graph JSON: only the properties a client may write are
// sent. In place, an item that still exists is skipped, overwritten (PATCH back to the backed-up values) or kept
// beside a restored copy. Retries create nothing twice: events carry a transactionId derived from the job and item,
// which Graph uses to drop a repeated create; a contact named the same and created since the job started is ours.
import { createHash } from 'node:crypto';
import type { GraphOperation } from '../domain/graph-permissions';
import type { GraphClient } from '../graph/graph-client';
import { GraphRequestError } from '../graph/graph-errors';
import type { ItemResult } from '../operations/operation-store';
import type { OverwriteBehavior } from './restore-request';

const EVENT_FIELDS = ['subject', 'body', 'start', 'end', 'location', 'locations', 'attendees', 'isAllDay', 'showAs', 'sensitivity', 'importance', 'categories', 'reminderMinutesBeforeStart', 'isReminderOn', 'responseRequested', 'allowNewTimeProposals', 'hideAttendees', 'recurrence'] as const;
const CONTACT_FIELDS = ['givenName', 'surname', 'middleName', 'displayName', 'nickName', 'title', 'initials', 'generation', 'jobTitle', 'companyName', 'department', 'officeLocation', 'profession', 'manager', 'assistantName', 'spouseName', 'children', 'emailAddresses', 'imAddresses', 'businessPhones', 'homePhones', 'mobilePhone', 'businessAddress', 'homeAddress', 'otherAddress', 'businessHomePage', 'birthday', 'personalNotes', 'categories', 'fileAs'] as const;

export interface ItemTarget {
  graph: GraphClient;
  userId: string;
  original: boolean;
  overwrite: OverwriteBehavior;
  operationId: string;
  startedAt: Date;
  deadline: number;
}

const seg = encodeURIComponent;
const is404 = (e: unknown): boolean => e instanceof GraphRequestError && e.status === 404;
const pickFields = (json: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(fields.filter((f) => json[f] !== undefined && json[f] !== null).map((f) => [f, json[f]]));

export class ItemRestorer {
  constructor(private readonly t: ItemTarget) {}

  private opts(kind: 'event' | 'contact', write: boolean) {
    const operation: GraphOperation = kind === 'event' ? (write ? 'calendars.write' : 'calendars.read') : write ? 'contacts.write' : 'contacts.read';
    return { mailbox: this.t.userId, operation, deadline: this.t.deadline };
  }

  private async exists(kind: 'event' | 'contact', id: string): Promise<boolean> {
    if (!this.t.original) return false;
    const path = `/users/${seg(this.t.userId)}/${kind === 'event' ? 'events' : 'contacts'}/${seg(id)}?$select=id`;
    return this.t.graph.get(path, this.opts(kind, false)).then(() => true, (e) => (is404(e) ? false : Promise.reject(e)));
  }

  async event(itemId: string, json: Record<string, unknown>): Promise<ItemResult> {
    const base = { itemId, name: String(json.subject ?? '(no subject)') };
    // calendarView lists a series' occurrences one by one: each comes back as a single event on its own date.
    const body = pickFields(json, json.type === 'seriesMaster' ? EVENT_FIELDS : EVENT_FIELDS.filter((f) => f !== 'recurrence'));
    const existed = await this.exists('event', itemId);
    if (existed) {
      if (this.t.overwrite === 'skip') return { ...base, outcome: 'skipped', reason: 'the event still exists' };
      if (this.t.overwrite === 'overwrite') {
        await this.t.graph.send('PATCH', `/users/${seg(this.t.userId)}/events/${seg(itemId)}`, body, this.opts('event', true));
        return { ...base, outcome: 'overwritten', newId: itemId };
      }
    }
    const transactionId = `m365v-${createHash('sha256').update(`${this.t.operationId}\u0000${itemId}`).digest('hex').slice(0, 40)}`;
    const created = await this.t.graph.send<{ id: string }>('POST', `/users/${seg(this.t.userId)}/events`, { ...body, transactionId }, this.opts('event', true));
    return { ...base, outcome: existed ? 'renamed' : 'restored', newId: created.id };
  }

  async contact(itemId: string, json: Record<string, unknown>): Promise<ItemResult> {
    const name = String(json.displayName ?? json.fileAs ?? '(no name)');
    const base = { itemId, name };
    const body = pickFields(json, CONTACT_FIELDS);
    const existed = await this.exists('contact', itemId);
    if (existed) {
      if (this.t.overwrite === 'skip') return { ...base, outcome: 'skipped', reason: 'the contact still exists' };
      if (this.t.overwrite === 'overwrite') {
        await this.t.graph.send('PATCH', `/users/${seg(this.t.userId)}/contacts/${seg(itemId)}`, body, this.opts('contact', true));
        return { ...base, outcome: 'overwritten', newId: itemId };
      }
    }
    const since = Math.floor(this.t.startedAt.getTime() / 1000) * 1000;
    const same = await this.t.graph.all<{ id: string; createdDateTime: string }>(`/users/${seg(this.t.userId)}/contacts?$filter=displayName eq '${name.replace(/'/g, "''")}'&$select=id,createdDateTime`, this.opts('contact', false));
    const ours = same.find((c) => Date.parse(c.createdDateTime) >= since);
    if (ours) return { ...base, outcome: existed ? 'renamed' : 'restored', newId: ours.id };
    const created = await this.t.graph.send<{ id: string }>('POST', `/users/${seg(this.t.userId)}/contacts`, body, this.opts('contact', true));
    return { ...base, outcome: existed ? 'renamed' : 'restored', newId: created.id };
  }
}
