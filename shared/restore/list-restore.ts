// Restores SharePoint list items into their original list from the backed-up listItem JSON: only the values of the
// list's writable columns are sent (as the list has them now). An item that still exists is skipped, overwritten
// (PATCH of its fields back to the backed-up values) or kept beside a restored copy; a missing one is created.
// A list deleted since the backup is recreated first from its backed-up schema (title, description, its own columns
// with their types), or found again by its title (recreated by someone, or by this job's earlier attempt); its items
// are then all created, as item ids mean nothing in another list.
// Graph gives list items no client key to find a create again, so a retried batch first reads the items created in
// the list since the job started: one whose writable fields equal the backed-up ones is this job's unfinished copy.
import type { GraphClient } from '../graph/graph-client';
import { GraphRequestError } from '../graph/graph-errors';
import type { VersionDoc } from '../catalog/version-doc';
import type { ItemResult } from '../operations/operation-store';
import type { OverwriteBehavior } from './restore-request';
import { textOf } from '../domain/text';

export interface ListTarget {
  graph: GraphClient;
  siteId: string;
  overwrite: OverwriteBehavior;
  startedAt: Date;
  deadline: number;
  /** The batch's first attempt: none of its items can be this job's own yet, so nothing is looked up. */
  firstAttempt: boolean;
}

interface Column {
  name: string;
  readOnly?: boolean;
  hidden?: boolean;
}
/** A backed-up list as stored: Graph's list JSON with `$expand=columns,contentTypes`. */
interface ListSchemaJson {
  displayName?: string;
  description?: string;
  list?: { template?: string };
  columns?: Array<Record<string, unknown> & Column & { columnGroup?: string; sealed?: boolean }>;
}

/**
 * Columns a new generic list has by itself or SharePoint manages: never sent when recreating one (Title comes with
 * the template; the rest are built in, and a create naming them fails).
 */
const BUILT_IN_COLUMNS = new Set(['Title', 'ContentType', 'Attachments', 'LinkTitle', 'LinkTitleNoMenu', 'Edit']);
/** What a columnDefinition may carry into a create: its identity, its rules and its type facet. */
const COLUMN_PROPS = [
  'name',
  'displayName',
  'description',
  'required',
  'enforceUniqueValues',
  'indexed',
  'boolean',
  'calculated',
  'choice',
  'currency',
  'dateTime',
  'geolocation',
  'hyperlinkOrPicture',
  'lookup',
  'number',
  'personOrGroup',
  'term',
  'text',
];

/** A backed-up listItem as stored (Graph's JSON). */
export interface ListItemJson {
  id: string;
  createdDateTime?: string;
  fields?: Record<string, unknown>;
}

const seg = encodeURIComponent;
const is404 = (e: unknown): boolean => e instanceof GraphRequestError && e.status === 404;

/** The same field values, whatever their order. */
const fingerprint = (fields: Record<string, unknown>, names: readonly string[]): string =>
  JSON.stringify(names.map((n) => fields[n] ?? null));

export class ListRestorer {
  private readonly writable = new Map<string, Promise<string[]>>();
  private readonly created = new Map<string, Promise<Map<string, string[]>>>();

  private readonly targets = new Map<string, Promise<string>>();

  constructor(private readonly t: ListTarget) {}

  /**
   * The list a backed-up list's items go into: itself while it exists, else the site's list of the same title, else
   * a new one made from the backed-up schema (read only then).
   */
  target(listId: string, schema: () => Promise<Buffer | undefined>): Promise<string> {
    let found = this.targets.get(listId);
    if (!found) {
      found = this.findOrCreate(listId, schema);
      this.targets.set(listId, found);
    }
    return found;
  }

  private async findOrCreate(listId: string, schema: () => Promise<Buffer | undefined>): Promise<string> {
    const exists = await this.t.graph.get(`${this.list(listId)}?$select=id`, this.opts(false)).then(
      () => true,
      (e: unknown) => {
        if (is404(e)) return false;
        throw e;
      },
    );
    if (exists) return listId;
    const bytes = await schema();
    if (!bytes) throw new Error('the list is gone and its schema is not in the backup');
    const json = JSON.parse(bytes.toString('utf8')) as ListSchemaJson;
    const title = textOf([json.displayName], listId);
    const lists = await this.t.graph.all<{ id: string; displayName?: string; list?: { template?: string } }>(
      `/sites/${seg(this.t.siteId)}/lists?$select=id,displayName,list`,
      this.opts(false),
    );
    const same = lists.find(
      (l) => l.displayName?.toLowerCase() === title.toLowerCase() && l.list?.template !== 'documentLibrary',
    );
    if (same) return same.id;
    const columns = (json.columns ?? [])
      .filter(
        (c) => !c.readOnly && !c.hidden && !c.sealed && c.columnGroup !== '_Hidden' && !BUILT_IN_COLUMNS.has(c.name),
      )
      .map((c) => Object.fromEntries(COLUMN_PROPS.filter((k) => c[k] !== undefined).map((k) => [k, c[k]])));
    return (
      await this.t.graph.send<{ id: string }>(
        'POST',
        `/sites/${seg(this.t.siteId)}/lists`,
        {
          displayName: title,
          ...(json.description ? { description: json.description } : {}),
          columns,
          list: { template: json.list?.template ?? 'genericList' },
        },
        this.opts(true),
      )
    ).id;
  }

