import { randomBytes } from 'node:crypto';
import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { RepositoryDoc } from '../../shared/inventory/schemas';
import { repositoryProblem } from '../../shared/inventory/repository-check';
import { contentBlobName } from '../../shared/storage/content-publish';
import { ContentStore } from '../../shared/storage/content-store';
import { ContentStores } from '../../shared/storage/content-stores';
import { readAll, sha } from '../support/bytes';
import { stackEnv, uniqueName } from '../support/env';

// A registered repository that is immutable must not stage uploads in itself: each staging blob would stay as long
// as the content it carried. It names a staging container of its own, in the same account.
describe('registered repositories: where large objects stage', () => {
  const service = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING'));
  const archive = service.getContainerClient(uniqueName('archive').toLowerCase());
  const staging = service.getContainerClient(uniqueName('archive-staging').toLowerCase());
  const repo = (extra: Partial<RepositoryDoc>): RepositoryDoc => ({
    id: 'archive',
    accountId: 'a1',
    type: 'repository',
    createdAt: new Date(0).toISOString(),
    name: 'archive',
    displayName: 'Archive',
    blobEndpoint: service.url,
    container: archive.containerName,
    ...extra,
  });
  beforeAll(async () => {
    await archive.create();
    await staging.create();
  });
  afterAll(async () => {
    await archive.deleteIfExists();
    await staging.deleteIfExists();
  });

  it("stages a large object in the repository's staging container and stores it under its hash in the repository", async () => {
    const stores = new ContentStores(service, new ContentStore(service.getContainerClient('content')), () =>
      Promise.resolve(repo({ stagingContainer: staging.containerName })),
    );
    const store = await stores.get('a1', 'archive');
    expect(store.container.containerName).toBe(archive.containerName);
    expect(store.staging.containerName).toBe(staging.containerName);
    const staged: string[] = [];
    const blockBlob = store.staging.getBlockBlobClient.bind(store.staging);
    jest.spyOn(store.staging, 'getBlockBlobClient').mockImplementation((name: string) => {
      staged.push(name);
      return blockBlob(name);
    });
    const bytes = randomBytes(5 * 1024 * 1024);
    const put = await store.put('t1', bytes);
    expect(staged).toHaveLength(1);
    expect(
      sha(
        await readAll((await archive.getBlobClient(contentBlobName('t1', put.sha256)).download()).readableStreamBody!),
      ),
    ).toBe(sha(bytes));
    const left: string[] = [];
    for await (const b of staging.listBlobsFlat()) left.push(b.name);
    expect(left).toEqual([]);
  });

  it('stages in the repository itself when it names no staging container', async () => {
    const stores = new ContentStores(service, new ContentStore(service.getContainerClient('content')), () =>
      Promise.resolve(repo({})),
    );
    expect((await stores.get('a1', 'archive')).staging.containerName).toBe(archive.containerName);
  });

  const fake = (name: string, props: object | Error): ContainerClient =>
    ({
      containerName: name,
      getProperties: () => (props instanceof Error ? Promise.reject(props) : Promise.resolve(props)),
    }) as unknown as ContainerClient;

  it('refuses an immutable repository without a staging container, and an immutable staging container', async () => {
    const worm = fake('worm', { isImmutableStorageWithVersioningEnabled: true });
    const policy = fake('policy', { hasImmutabilityPolicy: true });
    const plain = fake('plain', {});
    expect(await repositoryProblem(worm, undefined, 30)).toMatch(
      /^body\.stagingContainer: container 'worm' is immutable/,
    );
    expect(await repositoryProblem(policy, undefined, 30)).toMatch(/^body\.stagingContainer: .*'policy' is immutable/);
    expect(await repositoryProblem(worm, policy, 30)).toMatch(
      /^body\.stagingContainer: container 'policy' is immutable/,
    );
    expect(await repositoryProblem(worm, plain, 30)).toBeUndefined();
    expect(await repositoryProblem(worm, plain)).toMatch(/^body\.immutabilityDays: container 'worm' is immutable/);
    expect(await repositoryProblem(plain, undefined)).toBeUndefined();
  });

  it('names the field whose container does not exist', async () => {
    expect(await repositoryProblem(archive, service.getContainerClient('no-such-staging'))).toMatch(
      /^body\.stagingContainer: container 'no-such-staging' does not exist/,
    );
    expect(await repositoryProblem(service.getContainerClient('no-such-archive'), undefined)).toMatch(
      /^body\.container: container 'no-such-archive' does not exist/,
    );
  });
});
