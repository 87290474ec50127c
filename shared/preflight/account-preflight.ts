// The preflight of a registered account with the deployment's own settings and secret store: what the HTTP
// operation and the command line run, storing the report with the account so GET /accounts/{id} shows it.
import { z } from 'zod';
import type { Settings } from '../config/settings';
import { createAgent, httpsTransport, Transport } from '../graph/https-transport';
import type { GraphSession } from '../graph/graph-session';
import type { InventoryStore } from '../inventory/inventory-store';
import { AccountDoc, DEFAULT_REPOSITORY, JobDoc } from '../inventory/schemas';
import type { ContentStores } from '../storage/content-stores';
import type { Database } from '@azure/cosmos';
import type { SecretSource } from '../secrets/secret-source';
import { runPreflight } from './preflight';
import { overallStatus, PreflightReport, PreflightStep, step } from './report';
import { catalogStep, repositoriesOf, repositoryStep } from './storage-steps';

/** Adding an account runs its preflight; `false` skips it (scripted onboarding of many accounts: run it later). */
export const accountCreateQuery = z.object({
  preflight: z.enum(['true', 'false']).default('true'),
});

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
  database: Pick<Database, 'read' | 'id'>;
  contentStores: Pick<ContentStores, 'get'>;
  secrets: SecretSource;
  inventory: InventoryStore;
  /** The account's Graph client, as backups build it: reachability is sampled through it. */
  graph(account: AccountDoc): Promise<Pick<GraphSession, 'get'>>;
  now(): Date;
}

/** Every repository the account's jobs write to, then the catalog. */
async function storageSteps(deps: AccountPreflightDeps, accountId: string, jobs: JobDoc[]): Promise<PreflightStep[]> {
  const steps: PreflightStep[] = [];
  for (const name of repositoriesOf(jobs)) {
    const writers = jobs.filter((j) => repositoriesOf([j]).includes(name));
    try {
      const repo = name === DEFAULT_REPOSITORY ? undefined : await deps.inventory.getRepository(accountId, name);
      steps.push(
        await repositoryStep({
          name,
          store: await deps.contentStores.get(accountId, name),
          immutabilityDays: repo ? (repo.immutabilityDays ?? 0) : deps.settings.M365V_CONTENT_IMMUTABILITY_DAYS,
          jobs: writers,
        }),
      );
    } catch (e) {
      steps.push(
        step(`storage.${name}`, `Backup repository '${name}'`, 'failed', {
          code: 'repository.unknown',
          cause: `Job ${writers.map((j) => `'${j.name}'`).join(', ')} names repository '${name}', which this account does not have (${(e as Error).message.split('\n')[0]}).`,
          fix: 'Register the repository (POST /api/accounts/{id}/repositories) or change the job to one that exists.',
        }),
      );
    }
  }
  steps.push(await catalogStep(deps.database));
  return steps;
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
  report.steps.push(...(await storageSteps(deps, accountId, jobs)));
  report.status = overallStatus(report.steps);
  await deps.inventory.setAccountPreflight(accountId, report);
  return report;
}
