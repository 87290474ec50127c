// Payload size rules. Azure's Durable Task Azure Storage provider moves any message whose JSON is over 45 KB (UTF-8)
// into a gzipped blob and carries on (DurableTask.AzureStorage MessageManager), so in Azure a big payload never fails:
// it silently costs blob round-trips, and bloats the history that every replay reads. The host makes that threshold
// a guard instead (README, "Payload limits"): the instance whose history would record the payload fails, naming it.
// Custom status is different: the extension itself rejects over 16 KB of UTF-16 JSON and the orchestration fails.
import { z } from 'zod';

export const PAYLOAD_LIMIT_SETTING = 'M365V_HOST_MAX_PAYLOAD_BYTES';
/** The provider's large-message threshold (MaxStorageQueuePayloadSizeInBytes). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 45 * 1024;
/** The extension's MaxCustomStatusPayloadSizeInKB, counted in whole KB of UTF-16, as it counts. */
const MAX_CUSTOM_STATUS_KB = 16;

/** The guard's limit in bytes from the setting: unset is the provider's threshold, 0 turns the guard off. */
export function payloadLimit(value: string | undefined): number {
  const parsed = z.coerce
    .number()
    .int()
    .min(0)
    .safeParse(value === undefined || value === '' ? DEFAULT_MAX_PAYLOAD_BYTES : value);
  if (!parsed.success)
    throw new Error(`${PAYLOAD_LIMIT_SETTING} must be a whole number of bytes (0 turns the guard off), not '${value}'`);
  return parsed.data;
}

/** The JSON text of a payload as the host records it: a string here is JSON text already. */
export const jsonText = (payload: unknown): string =>
  typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);

/** Why `what` (JSON text) breaks the guard, or undefined when it is within `limit` (0: no limit). */
export function oversize(what: string, json: string | null | undefined, limit: number): string | undefined {
  if (!limit || json === null || json === undefined) return undefined;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= limit) return undefined;
  return (
    `${what} is ${bytes} bytes of JSON, over the local host's limit of ${limit} (${PAYLOAD_LIMIT_SETTING}). ` +
    'Azure would spill it to a blob on every send and replay it with the whole history: pass ids and counts, keep data in storage.'
  );
}

/** The extension's error for a custom status over 16 KB of UTF-16 JSON (it fails the orchestration). */
export function customStatusError(customStatus: unknown): string | undefined {
  if (customStatus === undefined || customStatus === null) return undefined;
  const kb = Math.floor((JSON.stringify(customStatus).length * 2) / 1024);
  if (kb <= MAX_CUSTOM_STATUS_KB) return undefined;
  return `The UTF-16 size of the JSON-serialized payload must not exceed ${MAX_CUSTOM_STATUS_KB} KB. The current payload size is ${kb} KB.`;
}
