import fs from 'node:fs';
import https from 'node:https';
import { CosmosClient, Database } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import type { Settings } from '../config/settings';

/**
 * One client per process. Managed identity in Azure (the account has local auth disabled); a key and a pinned CA
 * certificate only for the local Cosmos stand-in.
 */
export function createCatalogDatabase(settings: Settings): { client: CosmosClient; database: Database } {
  const agent = settings.M365V_COSMOS_CA_CERT_FILE
    ? new https.Agent({ ca: fs.readFileSync(settings.M365V_COSMOS_CA_CERT_FILE), keepAlive: true })
    : undefined;
  const client = new CosmosClient({
    endpoint: settings.M365V_COSMOS_ENDPOINT,
    ...(settings.M365V_COSMOS_KEY
      ? { key: settings.M365V_COSMOS_KEY }
      : {
          aadCredentials: new DefaultAzureCredential(
            settings.AZURE_CLIENT_ID ? { managedIdentityClientId: settings.AZURE_CLIENT_ID } : {},
          ),
        }),
    ...(agent ? { agent, connectionPolicy: { enableEndpointDiscovery: false } } : {}),
  });
  return { client, database: client.database(settings.M365V_COSMOS_DATABASE) };
}
