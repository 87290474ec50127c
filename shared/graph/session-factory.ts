// Graph clients per Microsoft 365 account, built from settings and the account's credential (Key Vault), reused
// across invocations so msal's token cache and the keep-alive sockets are too. The credential is not part of what
// a client is cached by: each client reads it again after CREDENTIAL_TTL_MS (account-tokens.ts), so a secret rotated
// in Key Vault is in use within minutes (this TTL plus the secret source's own) without a redeploy.
import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings';
import type { AccountDoc } from '../inventory/schemas';
import type { SecretSource } from '../secrets/secret-source';
import { GraphClient, userAgent } from './graph-client';
import type { GraphLogEntry } from './http-pipeline';
import { createAgent, httpsTransport, Transport } from './https-transport';
import { AccountTokens } from './account-tokens';
import { Credential, tokenProviderFor } from './token-provider';

/** A PEM holding a certificate and its private key, as Key Vault exports a PEM certificate. */
export function splitPem(pem: string): { certificatePem: string; privateKeyPem: string } {
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const key = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem)?.[0];
  if (!cert || !key) throw new Error('the certificate secret must hold a PEM certificate and its private key');
  return { certificatePem: cert, privateKeyPem: key };
}

/** The product's version from its package.json (for the User-Agent), wherever the compiled file runs from. */
function productVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'm365-vault' && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}

/** Failures, retries and hand-backs with their request ids; successful responses would flood the traces. */
function logNotable(e: GraphLogEntry): void {
  if (e.event === 'response' && (e.status ?? 0) < 400) return;
  console.log(
    `[graph] ${e.event} ${e.status ?? ''} ${e.method} ${e.target} op=${e.operation} mailbox=${e.mailbox} attempt=${e.attempt}` +
      `${e.waitSeconds !== undefined ? ` wait=${e.waitSeconds.toFixed(2)}s` : ''}${e.error ? ` error=${e.error}` : ''} request-id=${e.requestId ?? '-'} client-request-id=${e.clientRequestId}`,
  );
}

/** How long a client uses the credential it read before reading it again (a cache hit in the secret source, mostly). */
export const CREDENTIAL_TTL_MS = 60_000;

export interface GraphSessionOptions {
  now?: () => number;
  credentialTtlMs?: number;
  /** How requests reach Graph and Entra ID; default: HTTPS trusting the configured CA. */
  transport?: Transport;
}

export function graphSessions(
  settings: Settings,
  secrets: SecretSource,
  opts: GraphSessionOptions = {},
): (account: AccountDoc) => Promise<GraphClient> {
  const transport = opts.transport ?? httpsTransport(createAgent(settings.M365V_GRAPH_CA_CERT_FILE));
  const agentString = userAgent(productVersion());
  const clients = new Map<string, GraphClient>();
  return async (account) => {
    const secretName =
      account.credential.type === 'secret' ? account.credential.secretName : account.credential.certificateName;
    const key = [account.id, account.tenantId, account.clientId, account.credential.type, secretName].join('|');
    const cached = clients.get(key);
    if (cached) return cached;
    const read = async (): Promise<Credential> =>
      account.credential.type === 'secret'
        ? { clientSecret: await secrets.get(secretName) }
        : splitPem(await secrets.get(secretName));
    const tokens = new AccountTokens({
      read,
      providerFor: (credential) =>
        tokenProviderFor({
          authorityHost: settings.M365V_AUTHORITY_HOST,
          tenantId: account.tenantId,
          clientId: account.clientId,
          credential,
          transport,
        }),
      now: opts.now ?? Date.now,
      ttlMs: opts.credentialTtlMs ?? CREDENTIAL_TTL_MS,
      onStaleCredential: (e) =>
        console.warn(
          `[graph] re-reading the credential '${secretName}' of account ${account.id} failed; the one read before stays in use: ${e.message}`,
        ),
    });
    // A credential that cannot be read at all fails here, as before: the caller's alarm names the secret.
    await tokens.current();
    const client = new GraphClient({
      baseUrl: settings.M365V_GRAPH_BASE_URL,
      tokens,
      transport,
      userAgent: agentString,
      log: logNotable,
    });
    clients.set(key, client);
    return client;
  };
}
