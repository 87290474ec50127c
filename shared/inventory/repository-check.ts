// Checks a repository before jobs may use it: the container must exist and the Function App must be able to write
// to it. Said at registration, not at 3 a.m. in the first backup that goes there.
import { ContainerClient, RestError } from '@azure/storage-blob';

/** Undefined when usable; else the field at fault and what is wrong and how to fix it. */
export async function repositoryProblem(
  container: ContainerClient,
  staging: ContainerClient | undefined,
  immutabilityDays = 0,
): Promise<string | undefined> {
  const immutable = await containerProblem(container);
  if (typeof immutable === 'string') return `body.container: ${immutable}`;
  // Retention keeps content in use locked for the policy's period; it must know the period to do so.
  if (immutable && immutabilityDays === 0)
    return `body.immutabilityDays: container '${container.containerName}' is immutable; give its policy's period in days, so retention keeps content still in use locked that long`;
  if (!staging)
    return immutable
      ? `body.stagingContainer: container '${container.containerName}' is immutable, so large objects cannot upload in it (each staging blob would be kept as long as the content); name a container in the same storage account without an immutability policy`
      : undefined;
  const stagingImmutable = await containerProblem(staging);
  if (typeof stagingImmutable === 'string') return `body.stagingContainer: ${stagingImmutable}`;
  return stagingImmutable
    ? `body.stagingContainer: container '${staging.containerName}' is immutable; staging needs one whose blobs can be deleted`
    : undefined;
}

/** What is wrong with a container, else whether it is under immutability (a policy or version-level WORM). */
async function containerProblem(container: ContainerClient): Promise<string | boolean> {
  try {
    const p = await container.getProperties();
    return Boolean(p.isImmutableStorageWithVersioningEnabled || p.hasImmutabilityPolicy);
  } catch (e) {
    // The error code only: a network error's message names the addresses it tried, which the caller must not learn.
    if (!(e instanceof RestError))
      return `the Blob endpoint could not be reached (${(e as NodeJS.ErrnoException).code ?? (e as Error).name})`;
    if (e.statusCode === 404)
      return `container '${container.containerName}' does not exist in that storage account; create it first`;
    if (e.statusCode === 403 || e.statusCode === 401)
      return "the storage account refused access: grant the Function App's managed identity the Storage Blob Data Contributor role on it";
    return `the storage account answered ${e.statusCode ?? 'an error'}${e.code ? ` (${e.code})` : ''}`;
  }
}
