// `npm run emulator`: a seeded demo tenant on HTTPS, with its endpoints and demo credentials printed.
import os from 'node:os';
import path from 'node:path';
import { startM365Emulator } from './server';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const emulator = await startM365Emulator({
    port: Number(value('--port') ?? 0), seed: value('--seed') ?? 'contoso', profile: (value('--profile') as 'demo' | 'bench' | undefined) ?? 'demo',
    certDir: value('--cert-dir') ?? path.join(os.tmpdir(), 'm365v-emulator'),
  });
  const apps = emulator.state.apps;
  console.log(`[m365] listening on ${emulator.url}`);
  console.log(`  tenant        ${emulator.tenantId} (${emulator.state.tenant.domain})`);
  console.log(`  graph         ${emulator.graphBaseUrl}`);
  console.log(`  token         ${emulator.authorityHost}/${emulator.tenantId}/oauth2/v2.0/token`);
  console.log(`  trust (CA)    ${emulator.caCertFile}`);
  console.log(`  control API   ${emulator.url}/_emulator/tenant`);
  for (const a of apps) console.log(`  app           ${a.displayName}: client id ${a.clientId}, secret ${a.secrets[0]?.value}`);
  console.log(`  users         ${emulator.state.tenant.users.all().map((u) => u.userPrincipalName).join(', ')}`);
  const stop = (): void => void emulator.stop().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: Error) => {
  console.error(`[m365] failed: ${e.stack ?? e.message}`);
  process.exit(1);
});
