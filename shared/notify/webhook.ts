// Calls a job's pre/post-run webhook: HTTPS POST of the run payload, signed when the job names a signing secret,
// bounded in time so a slow receiver cannot hold a run. Serverless has no machine for pre/post scripts; this is
// where they go.
import { createHmac } from 'node:crypto';

export interface WebhookResult {
  ok: boolean;
  /** HTTP status, or undefined when the receiver could not be reached. */
  status?: number;
  error?: string;
}

export const SIGNATURE_HEADER = 'x-m365vault-signature';

/** `sha256=<hex>` HMAC of the exact body, as GitHub-style receivers verify. */
export const signBody = (body: string, secret: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export async function callWebhook(
  url: string,
  payload: unknown,
  opts: { signingSecret?: string; timeoutMs?: number; deliveryId: string },
): Promise<WebhookResult> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'm365-vault-webhook',
    'x-m365vault-delivery': opts.deliveryId,
  };
  if (opts.signingSecret) headers[SIGNATURE_HEADER] = signBody(body, opts.signingSecret);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    await res.body?.cancel();
    return res.ok
      ? { ok: true, status: res.status }
      : { ok: false, status: res.status, error: `answered ${res.status}` };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return {
      ok: false,
      error:
        (e as Error).name === 'TimeoutError'
          ? 'no answer within the time limit'
          : `unreachable${cause ? ` (${cause})` : ''}`,
    };
  }
}
