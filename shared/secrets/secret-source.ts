// Where account credentials come from: Azure Key Vault in Azure (read with the app's managed identity, through the
// same retrying, throttling-aware pipeline as Graph calls: Key Vault answers 429 with Retry-After under load), a
// local JSON file in development. Values are cached briefly so a rotated secret is picked up within minutes, and
// never appear in an error: errors name the secret, not its content.
import fs from 'node:fs';
import { DefaultAzureCredential, TokenCredential } from '@azure/identity';
import type { Settings } from '../config/settings';
import { GraphRequestError, GraphThrottledError } from '../graph/graph-errors';
import { HttpPipeline } from '../graph/http-pipeline';
import { createAgent, httpsTransport, Transport } from '../graph/https-transport';

export class SecretUnavailable extends Error {
  constructor(readonly secretName: string, readonly reason: string) {
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

/** How long one secret read may keep retrying (throttling, 503s) before it is reported unavailable. */
const READ_DEADLINE_MS = 60_000;

export function keyVaultSecrets(vaultUrl: string, credential: TokenCredential, transport: Transport = httpsTransport(createAgent())): SecretSource {
  const pipeline = new HttpPipeline({
    baseUrl: vaultUrl, transport, userAgent: 'm365-vault',
    tokens: {
      async token() {
        const t = await credential.getToken('https://vault.azure.net/.default');
        if (!t) throw new Error('no token for Key Vault');
        return t.token;
      },
    },
  });
  return cached(async (name) => {
    try {
      const call = { url: `/secrets/${encodeURIComponent(name)}?api-version=7.4`, mailbox: 'keyvault', operation: 'secrets.read' as const, deadline: Date.now() + READ_DEADLINE_MS };
      return (await pipeline.json<{ value: string }>(call)).value;
    } catch (e) {
      const status = e instanceof GraphRequestError ? e.status : undefined;
      if (status === 404) throw new SecretUnavailable(name, 'it does not exist in the Key Vault');
      if (status === 401 || status === 403) throw new SecretUnavailable(name, 'the app\'s identity may not read it (grant "Key Vault Secrets User")');
      // A wait longer than the read may take is the caller's to wait out (a durable timer), as for Graph.
      if (e instanceof GraphThrottledError) throw e;
      throw new SecretUnavailable(name, status ? `Key Vault answered HTTP ${status}` : (e as Error).message);
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
    return keyVaultSecrets(settings.M365V_KEYVAULT_URL, new DefaultAzureCredential(settings.AZURE_CLIENT_ID ? { managedIdentityClientId: settings.AZURE_CLIENT_ID } : {}));
  }
  if (settings.M365V_LOCAL_SECRETS_FILE) return fileSecrets(settings.M365V_LOCAL_SECRETS_FILE);
  return { get: async (name) => Promise.reject(new SecretUnavailable(name, 'neither M365V_KEYVAULT_URL nor M365V_LOCAL_SECRETS_FILE is set')) };
}
