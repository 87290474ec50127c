import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from './azurite';
import { startCosmos } from './cosmos';
import { provisionStores } from './provision';

export interface StackOptions {
  /** Folder for Azurite data and the loopback certificate; a fresh temp folder, removed on stop, when omitted. */
  dataDir?: string;
  /** Fixed ports; 0 or omitted means free ports. */
  ports?: { blob?: number; queue?: number; table?: number; cosmos?: number };
  /** Cosmos database to create (tests use one per run); defaults to containers.json's database. */
  cosmosDatabase?: string;
}

export interface Stack {
  dataDir: string;
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  storageConnectionString: string;
  cosmosEndpoint: string;
  cosmosKey: string;
  cosmosCaCertFile: string;
  cosmosDatabase: string;
  /** App settings that point the product and the local Functions host at this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts Azurite and the Cosmos DB stand-in on loopback, waits until both answer, and provisions the stores. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-stack-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const [azurite, cosmos] = await Promise.all([
    startAzurite({
      dataDir: path.join(dataDir, 'azurite'),
      blobPort: opts.ports?.blob,
      queuePort: opts.ports?.queue,
      tablePort: opts.ports?.table,
    }),
    startCosmos({ dataDir, port: opts.ports?.cosmos }),
  ]);
  const stop = async (): Promise<void> => {
    await Promise.all([azurite.stop(), cosmos.stop()]);
    // A folder the stack made for itself is scratch space; a configured one is the user's data and stays.
    if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const cosmosDatabase = opts.cosmosDatabase ?? 'm365vault';
    const agent = new https.Agent({ ca: fs.readFileSync(cosmos.caCertFile), keepAlive: true });
    const client = new CosmosClient({
      endpoint: cosmos.endpoint,
      key: cosmos.key,
      agent,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    await provisionStores(client, BlobServiceClient.fromConnectionString(azurite.connectionString), cosmosDatabase);
    client.dispose();
    agent.destroy();
    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      M365V_STORAGE_CONNECTION_STRING: azurite.connectionString,
      M365V_COSMOS_ENDPOINT: cosmos.endpoint,
      M365V_COSMOS_KEY: cosmos.key,
      M365V_COSMOS_CA_CERT_FILE: cosmos.caCertFile,
      M365V_COSMOS_DATABASE: cosmosDatabase,
    };
    return {
      dataDir,
      blobUrl: azurite.blobUrl,
      queueUrl: azurite.queueUrl,
      tableUrl: azurite.tableUrl,
      storageConnectionString: azurite.connectionString,
      cosmosEndpoint: cosmos.endpoint,
      cosmosKey: cosmos.key,
      cosmosCaCertFile: cosmos.caCertFile,
      cosmosDatabase,
      env,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Stops the stack on SIGINT/SIGTERM before the process exits (children are killed on any exit regardless). */
export function stopOnSignals(stack: Pick<Stack, 'stop'>): void {
  const handler = (signal: NodeJS.Signals): void => {
    void stack.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}
