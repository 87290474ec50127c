import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileSecrets, SecretUnavailable } from '../../shared/secrets/secret-source';

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
