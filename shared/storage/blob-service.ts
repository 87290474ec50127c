import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import type { Settings } from '../config/settings';

/** Managed identity in Azure; the Azurite connection string only when one is configured (local stack). */
export function createBlobService(settings: Settings): BlobServiceClient {
  if (settings.M365V_STORAGE_CONNECTION_STRING) return BlobServiceClient.fromConnectionString(settings.M365V_STORAGE_CONNECTION_STRING);
  const credential = new DefaultAzureCredential(settings.AZURE_CLIENT_ID ? { managedIdentityClientId: settings.AZURE_CLIENT_ID } : {});
  return new BlobServiceClient(settings.M365V_STORAGE_ACCOUNT_URL!, credential);
}
