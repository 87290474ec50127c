/** A Graph error response, parsed from Graph's envelope; carries what alarms need, never a token. */
export class GraphRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly requestId: string | undefined,
    readonly innerCode?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'GraphRequestError';
  }
}

/** Signing in to Microsoft Entra ID failed; `aadsts` is the error number (7000215, 700016, ...). */
export class GraphAuthError extends Error {
  constructor(readonly aadsts: string | undefined, message: string) {
    super(message);
    this.name = 'GraphAuthError';
  }
}

export function parseEnvelope(status: number, body: string, requestId: string | undefined, retryAfterSeconds?: number): GraphRequestError {
  let code: string | undefined;
  let message = `HTTP ${status}`;
  let inner: string | undefined;
  try {
    const e = (JSON.parse(body) as { error?: { code?: string; message?: string; innerError?: { code?: string } } }).error;
    code = e?.code;
    message = e?.message ?? message;
    inner = e?.innerError?.code;
  } catch {
    // not a Graph envelope (a gateway's HTML page, an empty body)
  }
  return new GraphRequestError(status, code, message, requestId, inner, retryAfterSeconds);
}

/** Retry-After in seconds (Graph may send fractions); undefined when absent or unparsable. */
export function retryAfterOf(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
