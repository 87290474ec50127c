// Storage and catalog: each repository the account's jobs write to is reachable, writable (a probe blob written
// and deleted in the container uploads stage in, never in an immutable one, where it would stay locked), set up as
// its immutability needs, and compatible with the jobs' retention; the catalog answers with the role it needs.
import { randomUUID } from 'node:crypto';
import type { Database } from '@azure/cosmos';
import { RestError } from '@azure/storage-blob';
import { repositoryRefs } from '../backup/discovery';
import { classifyStorageFailure } from '../domain/alarms';
import { repositoryProblem } from '../inventory/repository-check';
import type { JobDoc } from '../inventory/schemas';
import type { ContentStore } from '../storage/content-store';
import { PreflightStep, step } from './report';

export interface RepositoryUse {
  name: string;
  store: Pick<ContentStore, 'container' | 'staging'>;
  /** The repository's WORM period in days; 0: none. */
  immutabilityDays: number;
  /** The jobs writing to it. */
  jobs: Array<Pick<JobDoc, 'name' | 'retention'>>;
}

/** The repositories a set of jobs write to: each job's own and its per-item overrides', each once. */
export function repositoriesOf(jobs: ReadonlyArray<Pick<JobDoc, 'destination'>>): string[] {
  return [...new Set(jobs.flatMap((j) => repositoryRefs(j.destination).map((r) => r.name)))];
}

const problemOf = (e: unknown, name: string): { code: string; cause: string; fix: string } => {
  if (e instanceof RestError && e.statusCode !== undefined) {
    const alarm = classifyStorageFailure(e.statusCode, e.code, { kind: 'repository', name });
    return { code: alarm.code, cause: alarm.message, fix: alarm.fix };
  }
  return {
    code: 'storage.unreachable',
    // The error code only: a network error's message names the addresses it tried.
    cause: `The Blob endpoint of repository '${name}' could not be reached (${(e as NodeJS.ErrnoException).code ?? (e as Error).name}).`,
    fix: "Check the storage account's network rules (firewall, private endpoint) let the Function App in.",
  };
};

export async function repositoryStep(use: RepositoryUse): Promise<PreflightStep> {
  const { name, store, immutabilityDays } = use;
  const id = `storage.${name}`;
  const title = `Backup repository '${name}' (container ${store.container.containerName})`;
  const staging = store.staging.containerName === store.container.containerName ? undefined : store.staging;
  const problem = await repositoryProblem(store.container, staging, immutabilityDays);
  if (problem)
    return step(id, title, 'failed', {
      code: 'repository.unusable',
      cause: problem.replace(/^body\.\w+: /, ''),
      fix: 'Correct the repository as the cause says (or register it again), then run the preflight again.',
    });
  const probe = store.staging.getBlockBlobClient(`_preflight/${randomUUID()}`);
  try {
    await probe.upload('preflight', 9);
    await probe.delete();
  } catch (e) {
    return step(id, title, 'failed', { detail: 'The probe blob could not be written.', ...problemOf(e, name) });
  }
  // Pruning cannot delete content before its lock lapses: points retention drops go on being billed until then.
  const shortest = Math.min(...use.jobs.map((j) => Math.max(j.retention.keepDaily, 1)));
  if (immutabilityDays > 0 && use.jobs.length && immutabilityDays > shortest)
    return step(id, title, 'warning', {
      code: 'repository.lockOutlivesRetention',
      detail: `Immutable for ${immutabilityDays} days; the shortest daily retention of its jobs is ${shortest} days.`,
      cause: `Content in repository '${name}' stays locked ${immutabilityDays} days, longer than retention keeps daily points (${use.jobs.map((j) => `${j.name}: ${j.retention.keepDaily}`).join(', ')}): what pruning drops is deleted, and billed, only when its lock lapses.`,
      fix: "Expected with WORM storage. To pay for less, shorten the container's immutability period (new blobs only), or keep daily points as long as the lock lasts.",
    });
  return step(id, title, 'passed', {
    detail: `Reachable and writable${immutabilityDays ? `; immutable for ${immutabilityDays} days` : ''}.`,
  });
}

export async function catalogStep(database: Pick<Database, 'read' | 'id'>): Promise<PreflightStep> {
  const title = `Catalog (Cosmos DB database '${database.id}')`;
  try {
    await database.read();
    return step('catalog', title, 'passed');
  } catch (e) {
    const status = (e as { code?: number }).code;
    return step('catalog', title, 'failed', {
      code: status === 403 || status === 401 ? 'catalog.forbidden' : 'catalog.unreachable',
      cause:
        status === 403 || status === 401
          ? "Cosmos DB refused the Function App's identity."
          : `Cosmos DB did not answer (${status ?? (e as NodeJS.ErrnoException).code ?? (e as Error).name}).`,
      fix:
        status === 403 || status === 401
          ? "Assign the Function App's managed identity the Cosmos DB Built-in Data Contributor role (00000000-0000-0000-0000-000000000002) on the account: az cosmosdb sql role assignment create."
          : "Check the Cosmos DB account's network rules and that M365V_COSMOS_ENDPOINT names it.",
    });
  }
}
