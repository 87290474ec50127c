import { createHash, X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';
import {
  checkCertificate,
  checkClientId,
  checkSecretValue,
  checkTenantId,
} from '../../../shared/preflight/input-checks';

const TENANT = '3f2b1c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d';
const CLIENT = '9a8b7c6d-5e4f-4321-8abc-def012345678';
const NOW = new Date('2030-06-01T12:00:00Z');
const DAY = 86_400_000;

async function pems(o: { bits?: number; keyType?: 'rsa' | 'ec'; from?: Date; to?: Date } = {}) {
  return generate([{ name: 'commonName', value: 'm365-vault preflight' }], {
    keySize: o.bits ?? 2048,
    keyType: o.keyType ?? 'rsa',
    algorithm: 'sha256',
    notBeforeDate: o.from ?? new Date(NOW.getTime() - 30 * DAY),
    notAfterDate: o.to ?? new Date(NOW.getTime() + 365 * DAY),
  });
}
const byId = (steps: ReturnType<typeof checkCertificate>, id: string) => steps.find((s) => s.id === id);

describe('tenant and client ids', () => {
  it('accepts a tenant GUID or domain and a client GUID', () => {
    expect(checkTenantId(TENANT).status).toBe('passed');
    expect(checkTenantId('contoso.onmicrosoft.com').status).toBe('passed');
    expect(checkClientId(CLIENT, TENANT).status).toBe('passed');
  });
  it('says "Client ID is not a GUID" with the expected form and what is wrong', () => {
    const s = checkClientId('9a8b7c6d5e4f43218abcdef012345678', TENANT);
    expect(s.status).toBe('failed');
    expect(s.cause).toContain('Client ID is not a GUID');
    expect(s.cause).toContain('12345678-1234-1234-1234-1234567890AB');
    expect(s.cause).toContain('hyphens are missing');
    expect(checkClientId(`{${CLIENT}}`, TENANT).cause).toContain('braces');
    expect(checkClientId(`${CLIENT}\n`, TENANT).cause).toContain('line break');
  });
  it('catches the tenant id pasted as client id, and a SharePoint host or URL as tenant', () => {
    expect(checkClientId(TENANT.toUpperCase(), TENANT)).toMatchObject({ status: 'failed' });
    expect(checkClientId(TENANT, TENANT).cause).toContain('Directory (tenant) ID');
    expect(checkTenantId('contoso.sharepoint.com').cause).toContain('SharePoint');
    expect(checkTenantId('https://login.microsoftonline.com/contoso').cause).toContain('URL');
  });
});

describe('client secret value', () => {
  it("recognises the secret's ID stored instead of its value", () => {
    const s = checkSecretValue('0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9', 'contoso-backup');
    expect(s.status).toBe('failed');
    expect(s.cause).toMatch(/Secret ID/);
    expect(s.cause).toContain('AADSTS7000215');
    expect(s.fix).toMatch(/Value/);
    // Nothing secret in what it says.
    expect(JSON.stringify(s)).not.toContain('4f50-4617');
  });
  it('refuses an empty value, a PEM, and surrounding whitespace; passes a plausible value without echoing it', () => {
    expect(checkSecretValue('  ', 's').status).toBe('failed');
    expect(checkSecretValue('-----BEGIN CERTIFICATE-----\nMII…', 's').cause).toContain('PEM');
    expect(checkSecretValue('Abc8Q~secretvalue0123456789abcdefghijklm\n', 's').cause).toContain('line break');
    const ok = checkSecretValue('Abc8Q~secretvalue0123456789abcdefghijklm', 's');
    expect(ok.status).toBe('passed');
    expect(JSON.stringify(ok)).not.toContain('secretvalue');
  });
});

describe('certificate', () => {
  it('passes an RSA 2048 certificate with its key, in its validity, and its thumbprint in either form', async () => {
    const p = await pems();
    const pem = `${p.cert}\n${p.private}`;
    const x = new X509Certificate(p.cert);
    const sha1 = createHash('sha1').update(x.raw).digest('hex');
    for (const t of [sha1, x.fingerprint, x.fingerprint256.replace(/:/g, '').toLowerCase()]) {
      const steps = checkCertificate(pem, 'contoso-cert', NOW, t);
      expect(steps.map((s) => [s.id, s.status])).toEqual([
        ['input.certificate', 'passed'],
        ['input.certificateKey', 'passed'],
        ['input.certificateValidity', 'passed'],
        ['input.certificateThumbprint', 'passed'],
      ]);
      expect(JSON.stringify(steps)).not.toContain('PRIVATE KEY');
    }
  });
  it('fails without the private key, without a certificate, or with an encrypted key', async () => {
    const p = await pems();
    expect(checkCertificate(p.cert, 'c', NOW)[0]).toMatchObject({ status: 'failed' });
    expect(checkCertificate(p.cert, 'c', NOW)[0].cause).toContain('not its private key');
    expect(checkCertificate(p.private, 'c', NOW)[0].cause).toContain('no PEM certificate');
    const encrypted = `${p.cert}\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHzBJBgkqhkiG9w0BBQ0wPDAb\n-----END ENCRYPTED PRIVATE KEY-----`;
    expect(checkCertificate(encrypted, 'c', NOW)[0].cause).toContain('encrypted');
  });
  it('fails a key under 2048 bits, an EC key, and a key of another certificate', async () => {
    const small = await pems({ bits: 1024 });
    expect(byId(checkCertificate(`${small.cert}${small.private}`, 'c', NOW), 'input.certificateKey')!.cause).toContain(
      'at least 2048 bits; this one has 1024 bits',
    );
    const ec = await pems({ keyType: 'ec' });
    expect(byId(checkCertificate(`${ec.cert}${ec.private}`, 'c', NOW), 'input.certificateKey')!.cause).toContain('EC');
    const other = await pems();
    const a = await pems();
    expect(byId(checkCertificate(`${a.cert}${other.private}`, 'c', NOW), 'input.certificateKey')!.cause).toContain(
      'does not belong',
    );
  });
  it('fails an expired or not-yet-valid certificate and warns a month before it expires', async () => {
    const expired = await pems({ from: new Date(NOW.getTime() - 400 * DAY), to: new Date(NOW.getTime() - DAY) });
    const early = await pems({ from: new Date(NOW.getTime() + DAY), to: new Date(NOW.getTime() + 400 * DAY) });
    const soon = await pems({ to: new Date(NOW.getTime() + 10 * DAY) });
    const validity = (p: { cert: string; private: string }) =>
      byId(checkCertificate(p.cert + p.private, 'c', NOW), 'input.certificateValidity')!;
    expect(validity(expired)).toMatchObject({ status: 'failed' });
    expect(validity(expired).cause).toContain('expired');
    expect(validity(early)).toMatchObject({ status: 'failed' });
    expect(validity(early).cause).toContain('not valid before');
    expect(validity(soon)).toMatchObject({ status: 'warning' });
    expect(validity(soon).cause).toContain('in 10 days');
  });
  it('fails a thumbprint of another certificate, naming the stored one', async () => {
    const p = await pems();
    const s = byId(checkCertificate(p.cert + p.private, 'c', NOW, 'AA:BB:CC'), 'input.certificateThumbprint')!;
    expect(s.status).toBe('failed');
    expect(s.cause).toContain(new X509Certificate(p.cert).fingerprint.replace(/:/g, ''));
  });
});
