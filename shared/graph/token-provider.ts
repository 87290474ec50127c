// App-only tokens through @azure/msal-node (secret or certificate); msal caches and refreshes them. Locally the
// Microsoft 365 emulator presents a self-signed certificate, trusted through a configured CA file only.
import { createHash, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { ConfidentialClientApplication, INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { GraphAuthError } from './errors';

export type Credential = { clientSecret: string } | { certificatePem: string; privateKeyPem: string };

export interface TokenProviderOptions {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  credential: Credential;
  /** Resource scope, e.g. https://graph.microsoft.com/.default */
  scope: string;
  agent?: https.Agent;
}

function networkClient(agent: https.Agent): INetworkModule {
  const send = <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      const req = https.request(url, { method, agent, headers: { ...(options?.headers ?? {}), ...(options?.body ? { 'content-length': Buffer.byteLength(options.body) } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: T;
          try {
            body = JSON.parse(text) as T;
          } catch {
            body = text as unknown as T;
          }
          resolve({ headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), body, status: res.statusCode ?? 0 });
        });
      });
      req.on('error', reject);
      if (options?.body) req.write(options.body);
      req.end();
    });
  return { sendGetRequestAsync: (url, options) => send('GET', url, options), sendPostRequestAsync: (url, options) => send('POST', url, options) };
}

export class TokenProvider {
  private readonly app: ConfidentialClientApplication;

  constructor(private readonly opts: TokenProviderOptions) {
    const authority = `${opts.authorityHost.replace(/\/$/, '')}/${opts.tenantId}`;
    const auth = 'clientSecret' in opts.credential
      ? { clientSecret: opts.credential.clientSecret }
      : {
          clientCertificate: {
            thumbprintSha256: createHash('sha256').update(new X509Certificate(opts.credential.certificatePem).raw).digest('hex'),
            privateKey: opts.credential.privateKeyPem,
            x5c: opts.credential.certificatePem,
          },
        };
    this.app = new ConfidentialClientApplication({
      auth: { clientId: opts.clientId, authority, knownAuthorities: [new URL(authority).host], ...auth },
      system: { ...(opts.agent ? { networkClient: networkClient(opts.agent) } : {}), loggerOptions: { piiLoggingEnabled: false, logLevel: 0 } },
    });
  }

  async token(): Promise<string> {
    try {
      const r = await this.app.acquireTokenByClientCredential({ scopes: [this.opts.scope] });
      if (!r?.accessToken) throw new GraphAuthError(undefined, 'Microsoft Entra ID returned no access token.');
      return r.accessToken;
    } catch (e) {
      if (e instanceof GraphAuthError) throw e;
      const text = `${(e as { errorMessage?: string }).errorMessage ?? ''} ${(e as Error).message ?? ''}`;
      const aadsts = /AADSTS(\d+)/.exec(text)?.[1];
      // The message may echo request details; keep only the first line of Entra's description.
      throw new GraphAuthError(aadsts, aadsts ? `Sign-in failed with AADSTS${aadsts}.` : `Sign-in failed: ${text.split('\n')[0]!.slice(0, 200)}`);
    }
  }

  /** The application permissions (`roles`) in the current token. */
  async roles(): Promise<string[]> {
    const payload = (await this.token()).split('.')[1] ?? '';
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: string[] };
    return claims.roles ?? [];
  }
}
