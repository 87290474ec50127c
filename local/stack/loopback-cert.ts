import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/**
 * A self-signed TLS certificate for 127.0.0.1/localhost, made once per data folder. Clients trust exactly this
 * certificate (passed as their CA), so nothing anywhere has to turn TLS verification off.
 */
export async function ensureLoopbackCert(dir: string): Promise<CertFiles> {
  const certFile = path.join(dir, 'loopback-cert.pem');
  const keyFile = path.join(dir, 'loopback-key.pem');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) return { certFile, keyFile };
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(keyFile, pems.private, { mode: 0o600 });
  fs.writeFileSync(certFile, pems.cert);
  return { certFile, keyFile };
}
