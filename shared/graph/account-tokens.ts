// The sign-in of one Microsoft 365 account, kept current with its credential in Key Vault: the credential is read
// again once `ttlMs` has passed, and a changed one (a rotated secret or certificate) switches to a new msal
// application at the next token request, with no redeploy. An unchanged credential keeps its application and so
// msal's token cache. A revoked credential then fails at the next token request, as a GraphAuthError with its
// AADSTS number, which the backup turns into the "invalid client secret" alarm with its fix.
import type { AppTokenSource, Credential, TokenProvider } from './token-provider';

export interface AccountTokensOptions {
  /** Reads the account's credential (through the secret source, which has its own short cache). */
  read(): Promise<Credential>;
  /** The token provider of a credential: the same one, cache and all, as long as the credential is the same. */
  providerFor(credential: Credential): TokenProvider;
  now(): number;
  ttlMs: number;
  /** Told when a re-read fails while a credential is in use (it stays in use until a read succeeds). */
  onStaleCredential?(error: Error): void;
}

export class AccountTokens implements AppTokenSource {
  private provider: TokenProvider | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<TokenProvider> | undefined;
  /** Token requests of providers this account used before a rotation. */
  private earlierRequests = 0;

  constructor(private readonly opts: AccountTokensOptions) {}

  /** The provider of the current credential; the first read's failure (no credential at all) is the caller's. */
  current(): Promise<TokenProvider> {
    if (this.provider && this.opts.now() - this.readAt < this.opts.ttlMs) return Promise.resolve(this.provider);
    this.reading ??= this.refresh().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  async token(): Promise<string> {
    return (await this.current()).token();
  }

  async roles(): Promise<string[]> {
    return (await this.current()).roles();
  }

  stats(): { tokenRequests: number } {
    return { tokenRequests: this.earlierRequests + (this.provider?.stats().tokenRequests ?? 0) };
  }

  private async refresh(): Promise<TokenProvider> {
    const at = this.opts.now();
    let credential: Credential;
    try {
      credential = await this.opts.read();
    } catch (e) {
      if (!this.provider) throw e;
      // Key Vault unreachable for a moment must not stop backups that hold a working credential.
      this.readAt = at;
      this.opts.onStaleCredential?.(e as Error);
      return this.provider;
    }
    const next = this.opts.providerFor(credential);
    if (this.provider && next !== this.provider) this.earlierRequests += this.provider.stats().tokenRequests;
    this.provider = next;
    this.readAt = at;
    return next;
  }
}
