import { BlobServiceClient } from '@azure/storage-blob';
import { CosmosClient, PartitionKeyDefinition, PartitionKeyDefinitionVersion, PartitionKeyKind } from '@azure/cosmos';
import layout from '../../shared/catalog/containers.json';

/** Blob containers the product writes to; in Azure, infra/ creates them. */
export const BLOB_CONTAINERS = ['content', 'staging', 'changelog', 'exports'] as const;

export function partitionKeyOf(paths: string[]): PartitionKeyDefinition {
  return paths.length > 1
    ? { paths, kind: PartitionKeyKind.MultiHash, version: PartitionKeyDefinitionVersion.V2 }
    : { paths, kind: PartitionKeyKind.Hash };
}

/**
 * Creates the database, containers and blob containers the app needs, as infra/ does in Azure (the app's managed
 * identity has data-plane rights only, so the product itself never creates them). Idempotent.
 */
export async function provisionStores(
  cosmos: CosmosClient,
  blobs: BlobServiceClient,
  databaseId = layout.database,
): Promise<void> {
  const { database } = await cosmos.databases.createIfNotExists({ id: databaseId });
  for (const c of layout.containers) {
    await database.containers.createIfNotExists({
      id: c.name,
      partitionKey: partitionKeyOf(c.partitionKeyPaths),
      ...(c.defaultTtl === null ? {} : { defaultTtl: c.defaultTtl }),
    });
  }
  for (const name of BLOB_CONTAINERS) await blobs.getContainerClient(name).createIfNotExists();
}
