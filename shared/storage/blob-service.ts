import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import type { Settings } from '../config/settings';

/** The Function App's managed identity (user-assigned when AZURE_CLIENT_ID names it). */
export const azureCredential = (settings: Settings): DefaultAzureCredential =>
  new DefaultAzureCredential(settings.AZURE_CLIENT_ID ? { managedIdentityClientId: settings.AZURE_CLIENT_ID } : {});

/** Managed identity in Azure; the Azurite connection string only when one is configured (local stack). */
export function createBlobService(settings: Settings): BlobServiceClient {
  if (settings.M365V_STORAGE_CONNECTION_STRING)
    return BlobServiceClient.fromConnectionString(settings.M365V_STORAGE_CONNECTION_STRING);
  return new BlobServiceClient(settings.M365V_STORAGE_ACCOUNT_URL!, azureCredential(settings));
}
