// App-only tokens through @azure/msal-node: one ConfidentialClientApplication per (authority host, tenant, client
// id), created once and reused, so msal's token cache serves every call until the token nears expiry. Client secret
// or certificate (thumbprint computed from the certificate; SHA-256 preferred). Sign-in failures become a
// GraphAuthError with the AADSTS number, never the secret or the request.
import { createHash, X509Certificate } from 'node:crypto';
import {
  AuthenticationResult,
  ConfidentialClientApplication,
  INetworkModule,
  NetworkRequestOptions,
  NetworkResponse,
  NodeAuthOptions,
} from '@azure/msal-node';
import { GraphAuthError } from './graph-errors';
import { readBody, Transport } from './https-transport';

export type Credential =
  | { clientSecret: string }
  /** `thumbprint`: 'sha1' only for authorities that do not accept the SHA-256 (x5t#S256, PS256) assertion. */
  | { certificatePem: string; privateKeyPem: string; thumbprint?: 'sha256' | 'sha1' };

/** Authority options for clouds msal cannot discover on its own (e.g. the local emulator's offline metadata). */
export type AuthorityOptions = Pick<
  NodeAuthOptions,
  'knownAuthorities' | 'authorityMetadata' | 'cloudDiscoveryMetadata'
>;

export interface TokenProviderOptions {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  credential: Credential;
  /** Resource scope; Graph's resource id is the same in every cloud it is reached through. */
  scope?: string;
  /** How msal reaches Entra ID (shares the Graph agent, and so its CA). */
  transport: Transport;
  authority?: AuthorityOptions;
}

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** msal's codes for "no answer": the token request, or the authority's metadata, could not be fetched. */
const UNREACHABLE = ['network_error', 'endpoints_resolution_error'];

function certificateAuth(
  c: Extract<Credential, { certificatePem: string }>,
): NonNullable<NodeAuthOptions['clientCertificate']> {
  const der = new X509Certificate(c.certificatePem).raw;
  const thumbprint = createHash(c.thumbprint === 'sha1' ? 'sha1' : 'sha256')
    .update(der)
    .digest('hex');
  return {
    ...(c.thumbprint === 'sha1' ? { thumbprint } : { thumbprintSha256: thumbprint }),
    privateKey: c.privateKeyPem,
    x5c: c.certificatePem,
  };
}

/** What a Graph client needs of its sign-in: tokens, the roles they carry, and how many token requests were sent. */
export interface AppTokenSource {
  token(): Promise<string>;
  roles(): Promise<string[]>;
  stats(): { tokenRequests: number };
}

/** Distinguishes credentials without keeping them: a rotated secret or certificate gets a new msal application. */
const fingerprint = (c: Credential): string => createHash('sha256').update(JSON.stringify(c)).digest('hex');

export class TokenProvider implements AppTokenSource {
  private readonly app: ConfidentialClientApplication;
  private readonly secret: string | undefined;
  private tokenRequests = 0;
  private pending: Promise<string> | undefined;

  constructor(private readonly opts: TokenProviderOptions) {
    const authority = `${opts.authorityHost.replace(/\/$/, '')}/${opts.tenantId}`;
    this.secret = 'clientSecret' in opts.credential ? opts.credential.clientSecret : undefined;
    this.app = new ConfidentialClientApplication({
      auth: {
        clientId: opts.clientId,
        authority,
        knownAuthorities: [new URL(authority).host],
        ...opts.authority,
        ...('clientSecret' in opts.credential
          ? { clientSecret: opts.credential.clientSecret }
          : { clientCertificate: certificateAuth(opts.credential) }),
      },
      system: { networkClient: this.network(), loggerOptions: { piiLoggingEnabled: false } },
    });
  }

