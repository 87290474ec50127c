// Classifies the failure to read one item's content, so one bad item never stalls its container: an item gone
// since the delta page listed it is recorded as deleted; one Microsoft 365 will not serve is skipped with its reason
// and retried next run. What concerns the whole container (sign-in, a revoked permission, a locked site, throttling,
// an expired token) or our own stores is not an item failure: the caller rethrows it. Modelled on Corso's per-item
// fault bus (src/pkg/fault): recoverable failures are collected, the rest abort.
import { RestError } from '@azure/storage-blob';
import { CONTENT_CHANGED } from '../domain/content-changed';
import { ResyncRequired, WaitRequired } from './ports';

export type ItemFailure =
  | { kind: 'gone' }
  | { kind: 'unreadable' | 'transient'; code: string; reason: string; status?: number; requestId?: string };

interface GraphErrorShape {
  status: number;
  code?: string;
  innerCode?: string;
  requestId?: string;
  graphMessage?: string;
}

/** Denials that name the caller, not the item: the next item would meet them too. */
const CONTAINER_DENIALS = new Set([
  'accessdenied',
  'erroraccessdenied',
  'authorization_requestdenied',
  'notallowed',
  'servicereadonly',
]);
/** Connection failures before or during a body: the request may succeed when sent again. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EPIPE',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

const isGraphError = (e: unknown): e is GraphErrorShape =>
  e instanceof Error && typeof (e as Partial<GraphErrorShape>).status === 'number' && !(e instanceof RestError);

export function classifyItemFailure(e: unknown): ItemFailure | undefined {
  if (e instanceof WaitRequired || e instanceof ResyncRequired || e instanceof RestError) return undefined;
  if (isGraphError(e)) {
    const code = e.innerCode ?? e.code ?? `HTTP${e.status}`;
    const detail = { status: e.status, code, ...(e.requestId ? { requestId: e.requestId } : {}) };
    if (e.status === 404) return { kind: 'gone' };
    if (e.status === 401 || e.status === 423) return undefined;
    if (e.status === 403 && [e.code, e.innerCode].some((c) => CONTAINER_DENIALS.has((c ?? '').toLowerCase())))
      return undefined;
    if (e.status === 429 || e.status >= 500) {
      return {
        kind: 'transient',
        ...detail,
        reason: `Microsoft Graph kept failing to serve it (HTTP ${e.status}${e.code ? ` ${e.code}` : ''})`,
      };
    }
    if (/malware|virus/i.test(`${e.code ?? ''} ${e.innerCode ?? ''}`)) {
      return {
        kind: 'unreadable',
        ...detail,
        code: 'malwareDetected',
        reason: 'Microsoft 365 flagged it as malware and refuses to serve its content',
      };
    }
    return {
      kind: 'unreadable',
      ...detail,
      reason: `Microsoft Graph refused to serve it (HTTP ${e.status}${e.code ? ` ${e.code}` : ''})`,
    };
  }
  const networkCode = (e as { code?: unknown } | null)?.code;
  if (e instanceof Error && networkCode === CONTENT_CHANGED) {
    return {
      kind: 'transient',
      code: CONTENT_CHANGED,
      reason: 'its bytes changed while they were being read (the next listing has the new version)',
    };
  }
  if (
    e instanceof Error &&
    ((typeof networkCode === 'string' && NETWORK_CODES.has(networkCode)) || e.message === 'aborted')
  ) {
    return {
      kind: 'transient',
      code: typeof networkCode === 'string' ? networkCode : 'connectionAborted',
      reason: 'the connection to Microsoft Graph broke while its content was being read',
    };
  }
  return undefined;
}
