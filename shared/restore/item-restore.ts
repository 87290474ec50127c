// Restores calendar events and contacts from their backed-up Graph JSON: only the properties a client may write are
// sent. In place, an item that still exists is skipped, overwritten (PATCH back to the backed-up values) or kept
// beside a restored copy. Retries create nothing twice: every created item carries the restore stamp (job and
// source item, restore-stamp.ts) in the create itself, so a retried batch finds it by identity; events also carry
// it as their transactionId, which Graph uses to drop a repeated create.
import type { GraphOperation } from '../domain/graph-permissions';
import type { GraphClient } from '../graph/graph-client';
import { GraphRequestError } from '../graph/graph-errors';
import type { ItemResult } from '../operations/operation-store';
import type { OverwriteBehavior } from './restore-request';
import { restoreKey, stampFilter, stampProperty } from './restore-stamp';
import { textOf } from '../domain/text';

const EVENT_FIELDS = [
  'subject',
  'body',
  'start',
  'end',
  'location',
  'locations',
  'attendees',
  'isAllDay',
  'showAs',
  'sensitivity',
  'importance',
  'categories',
  'reminderMinutesBeforeStart',
  'isReminderOn',
  'responseRequested',
  'allowNewTimeProposals',
  'hideAttendees',
  'recurrence',
] as const;
const CONTACT_FIELDS = [
  'givenName',
  'surname',
  'middleName',
  'displayName',
  'nickName',
  'title',
  'initials',
  'generation',
  'jobTitle',
  'companyName',
  'department',
  'officeLocation',
  'profession',
  'manager',
  'assistantName',
  'spouseName',
  'children',
  'emailAddresses',
  'imAddresses',
  'businessPhones',
  'homePhones',
  'mobilePhone',
  'businessAddress',
  'homeAddress',
  'otherAddress',
  'businessHomePage',
  'birthday',
  'personalNotes',
  'categories',
  'fileAs',
] as const;

export interface ItemTarget {
  graph: GraphClient;
  userId: string;
  original: boolean;
  overwrite: OverwriteBehavior;
  operationId: string;
  deadline: number;
  /** The batch's first attempt: none of its items can be this job's own yet, so nothing is looked up. */
  firstAttempt?: boolean;
}

const seg = encodeURIComponent;
const is404 = (e: unknown): boolean => e instanceof GraphRequestError && e.status === 404;
const pickFields = (json: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(fields.filter((f) => json[f] !== undefined && json[f] !== null).map((f) => [f, json[f]]));

export class ItemRestorer {
  constructor(private readonly t: ItemTarget) {}

  private opts(kind: 'event' | 'contact', write: boolean) {
    const operation: GraphOperation =
      kind === 'event' ? (write ? 'calendars.write' : 'calendars.read') : write ? 'contacts.write' : 'contacts.read';
    return { mailbox: this.t.userId, operation, deadline: this.t.deadline };
  }

  /**
   * In place, when the item still exists: skipped, or PATCHed back (overwrite), or undefined to create a copy
   * beside it (rename). Elsewhere, or when it is gone: undefined.
   */
  private async inPlace(
    kind: 'event' | 'contact',
    itemId: string,
    body: Record<string, unknown>,
    base: Pick<ItemResult, 'itemId' | 'name'>,
  ): Promise<{ done?: ItemResult; existed: boolean }> {
    if (!this.t.original) return { existed: false };
    const path = `/users/${seg(this.t.userId)}/${kind === 'event' ? 'events' : 'contacts'}/${seg(itemId)}`;
    const existed = await this.t.graph.get(`${path}?$select=id`, this.opts(kind, false)).then(
      () => true,
      (e: unknown) => {
        if (is404(e)) return false;
        throw e;
      },
    );
    if (!existed || this.t.overwrite === 'rename') return { existed };
    if (this.t.overwrite === 'skip')
      return { existed, done: { ...base, outcome: 'skipped', reason: `the ${kind} still exists` } };
    await this.t.graph.send('PATCH', path, body, this.opts(kind, true));
    return { existed, done: { ...base, outcome: 'overwritten', newId: itemId } };
  }

  /** Creates the item stamped with its restore key, unless a retried batch finds it already created. */
  private async create(kind: 'event' | 'contact', itemId: string, body: Record<string, unknown>): Promise<string> {
    const key = restoreKey(this.t.operationId, itemId);
    const collection = `/users/${seg(this.t.userId)}/${kind === 'event' ? 'events' : 'contacts'}`;
    if (!this.t.firstAttempt) {
      const ours = await this.t.graph.all<{ id: string }>(
        `${collection}?$filter=${stampFilter(key)}&$select=id`,
        this.opts(kind, false),
      );
      if (ours[0]) return ours[0].id;
    }
    const stamped = {
      ...body,
      singleValueExtendedProperties: [stampProperty(key)],
      ...(kind === 'event' ? { transactionId: key } : {}),
    };
    return (await this.t.graph.send<{ id: string }>('POST', collection, stamped, this.opts(kind, true))).id;
  }

  async event(itemId: string, json: Record<string, unknown>): Promise<ItemResult> {
    const base = { itemId, name: textOf([json.subject], '(no subject)') };
    // calendarView lists a series' occurrences one by one: each comes back as a single event on its own date.
    const body = pickFields(
      json,
      json.type === 'seriesMaster' ? EVENT_FIELDS : EVENT_FIELDS.filter((f) => f !== 'recurrence'),
    );
    const { done, existed } = await this.inPlace('event', itemId, body, base);
    if (done) return done;
    return { ...base, outcome: existed ? 'renamed' : 'restored', newId: await this.create('event', itemId, body) };
  }

  async contact(itemId: string, json: Record<string, unknown>): Promise<ItemResult> {
    const name = textOf([json.displayName, json.fileAs], '(no name)');
    const base = { itemId, name };
    const body = pickFields(json, CONTACT_FIELDS);
    const { done, existed } = await this.inPlace('contact', itemId, body, base);
    if (done) return done;
    return { ...base, outcome: existed ? 'renamed' : 'restored', newId: await this.create('contact', itemId, body) };
  }
}
