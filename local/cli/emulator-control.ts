import fs from 'node:fs';
import https from 'node:https';
import type { M365Emulator } from '../m365/server';

/** Calls the emulator's control API (HTTPS on the stack's loopback certificate). */
export function control<T = unknown>(
  emulator: M365Emulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T; raw: Buffer }> {
  const ca = fs.readFileSync(emulator.caCertFile);
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      `${emulator.url}/_emulator/${path}`,
      {
        method,
        ca,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          let parsed: unknown;
          try {
            parsed = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T, raw });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
