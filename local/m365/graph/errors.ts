// Graph's error model: handlers throw GraphError, the router renders Graph's envelope
// {error:{code,message,innerError:{date,request-id,client-request-id}}} with the request-id headers.
import { randomUUID } from 'node:crypto';
import type { Workload } from './router';

/** A Graph error. `innerCode` becomes innerError.code; `headers` (e.g. Retry-After, Location) go on the response. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: { innerCode?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

/** Graph's date format in innerError: seconds precision, no zone designator. */
export const innerErrorDate = (nowMs: number): string => new Date(nowMs).toISOString().slice(0, 19);

export function envelope(
  e: GraphError,
  ids: { requestId: string; clientRequestId: string },
  nowMs: number,
): { error: Record<string, unknown> } {
  return {
    error: {
      code: e.code,
      message: e.message,
      innerError: {
        ...(e.options.innerCode ? { code: e.options.innerCode } : {}),
        date: innerErrorDate(nowMs),
        'request-id': ids.requestId,
        'client-request-id': ids.clientRequestId,
      },
    },
  };
}

export const newRequestId = (): string => randomUUID();

/** What Graph answers every 401 with: where to sign in, and Microsoft Graph's own app id as the resource. */
export const BEARER_CHALLENGE =
  'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

/** The status, headers and envelope of a Graph error (a 401 also carries the challenge). */
export const errorResult = (
  e: GraphError,
  ids: { requestId: string; clientRequestId: string },
  nowMs: number,
): { status: number; headers: Record<string, string>; json: unknown } => ({
  status: e.status,
  headers: { ...e.options.headers, ...(e.status === 401 ? { 'WWW-Authenticate': BEARER_CHALLENGE } : {}) },
  json: envelope(e, ids, nowMs),
});

/** The 403 each workload answers when the app lacks the permission (the message names nothing secret). */
export const FORBIDDEN: Record<Workload, { code: string; message: string }> = {
  directory: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
  mail: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
  calendar: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
  contacts: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
  files: { code: 'accessDenied', message: 'Access denied' },
  sites: { code: 'accessDenied', message: 'Access denied' },
  teams: {
    code: 'Forbidden',
    message: 'Missing role permissions on the request. API requires one of the listed roles.',
  },
  groupMailbox: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' },
};

// Outlook's standard errors, shared by the mail, calendar and contacts handlers.
export const itemNotFound = (): GraphError =>
  new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
export const mailboxNotEnabled = (): GraphError =>
  new GraphError(
    404,
    'MailboxNotEnabledForRESTAPI',
    'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
  );
export const syncStateNotFound = (generation: number): GraphError =>
  new GraphError(
    410,
    'SyncStateNotFound',
    `The sync state generation is not found; generation=${generation};[highest=${generation + 1}]. Please do a full sync.`,
  );
