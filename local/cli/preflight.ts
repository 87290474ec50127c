// `node dist/local/cli/preflight.js --account <id> [--thumbprint <hex>] [--json]`: runs the preflight of a registered
// account with the settings in the environment (the local stack, or Azure with the signed-in identity), stores the
// report with the account as the HTTP operation does, and prints it (text, or the JSON document). Exits 1 when a
// step failed.
import { preflightAccount } from '../../shared/preflight/account-preflight';
import { reportText } from '../../shared/preflight/report';
import { services } from '../../shared/runtime/services';

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const accountId = option(args, '--account');
  if (!accountId) throw new Error('usage: preflight --account <accountId> [--thumbprint <hex>] [--json]');
  const thumbprint = option(args, '--thumbprint');
  const report = await preflightAccount(services(), accountId, thumbprint ? { thumbprint } : {});
  process.stdout.write(`${args.includes('--json') ? JSON.stringify(report, null, 2) : reportText(report)}\n`);
  process.exitCode = report.status === 'failed' ? 1 : 0;
}

main().catch((e: Error) => {
  console.error(`[preflight] ${e.message}`);
  process.exit(2);
});
