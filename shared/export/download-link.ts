// A short-lived read link to one blob. In Azure the app has no account key (shared-key access is off): the link is a
// user delegation SAS, signed with a key the Blob service issues to the app's managed identity (Get User Delegation
// Key needs Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action, which Storage Blob Data
// Contributor grants at the account). Locally the stack reaches Azurite with its well-known account key over HTTP;
// Azurite issues user delegation keys only to OAuth requests over HTTPS, so there the same link (same blob, same
// read-only permission, same lifetime) is a service SAS signed with the account key.
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';

export const LINK_TTL_MS = 60 * 60_000;
/** Valid from a little before now, so a client whose clock runs behind the service's can use it at once. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface ReadLink {
  url: string;
  expiresAt: string;
  signedWith: 'userDelegationKey' | 'accountKey';
}

/** The service the container lives in, reached with the container's own credential. */
const serviceOf = (container: ContainerClient): BlobServiceClient =>
  new BlobServiceClient(container.url.slice(0, container.url.lastIndexOf('/')), container.credential);

export async function readLink(
  container: ContainerClient,
  blobName: string,
  now: Date,
  service: BlobServiceClient = serviceOf(container),
): Promise<ReadLink> {
  const startsOn = new Date(now.getTime() - CLOCK_SKEW_MS);
  const expiresOn = new Date(now.getTime() + LINK_TTL_MS);
  const blob = container.getBlobClient(blobName);
  const values = {
    containerName: container.containerName,
    blobName,
    permissions: BlobSASPermissions.parse('r'),
    startsOn,
    expiresOn,
    protocol: blob.url.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
  };
  const credential = container.credential;
  const signed =
    credential instanceof StorageSharedKeyCredential
      ? { query: generateBlobSASQueryParameters(values, credential), signedWith: 'accountKey' as const }
      : {
          query: generateBlobSASQueryParameters(
            values,
            await service.getUserDelegationKey(startsOn, expiresOn),
            service.accountName,
          ),
          signedWith: 'userDelegationKey' as const,
        };
  return {
    url: `${blob.url}?${signed.query.toString()}`,
    expiresAt: expiresOn.toISOString(),
    signedWith: signed.signedWith,
  };
}
