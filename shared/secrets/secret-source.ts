// Where account credentials come from: Azure Key Vault in Azure (read with the app's managed identity), a local JSON
// file in development. Values are cached briefly so a rotated secret is picked up within minutes, and never appear
// in an error: errors name the secret, not its content.
import fs from 'node:fs';
import { DefaultAzureCredential, TokenCredential } from '@azure/identity';
import type { Settings } from '../config/settings';

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

export function keyVaultSecrets(vaultUrl: string, credential: TokenCredential): SecretSource {
  return cached(async (name) => {
    const token = await credential.getToken('https://vault.azure.net/.default');
    if (!token) throw new SecretUnavailable(name, 'no token for Key Vault');
    const res = await fetch(new URL(`/secrets/${encodeURIComponent(name)}?api-version=7.4`, vaultUrl), { headers: { authorization: `Bearer ${token.token}` } });
    if (res.status === 404) throw new SecretUnavailable(name, 'it does not exist in the Key Vault');
    if (res.status === 401 || res.status === 403) throw new SecretUnavailable(name, 'the app\'s identity may not read it (grant "Key Vault Secrets User")');
    if (!res.ok) throw new SecretUnavailable(name, `Key Vault answered HTTP ${res.status}`);
    return ((await res.json()) as { value: string }).value;
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
