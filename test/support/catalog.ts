import fs from 'node:fs';
import https from 'node:https';
import { CosmosClient, Database } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { provisionStores } from '../../local/stack/provision';
import { ChangeLog } from '../../shared/catalog/change-log';
import { stackEnv, uniqueName } from './env';

/** A freshly provisioned catalog database of its own, so test files never see each other's documents. */
export async function freshCatalog(
  prefix = 'cat',
): Promise<{ client: CosmosClient; database: Database; name: string }> {
  const client = new CosmosClient({
    endpoint: stackEnv('M365V_COSMOS_ENDPOINT'),
    key: stackEnv('M365V_COSMOS_KEY'),
    agent: new https.Agent({ ca: fs.readFileSync(stackEnv('M365V_COSMOS_CA_CERT_FILE')), keepAlive: true }),
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  const name = uniqueName(prefix);
  await provisionStores(
    client,
    BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')),
    name,
  );
  return { client, database: client.database(name), name };
}

/** A change log in a blob container of its own; `remove` deletes the container. */
export async function freshChangeLog(prefix = 'log'): Promise<{ log: ChangeLog; remove: () => Promise<void> }> {
  const container = BlobServiceClient.fromConnectionString(
    stackEnv('M365V_STORAGE_CONNECTION_STRING'),
  ).getContainerClient(uniqueName(prefix));
  await container.create();
  return { log: new ChangeLog(container), remove: async () => void (await container.delete()) };
}