  private opts(write: boolean) {
    return {
      mailbox: this.t.siteId,
      operation: write ? ('sites.write' as const) : ('sites.read' as const),
      deadline: this.t.deadline,
    };
  }

  private list(listId: string): string {
    return `/sites/${seg(this.t.siteId)}/lists/${seg(listId)}`;
  }

  /** The names of the list's columns a client may write (read once per list). */
  private columns(listId: string): Promise<string[]> {
    let names = this.writable.get(listId);
    if (!names) {
      names = this.t.graph
        .all<Column>(`${this.list(listId)}/columns`, this.opts(false))
        .then((cs) => cs.filter((c) => !c.readOnly && !c.hidden).map((c) => c.name));
      this.writable.set(listId, names);
    }
    return names;
  }

  /**
   * Items created in the list since the job started, by their writable fields (a retried batch only). Each is
   * claimed once: two backed-up items with equal fields have two copies.
   */
  private createdByThisJob(listId: string, names: readonly string[]): Promise<Map<string, string[]>> {
    let found = this.created.get(listId);
    if (!found) {
      found = this.t.graph
        .all<ListItemJson>(`${this.list(listId)}/items?$expand=fields`, this.opts(false))
        .then((items) => {
          // Graph's times are whole seconds: the second the job started in counts.
          const since = Math.floor(this.t.startedAt.getTime() / 1000) * 1000;
          const map = new Map<string, string[]>();
          for (const i of items)
            if (Date.parse(textOf([i.createdDateTime], '')) >= since) {
              const key = fingerprint(i.fields ?? {}, names);
              map.set(key, [...(map.get(key) ?? []), i.id]);
            }
          return map;
        });
      this.created.set(listId, found);
    }
    return found;
  }

  private async create(listId: string, fields: Record<string, unknown>, names: readonly string[]): Promise<string> {
    if (!this.t.firstAttempt) {
      const mine = (await this.createdByThisJob(listId, names)).get(fingerprint(fields, names))?.shift();
      if (mine) return mine;
    }
    return (await this.t.graph.send<{ id: string }>('POST', `${this.list(listId)}/items`, { fields }, this.opts(true)))
      .id;
  }

  /**
   * Restores one backed-up item (its Graph JSON) into `listId`: the list it came from (`sourceListId`), or the one
   * standing in for it (target()), where it is always created.
   */
  async item(doc: VersionDoc, listId: string, json: ListItemJson, sourceListId: string): Promise<ItemResult> {
    const base = { itemId: doc.itemId, name: textOf([doc.props.name], doc.itemId) };
    const names = await this.columns(listId);
    const stored = json.fields ?? {};
    const fields = Object.fromEntries(names.filter((n) => stored[n] !== undefined).map((n) => [n, stored[n]]));
    if (listId !== sourceListId)
      return { ...base, outcome: 'restored', newId: await this.create(listId, fields, names) };
    // Overwriting clears what was empty at the point too, so the item ends field-identical to the backup.
    const all = Object.fromEntries(names.map((n) => [n, stored[n] ?? null]));
    const path = `${this.list(listId)}/items/${seg(json.id)}`;
    const existed = await this.t.graph.get(`${path}?$select=id`, this.opts(false)).then(
      () => true,
      (e: unknown) => {
        if (is404(e)) return false;
        throw e;
      },
    );
    if (existed && this.t.overwrite === 'skip') return { ...base, outcome: 'skipped', reason: 'the item still exists' };
    if (existed && this.t.overwrite === 'overwrite') {
      await this.t.graph.send('PATCH', `${path}/fields`, all, this.opts(true));
      return { ...base, outcome: 'overwritten', newId: json.id };
    }
    return { ...base, outcome: existed ? 'renamed' : 'restored', newId: await this.create(listId, fields, names) };
  }
}
