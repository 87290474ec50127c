// Ranges of an upload session (large files, large mail attachments) PUT to its pre-authenticated uploadUrl through
// the pipeline: throttling, Retry-After and bounded retries as for every Graph call, and no bearer token sent there.
// When a range's fate is unknown (the connection dropped, or 416: the session holds other bytes than this client
// thinks), the session is asked where it stands (GET uploadUrl → nextExpectedRanges) and the upload goes on from
// there, so at most one range is sent twice instead of the file starting again at byte 0.
import type { CallOptions, GraphClient } from './graph-client';
import { GraphRequestError } from './graph-errors';

/** The session finished (or is gone) while the answer to its last range was lost: the caller finds the result. */
export class UploadAnswerLost extends Error {
  constructor(at: number) {
    super(`the upload session ended while the answer to the range at byte ${at} was lost`);
    this.name = 'UploadAnswerLost';
  }
}

/** Consecutive unknown-fate failures of one range before giving up. */
const MAX_RESUMES = 5;

const fateUnknown = (e: unknown): boolean =>
  e instanceof GraphRequestError ? e.status === 416 : typeof (e as NodeJS.ErrnoException)?.code === 'string';

/** Where the session wants the next byte; undefined when the session no longer exists (completed or expired). */
async function nextExpected(graph: GraphClient, uploadUrl: string, o: CallOptions): Promise<number | undefined> {
  try {
    const s = await graph.get<{ nextExpectedRanges?: string[] }>(uploadUrl, { ...o, anonymous: true });
    const first = s.nextExpectedRanges?.[0];
    return first === undefined ? undefined : Number(first.split('-')[0]);
  } catch (e) {
    if (e instanceof GraphRequestError && e.status === 404) return undefined;
    throw e;
  }
}

/**
 * Sends bytes `start`… of `total` (the whole of `chunk`) and returns the session's JSON answer to the range that
 * completed it (`{}` when the answer to an accepted range was lost mid-upload).
 */
export async function putRange(
  graph: GraphClient,
  uploadUrl: string,
  chunk: Buffer,
  start: number,
  total: number,
  o: CallOptions,
): Promise<Record<string, unknown>> {
  const end = start + chunk.length;
  let from = start;
  for (let failures = 0; ;) {
    try {
      return await graph.send<Record<string, unknown>>('PUT', uploadUrl, chunk.subarray(from - start), {
        ...o,
        anonymous: true,
        idempotent: false,
        headers: { 'content-range': `bytes ${from}-${end - 1}/${total}`, 'content-type': 'application/octet-stream' },
      });
    } catch (e) {
      if (!fateUnknown(e) || ++failures > MAX_RESUMES) throw e;
      const next = await nextExpected(graph, uploadUrl, o);
      if (next === undefined) throw new UploadAnswerLost(from);
      if (next < start || next > end) throw e;
      if (next === end) return {};
      from = next;
    }
  }
}
