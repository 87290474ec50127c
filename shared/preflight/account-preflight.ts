// The preflight of a registered account with the deployment's own settings and secret store: what the HTTP
// operation and the command line run, storing the report with the account so GET /accounts/{id} shows it.
import { z } from 'zod';
import type { Settings } from '../config/settings';
import { createAgent, httpsTransport, Transport } from '../graph/https-transport';
import type { GraphSession } from '../graph/graph-session';
import type { InventoryStore } from '../inventory/inventory-store';
import type { AccountDoc } from '../inventory/schemas';
import type { SecretSource } from '../secrets/secret-source';
import { runPreflight } from './preflight';
import type { PreflightReport } from './report';

export const preflightQuery = z.object({
  /** The certificate thumbprint the app registration shows (SHA-1 or SHA-256, colons allowed), to compare. */
  thumbprint: z
    .string()
    .regex(/^[0-9A-Fa-f: ]{40,95}$/, 'must be a SHA-1 or SHA-256 thumbprint in hexadecimal')
    .optional(),
});

let transport: { caFile: string | undefined; transport: Transport } | undefined;

/** One keep-alive agent for Entra ID, trusting the configured CA (the local emulator's) as Graph sessions do. */
function transportFor(settings: Settings): Transport {
  if (!transport || transport.caFile !== settings.M365V_GRAPH_CA_CERT_FILE)
    transport = {
      caFile: settings.M365V_GRAPH_CA_CERT_FILE,
      transport: httpsTransport(createAgent(settings.M365V_GRAPH_CA_CERT_FILE)),
    };
  return transport.transport;
}

export interface AccountPreflightDeps {
  settings: Settings;
  secrets: SecretSource;
  inventory: InventoryStore;
  /** The account's Graph client, as backups build it: reachability is sampled through it. */
  graph(account: AccountDoc): Promise<Pick<GraphSession, 'get'>>;
  now(): Date;
}

export async function preflightAccount(
  deps: AccountPreflightDeps,
  accountId: string,
  opts: { thumbprint?: string } = {},
): Promise<PreflightReport> {
  const account = await deps.inventory.getAccount(accountId);
  const jobs = await deps.inventory.listJobs(accountId);
  const report = await runPreflight({
    account,
    readSecret: (name) => deps.secrets.get(name),
    authorityHost: deps.settings.M365V_AUTHORITY_HOST,
    transport: transportFor(deps.settings),
    jobsSendReports: jobs.some((j) => j.options.reportRecipients.length > 0),
    now: () => deps.now(),
    graph: () => deps.graph(account),
    ...(opts.thumbprint ? { thumbprint: opts.thumbprint } : {}),
  });
  await deps.inventory.setAccountPreflight(accountId, report);
  return report;
}
