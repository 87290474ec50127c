// Which restore created an item from which backed-up item: a single-value extended property (Exchange keeps them on
// messages, events and contacts) stamped on everything a restore creates, so a retried restore finds its own items
// by identity rather than by name and time, and two distinct items that look alike are both restored.
import { createHash } from 'node:crypto';

/** A named string property in the product's own property set (a fixed GUID of m365-vault). */
export const RESTORE_KEY_ID = 'String {6f1c2b7e-4d3a-4e59-9b81-2c7d5e0a9f34} Name m365vRestoreKey';

/** The stamp's value: a hash of (restore operation, source item id), short enough for any query string. */
export const restoreKey = (operationId: string, sourceItemId: string): string =>
  `m365v-${createHash('sha256').update(`${operationId}\u0000${sourceItemId}`).digest('hex').slice(0, 40)}`;

export const stampProperty = (key: string): { id: string; value: string } => ({ id: RESTORE_KEY_ID, value: key });

/** `$filter` for the items carrying `key`. */
export const stampFilter = (key: string): string =>
  encodeURIComponent(`singleValueExtendedProperties/Any(ep: ep/id eq '${RESTORE_KEY_ID}' and ep/value eq '${key}')`);

/** `$expand` that returns the stamp of each listed item (absent on items without one). */
export const stampExpand = encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${RESTORE_KEY_ID}')`);

export interface Stamped {
  singleValueExtendedProperties?: Array<{ id: string; value: string }>;
}

/** The stamp an item came back with (listed with stampExpand), if any. */
export const stampOf = (item: Stamped): string | undefined => item.singleValueExtendedProperties?.[0]?.value;
