// What the backup steps need of a Graph client: delta pages and content (the sync engine's port), single
// resources and small collections, the token's roles for alarms, and request counters. The product's GraphClient
// implements it; here, beside the client, so the client depends on no runtime module.
import type { GraphReader } from '../backup/ports';
import type { GraphOperation } from '../domain/graph-permissions';

export interface GraphSession extends GraphReader {
  /** The application permissions in the current token, for naming a missing one in alarms. */
  grantedRoles(): Promise<string[]>;
  /** One resource as JSON. */
  get<T>(path: string, opts: { mailbox: string; operation: GraphOperation; deadline: number }): Promise<T>;
  /** Lists a collection, following nextLink to the end. */
  all<T>(path: string, opts: { mailbox: string; operation: GraphOperation; deadline: number }): Promise<T[]>;
}
