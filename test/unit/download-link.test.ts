import { BlobServiceClient, StorageSharedKeyCredential, UserDelegationKey } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/core-auth';
import { LINK_TTL_MS, readLink } from '../../shared/export/download-link';

const now = new Date('2026-11-23T10:00:00Z');
const blobName = 'exports/operations/acc/op/export.zip';

describe('read links to an export', () => {
  it('in Azure: a user delegation SAS for one blob, read-only, HTTPS only, valid one hour, signed with a key issued to the managed identity', async () => {
    const identity: TokenCredential = {
      getToken: async () => ({ token: 'unused', expiresOnTimestamp: now.getTime() + 3_600_000 }),
    };
    const container = new BlobServiceClient('https://backupacct.blob.core.windows.net', identity).getContainerClient(
      'exports',
    );
    const asked: Array<[Date, Date]> = [];
    const service = {
      accountName: 'backupacct',
      getUserDelegationKey: async (startsOn: Date, expiresOn: Date) => {
        asked.push([startsOn, expiresOn]);
        return {
          signedObjectId: 'oid-of-identity',
          signedTenantId: 'tid',
          signedStartsOn: startsOn,
          signedExpiresOn: expiresOn,
          signedService: 'b',
          signedVersion: '2025-11-05',
          value: Buffer.alloc(32, 7).toString('base64'),
        } as UserDelegationKey;
      },
    } as unknown as BlobServiceClient;
    const link = await readLink(container, blobName, now, service);
    expect(link.signedWith).toBe('userDelegationKey');
    expect(asked).toHaveLength(1);
    expect(asked[0][1].getTime() - now.getTime()).toBe(LINK_TTL_MS);
    const url = new URL(link.url);
    expect(`${url.origin}${url.pathname}`).toBe(`https://backupacct.blob.core.windows.net/exports/${blobName}`);
    const q = url.searchParams;
    expect({
      sp: q.get('sp'),
      sr: q.get('sr'),
      spr: q.get('spr'),
      skoid: q.get('skoid'),
      sktid: q.get('sktid'),
    }).toEqual({ sp: 'r', sr: 'b', spr: 'https', skoid: 'oid-of-identity', sktid: 'tid' });
    expect(new Date(q.get('se')!).getTime()).toBe(now.getTime() + LINK_TTL_MS);
    expect(link.expiresAt).toBe(new Date(now.getTime() + LINK_TTL_MS).toISOString());
    expect(q.get('sig')).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
  });

  it('against Azurite (account key over HTTP): a service SAS with the same scope and lifetime', async () => {
    // A key made up for the test: signing needs one, nothing is sent.
    const key = Buffer.alloc(64, 1).toString('base64');
    const container = new BlobServiceClient(
      'http://127.0.0.1:10000/devstoreaccount1',
      new StorageSharedKeyCredential('devstoreaccount1', key),
    ).getContainerClient('exports');
    const link = await readLink(container, blobName, now);
    expect(link.signedWith).toBe('accountKey');
    const q = new URL(link.url).searchParams;
    expect({ sp: q.get('sp'), sr: q.get('sr'), spr: q.get('spr'), skoid: q.get('skoid') }).toEqual({
      sp: 'r',
      sr: 'b',
      spr: 'https,http',
      skoid: null,
    });
    expect(new Date(q.get('se')!).getTime() - now.getTime()).toBe(LINK_TTL_MS);
  });
});
