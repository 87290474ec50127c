import { randomUUID } from 'node:crypto';

/** A Graph error: the handler throws it, the server renders Graph's envelope. */
export class GraphError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}, readonly innerCode?: string) {
    super(message);
  }
}

export function envelope(e: GraphError, requestId: string, clientRequestId: string): Record<string, unknown> {
  return {
    error: {
      code: e.code, message: e.message,
      innerError: { ...(e.innerCode ? { code: e.innerCode } : {}), date: new Date().toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': clientRequestId },
    },
  };
}

export const newRequestId = (): string => randomUUID();
