import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createAgent, httpsTransport, Transport } from '../../shared/graph/https-transport';
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
  // A stand-in answering as Key Vault does: 503 and 429 with Retry-After under load, the secret bundle, and
  // SecretNotFound for an unknown name.
  let server: https.Server;
  let url: string;
  let transport: Transport;
  const seen: Array<{ path: string; authorization?: string }> = [];
  const script: Array<{ status: number; retryAfter?: string }> = [];

  beforeAll(async () => {
    const { certFile, keyFile } = await ensureLoopbackCert(path.join(os.tmpdir(), 'm365v-kv-test'));
    server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (req, res) => {
      seen.push({ path: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      const next = script.shift();
      if (next) {
        res.writeHead(next.status, { 'content-type': 'application/json', ...(next.retryAfter ? { 'retry-after': next.retryAfter } : {}) });
        return void res.end(JSON.stringify({ error: { code: next.status === 429 ? 'Throttled' : 'ServiceUnavailable', message: 'Try again later.' } }));
      }
      if (!req.url?.startsWith('/secrets/contoso-backup?')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { code: 'SecretNotFound', message: 'A secret with (name/id) was not found in this key vault.' } }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ value: 's3cr3t-value', id: `${url}/secrets/contoso-backup/1` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    transport = httpsTransport(createAgent(certFile));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const credential = { getToken: async () => ({ token: 'kv-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };

  it('retries 503 and 429 as Graph calls are retried, with the managed identity token', async () => {
    script.push({ status: 503, retryAfter: '0' }, { status: 429, retryAfter: '0' });
    seen.length = 0;
    expect(await keyVaultSecrets(url, credential, transport).get('contoso-backup')).toBe('s3cr3t-value');
    expect(seen).toHaveLength(3);
    expect(seen.every((s) => s.authorization === 'Bearer kv-token' && s.path === '/secrets/contoso-backup?api-version=7.4')).toBe(true);
  });

  it('names a missing secret', async () => {
    const err = await keyVaultSecrets(url, credential, transport).get('fabrikam-backup').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretUnavailable);
    expect((err as Error).message).toBe("Secret 'fabrikam-backup' is unavailable: it does not exist in the Key Vault");
  });
});
