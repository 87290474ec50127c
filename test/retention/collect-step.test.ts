import { randomBytes } from 'node:crypto';
import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { MarkSet, SlicedMarkSet } from '../../shared/retention/mark-set';
import { retentionCollect } from '../../shared/retention/retention-steps';
import type { Ports } from '../../shared/runtime/services';
import { CONDEMNED, contentBlobName } from '../../shared/storage/content-publish';
import { ContentStore } from '../../shared/storage/content-store';
import { stackEnv, uniqueName } from '../support/env';

const tenantId = 'tenant-step';
const HOUR = 3_600_000;

// The collection step against a marking filed beside the run: a sliced one (each slice's filter read alone) and one
// begun before filters were sliced (a run in flight across an update), which must be read whole.
describe('retentionCollect (Azurite)', () => {
  let blobs: BlobServiceClient;
  let content: ContainerClient;
  let artifacts: ContainerClient;
  let store: ContentStore;

  beforeEach(async () => {
    blobs = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING'));
    content = blobs.getContainerClient(uniqueName('step-content'));
    artifacts = blobs.getContainerClient(uniqueName('step-artifacts'));
    await Promise.all([content.create(), artifacts.create()]);
    store = new ContentStore(content);
  });
  afterEach(async () => {
    await Promise.all([content.delete(), artifacts.delete()]);
  });

  /** Files a marking of `referenced` for run `r1`, as retentionMark leaves it; runs the step for every slice given. */
  const collectAgainst = async (
    marking: { bits: Buffer; sliceBytes?: number },
    slices: string[],
  ): Promise<Array<{ scanned: number; condemned: number }>> => {
    const startedAt = new Date(Date.now() + 2 * HOUR);
    const state = JSON.stringify({
      startedAt: startedAt.toISOString(),
      done: 1,
      ...(marking.sliceBytes === undefined ? {} : { sliceBytes: marking.sliceBytes }),
    });
    await artifacts.getBlockBlobClient('retention/a1/r1/marks.bin').uploadData(marking.bits);
    await artifacts.getBlockBlobClient('retention/a1/r1/marks.json').upload(state, state.length);
    const ports = {
      inventory: {
        getAccount: () => Promise.resolve({ id: 'a1', tenantId }),
        listRepositories: () => Promise.resolve([]),
      },
      contentStores: { get: () => Promise.resolve({ container: content }) },
      artifacts,
      settings: { M365V_RETENTION_GRACE_SECONDS: 3600, M365V_CONTENT_IMMUTABILITY_DAYS: 0 },
      now: () => startedAt,
    } as unknown as Ports<'inventory' | 'contentStores' | 'artifacts' | 'settings' | 'now'>;
    const out = [];
    for (const slice of slices) out.push(await retentionCollect(ports, { accountId: 'a1', runId: 'r1', slice }));
    return out;
  };

  /** Blobs in two different slices: one each referenced, one each not. */
  const stored = async (): Promise<{ kept: string[]; unreferenced: string[]; slices: string[] }> => {
    const bySlice = new Map<string, string[]>();
    while ([...bySlice.values()].filter((v) => v.length >= 2).length < 2) {
      const { sha256 } = await store.put(tenantId, randomBytes(100));
      bySlice.set(sha256[0], [...(bySlice.get(sha256[0]) ?? []), sha256]);
    }
    const two = [...bySlice.entries()].filter(([, v]) => v.length >= 2).slice(0, 2);
    return {
      kept: two.map(([, v]) => v[0]),
      unreferenced: two.map(([, v]) => v[1]),
      slices: two.map(([slice]) => slice),
    };
  };
  const isCondemned = async (sha: string): Promise<boolean> =>
    CONDEMNED in ((await content.getBlobClient(contentBlobName(tenantId, sha)).getProperties()).metadata ?? {});

  it('reads each slice its own filter of a sliced marking', async () => {
    const { kept, unreferenced, slices } = await stored();
    const marks = SlicedMarkSet.empty(1 << 20);
    for (const sha of kept) marks.add(sha);
    await collectAgainst({ bits: marks.bits, sliceBytes: marks.sliceBytes }, slices);
    for (const sha of kept) expect(await isCondemned(sha)).toBe(false);
    for (const sha of unreferenced) expect(await isCondemned(sha)).toBe(true);
  });

  it('reads a marking begun before filters were sliced whole', async () => {
    const { kept, unreferenced, slices } = await stored();
    const marks = MarkSet.empty(1 << 20);
    for (const sha of kept) marks.add(sha);
    await collectAgainst({ bits: marks.bits }, slices);
    for (const sha of kept) expect(await isCondemned(sha)).toBe(false);
    for (const sha of unreferenced) expect(await isCondemned(sha)).toBe(true);
  });
});
