// The content stores of every repository an account uses: the deployment's own ('default') and the ones an
// administrator registered. A version's pointer names its repository, so a restore reads from where the bytes went
// even after a job's destination changed.
import { DefaultAzureCredential, TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import type { ContentPointer } from '../catalog/version-doc';
import { DEFAULT_REPOSITORY, RepositoryDoc } from '../inventory/schemas';
import { ContentStore } from './content-store';

export class ContentStores {
  private readonly stores = new Map<string, ContentStore>();

  constructor(
    private readonly defaultService: BlobServiceClient,
    readonly defaultStore: ContentStore,
    private readonly repository: (accountId: string, name: string) => Promise<RepositoryDoc>,
    private readonly credential: () => TokenCredential = () => new DefaultAzureCredential(),
  ) {}

  /** The Blob container of a registered repository: through the default account's client when it is the same account. */
  containerOf(repo: Pick<RepositoryDoc, 'blobEndpoint' | 'container'>) {
    const sameAccount =
      new URL(repo.blobEndpoint).href.replace(/\/$/, '') === new URL(this.defaultService.url).href.replace(/\/$/, '');
    const service = sameAccount ? this.defaultService : new BlobServiceClient(repo.blobEndpoint, this.credential());
    return service.getContainerClient(repo.container);
  }

  async get(accountId: string, name: string | undefined): Promise<ContentStore> {
    if (!name || name === DEFAULT_REPOSITORY) return this.defaultStore;
    const key = `${accountId}/${name}`;
    const cached = this.stores.get(key);
    if (cached) return cached;
    const repo = await this.repository(accountId, name);
    const container = this.containerOf(repo);
    const store = new ContentStore(
      container,
      repo.stagingContainer ? this.containerOf({ ...repo, container: repo.stagingContainer }) : container,
    );
    this.stores.set(key, store);
    return store;
  }

  /** The store holding a version's content. */
  forPointer(accountId: string, pointer: ContentPointer): Promise<ContentStore> {
    return this.get(accountId, pointer.repository);
  }
}