  /** A valid access token, from msal's cache unless it is missing or near expiry. */
  token(): Promise<string> {
    // Concurrent callers share one acquisition: msal's cache is only filled once its request returns, and a burst
    // of first calls must not become a burst of token requests.
    this.pending ??= this.acquire().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async acquire(): Promise<string> {
    let result: AuthenticationResult | null;
    try {
      result = await this.app.acquireTokenByClientCredential({ scopes: [this.opts.scope ?? GRAPH_SCOPE] });
    } catch (e) {
      throw this.signInFailure(e);
    }
    if (!result?.accessToken) throw new GraphAuthError(undefined, 'Microsoft Entra ID returned no access token.');
    return result.accessToken;
  }

  /** The application permissions (`roles` claim) of the current token; decoded, not verified (Graph verifies it). */
  async roles(): Promise<string[]> {
    const payload = (await this.token()).split('.')[1] ?? '';
    try {
      const roles = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown }).roles;
      return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Requests sent to the token endpoint (msal's cache hits send none). */
  stats(): { tokenRequests: number } {
    return { tokenRequests: this.tokenRequests };
  }

  private network(): INetworkModule {
    const send = async <T>(
      method: 'GET' | 'POST',
      url: string,
      options?: NetworkRequestOptions,
    ): Promise<NetworkResponse<T>> => {
      if (method === 'POST' && /\/oauth2\/v2\.0\/token$/.test(new URL(url).pathname)) this.tokenRequests++;
      const res = await this.opts.transport({
        method,
        url,
        headers: options?.headers ?? {},
        ...(options?.body ? { body: options.body } : {}),
      });
      const text = (await readBody(res, 1024 * 1024)).toString('utf8');
      let body: unknown = {};
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        // An HTML error page from a proxy: msal reports the status.
      }
      return {
        status: res.statusCode ?? 0,
        headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
        body: body as T,
      };
    };
    return {
      sendGetRequestAsync: (url, o) => send('GET', url, o),
      sendPostRequestAsync: (url, o) => send('POST', url, o),
    };
  }

  /**
   * Entra's answer as a GraphAuthError (permanent until someone fixes the configuration), or, when Entra could not
   * be reached or failed on its side, a plain Error the caller's retry policy handles.
   */
  private signInFailure(e: unknown): Error {
    const err = e as {
      errorCode?: string;
      errorMessage?: string;
      errorNo?: string | number;
      correlationId?: string;
      status?: number;
      message?: string;
    };
    const text = `${err.errorMessage ?? ''} ${err.message ?? ''}`;
    const aadsts =
      err.errorNo !== undefined && err.errorNo !== '' ? String(err.errorNo) : /AADSTS(\d+)/.exec(text)?.[1];
    if (!aadsts && (UNREACHABLE.includes(err.errorCode ?? '') || (err.status ?? 0) >= 500)) {
      return new Error(
        `Microsoft Entra ID could not be reached at the authority host or failed (${err.errorCode ?? 'no answer'}${err.status ? `, HTTP ${err.status}` : ''}); retry later.`,
      );
    }
    // Entra's description names the problem ("Invalid client secret provided. ..."); keep its first sentence only,
    // and never let a credential through even if a proxy echoed it.
    const description = /AADSTS\d+: ([^\r\n]*)/.exec(text)?.[1]?.split(/(?<=\.)\s/)[0];
    const redact = (s: string): string => (this.secret ? s.split(this.secret).join('[redacted]') : s);
    const message = aadsts
      ? `Signing in to Microsoft Entra ID failed with AADSTS${aadsts}${err.errorCode ? ` (${err.errorCode})` : ''}${description ? `: ${redact(description)}` : ''}`
      : `Signing in to Microsoft Entra ID failed (${err.errorCode ?? 'unknown error'}).`;
    return new GraphAuthError(aadsts, message, err.errorCode, err.correlationId || undefined);
  }
}

const providers = new Map<string, { credential: string; provider: TokenProvider }>();

/**
 * The process-wide token provider of an app registration: the same msal application (and token cache) for every
 * session of the same (authority host, tenant, client id), replaced only when its credential changes.
 */
export function tokenProviderFor(opts: TokenProviderOptions): TokenProvider {
  const key = [
    opts.authorityHost.replace(/\/$/, '').toLowerCase(),
    opts.tenantId.toLowerCase(),
    opts.clientId.toLowerCase(),
    opts.scope ?? GRAPH_SCOPE,
  ].join('|');
  const credential = fingerprint(opts.credential);
  const known = providers.get(key);
  if (known?.credential === credential) return known.provider;
  const provider = new TokenProvider(opts);
  providers.set(key, { credential, provider });
  return provider;
}
