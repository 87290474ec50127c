import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createAgent } from '../../shared/graph/https-transport';
import { GraphThrottledError } from '../../shared/graph/graph-errors';
import { fileSecrets, keyVaultSecrets, SecretUnavailable } from '../../shared/secrets/secret-source';
import { ensureLoopbackCert } from '../../local/stack/loopback-cert';

describe('file secrets', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-secrets-')), 'secrets.json');
  afterAll(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

  it('reads a secret and names a missing one without revealing any value', async () => {
    fs.writeFileSync(file, JSON.stringify({ 'contoso-backup': 's3cr3t-value' }));
    const source = fileSecrets(file);
    expect(await source.get('contoso-backup')).toBe('s3cr3t-value');
    const err = await source.get('fabrikam-backup').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretUnavailable);
    expect((err as Error).message).toBe("Secret 'fabrikam-backup' is unavailable: it is not in the local secrets file");
    expect((err as Error).message).not.toContain('s3cr3t');
  });
});

describe('Key Vault secrets', () => {
  // A stand-in answering as Key Vault does: a 401 challenge to a request without a token, 503 and 429 with
  // Retry-After under load, the secret bundle, SecretNotFound for an unknown name, and one secret it never answers.
  let server: https.Server;
  let url: string;
  let agent: https.Agent;
  const seen: Array<{ path: string; authorization?: string }> = [];
  const script: Array<{ status: number; retryAfter?: string }> = [];
  const scopes: string[] = [];

  beforeAll(async () => {
    const { certFile, keyFile } = await ensureLoopbackCert(path.join(os.tmpdir(), 'm365v-kv-test'));
    server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (req, res) => {
      seen.push({
        path: req.url ?? '',
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (!req.headers.authorization) {
        return answer(
          401,
          { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
          {
            'www-authenticate':
              'Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"',
          },
        );
      }
      if (req.url?.startsWith('/secrets/slow-secret')) return; // never answered
      const next = script.shift();
      if (next)
        return answer(
          next.status,
          {
            error: {
              code: next.status === 429 ? 'Throttled' : next.status === 403 ? 'Forbidden' : 'ServiceUnavailable',
              message: 'Try again later.',
            },
          },
          next.retryAfter ? { 'retry-after': next.retryAfter } : {},
        );
      if (!/^\/secrets\/contoso-backup\/?\?/.test(req.url ?? ''))
        return answer(404, {
          error: { code: 'SecretNotFound', message: 'A secret with (name/id) was not found in this key vault.' },
        });
      answer(200, { value: 's3cr3t-value', id: `${url}/secrets/contoso-backup/1`, attributes: { enabled: true } });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    agent = createAgent(certFile);
  });
  afterAll(() => {
    agent.destroy();
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
    script.length = 0;
  });

  const credential = {
    getToken: async (scope: string | string[]) => {
      scopes.push(...[scope].flat());
      return { token: 'kv-token', expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  const source = (opts: { readDeadlineMs?: number; verifyChallengeResource?: boolean } = {}) =>
    keyVaultSecrets(url, credential, { agent, verifyChallengeResource: false, ...opts });

  it('answers the challenge with the managed identity token for the vault, and retries 503 and 429 as asked', async () => {
    script.push({ status: 503, retryAfter: '0' }, { status: 429, retryAfter: '0' });
    expect(await source().get('contoso-backup')).toBe('s3cr3t-value');
    expect(seen.map((s) => s.authorization ?? 'none')).toEqual([
      'none',
      'Bearer kv-token',
      'Bearer kv-token',
      'Bearer kv-token',
    ]);
    expect(seen.map((s) => decodeURIComponent(s.path).replace(/=[^=]*$/, '='))).toEqual(
      Array(4).fill('/secrets/contoso-backup/?api-version='),
    );
    expect(scopes).toContain('https://vault.azure.net/.default');
  });

  it('names a missing secret, and one the identity may not read', async () => {
    const err = await source()
      .get('fabrikam-backup')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretUnavailable);
    expect((err as Error).message).toBe("Secret 'fabrikam-backup' is unavailable: it does not exist in the Key Vault");
    script.push({ status: 403 });
    expect(
      (
        (await source()
          .get('contoso-backup')
          .catch((e: unknown) => e)) as Error
      ).message,
    ).toBe(
      "Secret 'contoso-backup' is unavailable: the app's identity may not read it (grant \"Key Vault Secrets User\")",
    );
  });

  it('hands a Retry-After longer than a read may take to the caller (a durable timer) instead of sleeping through it', async () => {
    script.push({ status: 429, retryAfter: '3600' });
    const err = await source()
      .get('contoso-backup')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphThrottledError);
    expect(err).toMatchObject({ retryAfterSeconds: 3600, status: 429, operation: 'secrets.read' });
    expect(seen.filter((s) => s.authorization)).toHaveLength(1);
    // Throttled through all of the SDK's retries: a wait for the caller too, never the SDK's own error.
    script.push(...Array.from({ length: 4 }, () => ({ status: 429, retryAfter: '0' })));
    expect(
      await source()
        .get('contoso-backup')
        .catch((e: unknown) => e),
    ).toMatchObject({ name: 'GraphThrottledError', retryAfterSeconds: 60 });
    expect(script).toEqual([]);
  });

  it('reports a read Key Vault never answers as unavailable once its deadline passes', async () => {
    const err = await source({ readDeadlineMs: 500 })
      .get('slow-secret')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretUnavailable);
    expect((err as Error).message).toBe("Secret 'slow-secret' is unavailable: Key Vault did not answer within 0.5 s");
  });

  it("sends no token to a challenge naming a resource other than the vault's domain, unless told to", async () => {
    const err = await source({ verifyChallengeResource: true })
      .get('contoso-backup')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretUnavailable);
    expect(seen.every((s) => !s.authorization)).toBe(true);
  });
});
