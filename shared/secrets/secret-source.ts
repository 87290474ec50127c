// Where account credentials come from: Azure Key Vault in Azure (read with the app's managed identity through the
// Azure SDK's SecretClient, which does Key Vault's challenge authentication, retries 429/503 honouring Retry-After and
// 5xx with back-off), a local JSON file in development. Values are cached briefly so a rotated secret is picked up
// within minutes, and never appear in an error: errors name the secret, not its content.
import fs from 'node:fs';
import type { Agent } from 'node:https';
import { DefaultAzureCredential, TokenCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
// The Azure SDK's one error class (every client package re-exports the same one).
import { RestError } from '@azure/storage-blob';
import type { Settings } from '../config/settings';
import { GraphThrottledError } from '../graph/graph-errors';

export class SecretUnavailable extends Error {
  constructor(
    readonly secretName: string,
    readonly reason: string,
  ) {
    super(`Secret '${secretName}' is unavailable: ${reason}`);
    this.name = 'SecretUnavailable';
  }
}

export interface SecretSource {
  get(name: string): Promise<string>;
}

const TTL_MS = 5 * 60_000;

function cached(source: (name: string) => Promise<string>): SecretSource {
  const cache = new Map<string, { value: string; at: number }>();
  return {
    async get(name) {
      const hit = cache.get(name);
      if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
      const value = await source(name);
      cache.set(name, { value, at: Date.now() });
      return value;
    },
  };
}

type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy'];

/**
 * The SDK would sleep through any Retry-After; a wait longer than a read may take is the caller's to wait out (a
 * durable timer, as for Graph), so it ends the read at once with the wait it asks for.
 */
const longWaitsToTheCaller = (deadlineMs: number): PipelinePolicy => ({
  name: 'm365vLongRetryAfter',
  async sendRequest(request, next) {
    const response = await next(request);
    const seconds = Number(response.headers.get('retry-after'));
    if ((response.status === 429 || response.status === 503) && seconds * 1000 > deadlineMs)
      throw new GraphThrottledError(seconds, response.status, 'secrets.read');
    return response;
  },
});

export interface KeyVaultOptions {
  /** The HTTPS agent (keep-alive sockets, a trusted CA for a local stand-in); the SDK's default otherwise. */
  agent?: Agent;
  /**
   * Whether the challenge's resource must be the vault's own domain (Key Vault's protection against sending a token
   * to another service). Off only for a stand-in on a loopback address, which no Key Vault domain matches.
   */
  verifyChallengeResource?: boolean;
  /** How long one read may take, retries included, before the secret is reported unavailable. */
  readDeadlineMs?: number;
}

export function keyVaultSecrets(
  vaultUrl: string,
  credential: TokenCredential,
  opts: KeyVaultOptions = {},
): SecretSource {
  const deadlineMs = opts.readDeadlineMs ?? 60_000;
  const client = new SecretClient(vaultUrl, credential, {
    ...(opts.agent ? { agent: opts.agent } : {}),
    disableChallengeResourceVerification: opts.verifyChallengeResource === false,
    additionalPolicies: [{ policy: longWaitsToTheCaller(deadlineMs), position: 'perRetry' }],
    userAgentOptions: { userAgentPrefix: 'm365-vault' },
  });
  return cached(async (name) => {
    try {
      const secret = await client.getSecret(name, { abortSignal: AbortSignal.timeout(deadlineMs) });
      if (secret.value === undefined) throw new SecretUnavailable(name, 'Key Vault returned it without a value');
      return secret.value;
    } catch (e) {
      if (e instanceof SecretUnavailable || e instanceof GraphThrottledError) throw e;
      const status = e instanceof RestError ? e.statusCode : undefined;
      if (status === 404) throw new SecretUnavailable(name, 'it does not exist in the Key Vault');
      if (status === 401 || status === 403)
        throw new SecretUnavailable(name, 'the app\'s identity may not read it (grant "Key Vault Secrets User")');
      // Still throttled after the SDK's retries: the caller waits (a durable timer) as asked, or a minute.
      if (status === 429)
        throw new GraphThrottledError(
          Number((e as RestError).response?.headers.get('retry-after')) || 60,
          429,
          'secrets.read',
        );
      // Never the SDK's error itself: a RestError would be taken for a storage failure (backup/failures.ts).
      throw new SecretUnavailable(
        name,
        status
          ? `Key Vault answered HTTP ${status}`
          : (e as Error).name === 'AbortError'
            ? `Key Vault did not answer within ${deadlineMs / 1000} s`
            : (e as Error).message,
      );
    }
  });
}

/** Development only: `{ "<secret name>": "<value>" }` in a file outside the repository. */
export function fileSecrets(file: string): SecretSource {
  return cached(async (name) => {
    let all: Record<string, unknown>;
    try {
      all = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new SecretUnavailable(name, 'the local secrets file cannot be read');
    }
    const value = all[name];
    if (typeof value !== 'string') throw new SecretUnavailable(name, 'it is not in the local secrets file');
    return value;
  });
}

export function createSecretSource(settings: Settings): SecretSource {
  if (settings.M365V_KEYVAULT_URL) {
    return keyVaultSecrets(
      settings.M365V_KEYVAULT_URL,
      new DefaultAzureCredential(settings.AZURE_CLIENT_ID ? { managedIdentityClientId: settings.AZURE_CLIENT_ID } : {}),
    );
  }
  if (settings.M365V_LOCAL_SECRETS_FILE) return fileSecrets(settings.M365V_LOCAL_SECRETS_FILE);
  return {
    get: async (name) =>
      Promise.reject(new SecretUnavailable(name, 'neither M365V_KEYVAULT_URL nor M365V_LOCAL_SECRETS_FILE is set')),
  };
}
