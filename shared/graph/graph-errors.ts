// The Graph client's typed failures and the parsing of Graph's error envelope. Each error carries what
// shared/domain/alarms.ts needs (status, code, deepest inner code, request id, Retry-After, operation) and never a
// token, a secret or a pre-authenticated URL.
import type { GraphOperation } from '../domain/graph-permissions';
import { ResyncRequired, WaitRequired } from '../backup/ports';

export interface GraphErrorFields {
  status: number;
  code?: string;
  /** The deepest `innerError.code` of the envelope: the most specific reason Graph gave. */
  innerCode?: string;
  /** Graph's own message (never branched on; only shown to people). */
  graphMessage?: string;
  requestId?: string;
  clientRequestId?: string;
  retryAfterSeconds?: number;
  operation: GraphOperation;
  /** The response's Location header (410 resync answers carry the URL to restart from). */
  location?: string;
}

/** A Graph request failed with an HTTP error status. */
export class GraphRequestError extends Error implements GraphErrorFields {
  readonly status: number;
  readonly code?: string;
  readonly innerCode?: string;
  readonly graphMessage?: string;
  readonly requestId?: string;
  readonly clientRequestId?: string;
  readonly retryAfterSeconds?: number;
  readonly operation: GraphOperation;
  readonly location?: string;

  constructor(f: GraphErrorFields) {
    const code = [f.code, f.innerCode].filter(Boolean).join('/');
    super(
      `Microsoft Graph answered ${f.status}${code ? ` ${code}` : ''} to ${f.operation}${f.graphMessage ? `: ${f.graphMessage}` : ''}${f.requestId ? ` (request-id ${f.requestId})` : ''}`,
    );
    this.name = 'GraphRequestError';
    this.status = f.status;
    this.code = f.code;
    this.innerCode = f.innerCode;
    this.graphMessage = f.graphMessage;
    this.requestId = f.requestId;
    this.clientRequestId = f.clientRequestId;
    this.retryAfterSeconds = f.retryAfterSeconds;
    this.operation = f.operation;
    this.location = f.location;
  }
}

/**
 * Graph asked for a wait that would pass the caller's deadline: checkpoint and let the orchestrator wait on a
 * durable timer. A `WaitRequired` so the sync engine's existing hand-off applies.
 */
export class GraphThrottledError extends WaitRequired {
  constructor(
    retryAfterSeconds: number,
    readonly status: number,
    readonly operation: GraphOperation,
    readonly requestId?: string,
  ) {
    super(retryAfterSeconds);
    this.name = 'GraphThrottledError';
  }
}

/** The delta token is no longer valid (410, SyncStateNotFound, resyncChanges*): re-enumerate the container. */
export class GraphResyncRequiredError extends ResyncRequired {
  constructor(
    location: string | undefined,
    readonly code?: string,
    readonly innerCode?: string,
    readonly requestId?: string,
  ) {
    super(location);
    this.name = 'GraphResyncRequiredError';
  }
}

/** Signing in to Microsoft Entra ID failed; `aadsts` is the error number (7000215, 700016, ...). */
export class GraphAuthError extends Error {
  constructor(
    readonly aadsts: string | undefined,
    message: string,
    readonly error?: string,
    readonly correlationId?: string,
  ) {
    super(message);
    this.name = 'GraphAuthError';
  }
}

interface Envelope {
  code?: unknown;
  message?: unknown;
  innerError?: unknown;
  innererror?: unknown;
  'request-id'?: unknown;
}

export interface ParsedEnvelope {
  code?: string;
  innerCode?: string;
  message?: string;
  /** innerError's request-id: the only one an inner $batch response carries. */
  requestId?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** Reads Graph's `{error:{code,message,innerError:{code,innerError:{...}}}}`, walking innerError to its deepest code. */
export function parseEnvelope(body: unknown): ParsedEnvelope {
  let parsed = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      parsed = JSON.parse(body.toString());
    } catch {
      return {}; // not a Graph envelope: a gateway's HTML page, an empty body
    }
  }
  const error = (parsed as { error?: Envelope } | null)?.error;
  if (!error || typeof error !== 'object') return {};
  let innerCode: string | undefined;
  let requestId: string | undefined;
  for (
    let inner = (error.innerError ?? error.innererror) as Envelope | undefined, depth = 0;
    inner && typeof inner === 'object' && depth < 16;
    depth++
  ) {
    innerCode = str(inner.code) ?? innerCode;
    requestId ??= str(inner['request-id']);
    inner = (inner.innerError ?? inner.innererror) as Envelope | undefined;
  }
  return { code: str(error.code), message: str(error.message), innerCode, requestId };
}

const RESYNC_CODES = ['syncstatenotfound', 'resyncrequired', 'syncstateinvalid'];

/** Whether a failure means "drop the delta token and enumerate again" (410 Gone, or the codes Graph uses for it). */
export function isResync(status: number, code: string | undefined, innerCode: string | undefined): boolean {
  const c = (code ?? '').toLowerCase();
  const i = (innerCode ?? '').toLowerCase();
  return (
    status === 410 ||
    RESYNC_CODES.includes(c) ||
    RESYNC_CODES.includes(i) ||
    i.startsWith('resyncchanges') ||
    i.startsWith('resyncapply') ||
    i.startsWith('resyncupload')
  );
}
