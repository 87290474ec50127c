import fs from 'node:fs';
import https from 'node:https';
import type { Settings } from '../config/settings';
import type { AccountDoc } from '../inventory/schemas';
import type { SecretSource } from '../secrets/secret-source';
import { GraphHttpSession } from './graph-session';
import { Credential, TokenProvider } from './token-provider';

/** A PEM holding a certificate and its private key, as Key Vault exports a PEM certificate. */
function splitPem(pem: string): { certificatePem: string; privateKeyPem: string } {
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const key = /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/.exec(pem)?.[0];
  if (!cert || !key) throw new Error('the certificate secret must hold a PEM certificate and its private key');
  return { certificatePem: cert, privateKeyPem: key };
}

/** Sessions per account, reused across invocations so msal's token cache and keep-alive sockets are too. */
export function graphSessions(settings: Settings, secrets: SecretSource): (account: AccountDoc) => Promise<GraphHttpSession> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 256, ...(settings.M365V_GRAPH_CA_CERT_FILE ? { ca: fs.readFileSync(settings.M365V_GRAPH_CA_CERT_FILE) } : {}) });
  const sessions = new Map<string, GraphHttpSession>();
  return async (account) => {
    const key = `${account.id}|${account.updatedAt}`;
    const cached = sessions.get(key);
    if (cached) return cached;
    const credential: Credential = account.credential.type === 'secret'
      ? { clientSecret: await secrets.get(account.credential.secretName) }
      : splitPem(await secrets.get(account.credential.certificateName));
    const tokens = new TokenProvider({
      authorityHost: settings.M365V_AUTHORITY_HOST, tenantId: account.tenantId, clientId: account.clientId, credential,
      // Graph's resource id is the same in every cloud the API is reached through (the token audience).
      scope: 'https://graph.microsoft.com/.default',
      ...(settings.M365V_GRAPH_CA_CERT_FILE ? { agent } : {}),
    });
    const session = new GraphHttpSession({ baseUrl: settings.M365V_GRAPH_BASE_URL, tokens, agent, log: (l) => console.log(l) });
    sessions.set(key, session);
    return session;
  };
}
