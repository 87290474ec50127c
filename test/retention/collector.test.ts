import { createHash, randomBytes } from 'node:crypto';
import { BlobServiceClient, ContainerClient, RestError } from '@azure/storage-blob';
import { ContentStore } from '../../shared/storage/content-store';
import { CONDEMNED, contentBlobName } from '../../shared/storage/content-publish';
import { collect, CollectOptions, CollectReport, LIST_PAGE, LOCK_STEP_DAYS } from '../../shared/retention/collector';
import { MarkSet } from '../../shared/retention/mark-set';
import { stackEnv, uniqueName } from '../support/env';
import { readAll } from '../support/bytes';

const GRACE = 3_600_000;
const tenantId = 'tenant-gc';

describe('content collection (Azurite)', () => {
  let container: ContainerClient;
  let store: ContentStore;

  beforeEach(async () => {
    container = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')).getContainerClient(
      uniqueName('gc'),
    );
    await container.create();
    store = new ContentStore(container);
  });
  afterEach(async () => {
    await container.delete();
  });

  /** A pass whose marking began `hoursLater` hours from now (blobs written now are old enough once it is ≥ 1). */
  const pass = (marks: MarkSet, hoursLater: number, c: ContainerClient = container): Promise<CollectReport> => {
    const at = new Date(Date.now() + hoursLater * 3_600_000);
    const opts: CollectOptions = { tenantId, prefix: '', markStartedAt: at, graceMs: GRACE, now: at };
    return collect(c, marks, opts);
  };
  const marksOf = (...shas: string[]): MarkSet => {
    const m = MarkSet.empty(1 << 20);
    for (const s of shas) m.add(s);
    return m;
  };
  const exists = (sha: string): Promise<boolean> => container.getBlobClient(contentBlobName(tenantId, sha)).exists();
  const condemned = async (sha: string): Promise<boolean> =>
    CONDEMNED in ((await container.getBlobClient(contentBlobName(tenantId, sha)).getProperties()).metadata ?? {});

  it('condemns an unreferenced blob, deletes it only a grace period after, and never touches a referenced one', async () => {
    const kept = await store.put(tenantId, randomBytes(5000));
    const gone = await store.put(tenantId, randomBytes(7000));
    const marks = marksOf(kept.sha256);
    expect(await pass(marks, 0)).toMatchObject({ scanned: 2, condemned: 0, deleted: 0 }); // too young to condemn
    expect(await pass(marks, 1.5)).toMatchObject({ condemned: 1, deleted: 0 });
    expect(await condemned(gone.sha256)).toBe(true);
    // Marking that began less than the grace after the condemnation may not delete (the pass at +1.5 h condemned it "now").
    expect(await pass(marks, 0.5)).toMatchObject({ deleted: 0 });
    const r = await pass(marks, 3);
    expect(r).toMatchObject({ deleted: 1, condemned: 0, locked: { count: 0, sample: [] } });
    expect(r.deletedBytes).toBeGreaterThan(0);
    expect(await exists(gone.sha256)).toBe(false);
    expect(await exists(kept.sha256)).toBe(true);
    expect(await condemned(kept.sha256)).toBe(false);
  });

  it('a backup storing the same content claims a condemned blob, so collection keeps it', async () => {
    const bytes = randomBytes(6000);
    const first = await store.put(tenantId, bytes);
    await pass(marksOf(), 1.5);
    expect(await condemned(first.sha256)).toBe(true);
    // A running backup finds the content stored (deduplicates) and will reference it from a version.
    expect(await store.put(tenantId, bytes)).toMatchObject({ sha256: first.sha256, deduplicated: true });
    expect(await condemned(first.sha256)).toBe(false);
    // The marking of the next pass began before that version was written: the blob is only condemned again.
    expect(await pass(marksOf(), 3)).toMatchObject({ deleted: 0, condemned: 1 });
    expect(await exists(first.sha256)).toBe(true);
    // Large content deduplicates through the same claim.
    const large = randomBytes(5 * 1024 * 1024);
    const l1 = await store.put(tenantId, large);
    await pass(marksOf(first.sha256), 1.5);
    expect(await condemned(l1.sha256)).toBe(true);
    expect(await store.put(tenantId, large)).toMatchObject({ deduplicated: true });
    expect(await condemned(l1.sha256)).toBe(false);
  });

  it('loses to a writer that claims the blob between the listing and the delete', async () => {
    const bytes = randomBytes(4000);
    const { sha256 } = await store.put(tenantId, bytes);
    await pass(marksOf(), 1.5);
    // The collector lists the condemned blob, then a backup claims it, then the collector deletes (If-Match fails).
    const racing = new Proxy(container, {
      get(target, prop, receiver) {
        if (prop !== 'getBlobClient') return Reflect.get(target, prop, receiver) as unknown;
        return (name: string) => {
          const blob = target.getBlobClient(name);
          return new Proxy(blob, {
            get(b, p, r) {
              if (p !== 'delete') return Reflect.get(b, p, r) as unknown;
              return async (...args: Parameters<typeof blob.delete>) => {
                await store.put(tenantId, bytes);
                return b.delete(...args);
              };
            },
          });
        };
      },
    });
    expect(await pass(marksOf(), 3, racing)).toMatchObject({ deleted: 0 });
    expect(await readAll(await store.open(tenantId, { sha256, encoding: 'identity' }))).toEqual(bytes);
  });

  it('revives a condemned blob that is referenced again, and stores anew content collected under a writer', async () => {
    const bytes = randomBytes(3000);
    const { sha256 } = await store.put(tenantId, bytes);
    await pass(marksOf(), 1.5);
    expect(await pass(marksOf(sha256), 3)).toMatchObject({ revived: 1, deleted: 0 });
    expect(await condemned(sha256)).toBe(false);
    await pass(marksOf(), 4.5);
    await pass(marksOf(), 6);
    expect(await exists(sha256)).toBe(false);
    expect(await store.put(tenantId, bytes)).toMatchObject({ sha256, deduplicated: false });
    expect(await exists(sha256)).toBe(true);
  });

  it('reports a blob it may not delete (immutability) as locked and goes on with the others', async () => {
    const a = await store.put(tenantId, randomBytes(2000));
    const b = await store.put(tenantId, randomBytes(2100));
    await pass(marksOf(), 1.5);
    const locked = new Proxy(container, {
      get(target, prop, receiver) {
        if (prop !== 'getBlobClient') return Reflect.get(target, prop, receiver) as unknown;
        return (name: string) => {
          const blob = target.getBlobClient(name);
          if (!name.endsWith(a.sha256)) return blob;
          return new Proxy(blob, {
            get(x, p, r) {
              if (p !== 'delete') return Reflect.get(x, p, r) as unknown;
              return () =>
                Promise.reject(
                  new RestError('This operation is not permitted as the blob is immutable due to a policy.', {
                    statusCode: 409,
                    code: 'BlobImmutableDueToPolicy',
                  }),
                );
            },
          });
        };
      },
    });
    const r = await pass(marksOf(), 3, locked);
    expect(r.deleted).toBe(1);
    expect(r.locked).toEqual({
      count: 1,
      sample: [{ sha256: a.sha256, reason: expect.stringContaining('BlobImmutableDueToPolicy') as string }],
    });
    expect(await exists(a.sha256)).toBe(true);
    expect(await exists(b.sha256)).toBe(false);
  });

  it('lists a slice a bounded page at a time, so its memory does not grow with the repository', async () => {
    // The SDK's default page is 5,000 blobs with metadata: tens of MiB parsed per page, per slice collected at once.
    const shas = Array.from({ length: LIST_PAGE * 2 + 100 }, (_, i) =>
      createHash('sha256').update(`b${i}`).digest('hex'),
    );
    const queue = [...shas];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let sha = queue.pop(); sha; sha = queue.pop())
          await container.getBlockBlobClient(contentBlobName(tenantId, sha)).upload('x', 1);
      }),
    );
    const pages: number[] = [];
    const paging = Object.create(container) as ContainerClient;
    paging.listBlobsFlat = (options) => {
      const listing = container.listBlobsFlat(options);
      return {
        ...listing,
        byPage: (settings) =>
          (async function* () {
            for await (const page of listing.byPage(settings)) {
              pages.push(page.segment.blobItems.length);
              yield page;
            }
          })(),
      };
    };
    const r = await pass(marksOf(...shas), 2, paging);
    expect(r).toMatchObject({ scanned: shas.length, condemned: 0, deleted: 0 });
    expect(pages.reduce((a, b) => a + b, 0)).toBe(shas.length);
    expect(Math.max(...pages)).toBeLessThanOrEqual(LIST_PAGE);
  });

  it('killed at any operation and run again, never deletes a referenced blob and ends with the same result', async () => {
    const blobs = await Promise.all(Array.from({ length: 6 }, (_, i) => store.put(tenantId, randomBytes(1000 + i))));
    const referenced = blobs.filter((_, i) => i % 2 === 0).map((b) => b.sha256);
    const marks = marksOf(...referenced);
    for (let killAt = 1; killAt <= 8; killAt++) {
      let calls = 0;
      const dying = new Proxy(container, {
        get(target, prop, receiver) {
          if (prop !== 'getBlobClient') return Reflect.get(target, prop, receiver) as unknown;
          return (name: string) => {
            const blob = target.getBlobClient(name);
            return new Proxy(blob, {
              get(x, p, r) {
                if (p !== 'delete' && p !== 'setMetadata') return Reflect.get(x, p, r) as unknown;
                return (...args: unknown[]) => {
                  if (++calls === killAt) throw new Error('host killed');
                  return (Reflect.get(x, p, r) as (...a: unknown[]) => Promise<unknown>).apply(x, args);
                };
              },
            });
          };
        },
      });
      await pass(marks, 1.5 * killAt, dying).catch((e: Error) => expect(e.message).toBe('host killed'));
      for (const sha of referenced) expect(await exists(sha)).toBe(true);
    }
    await pass(marks, 20);
    await pass(marks, 30);
    for (const b of blobs) expect(await exists(b.sha256)).toBe(referenced.includes(b.sha256));
  });

  describe('in a repository under immutability', () => {
    /** The container with each blob's immutability calls recorded (Azurite keeps no immutability policies). */
    const recording = (locks: Map<string, Date>, refuse?: RestError): ContainerClient => {
      const wrapped = Object.create(container) as ContainerClient;
      wrapped.getBlobClient = (name: string) => {
        const blob = container.getBlobClient(name);
        blob.setImmutabilityPolicy = (policy) => {
          if (refuse) return Promise.reject(refuse);
          expect(policy.policyMode).toBe('Locked');
          locks.set(name.slice(name.lastIndexOf('/') + 1), policy.expiriesOn!);
          return Promise.resolve({} as Awaited<ReturnType<typeof blob.setImmutabilityPolicy>>);
        };
        return blob;
      };
      return wrapped;
    };

    it('extends the lock of referenced content so it has the whole period left, and never locks garbage', async () => {
      const used = await store.put(tenantId, randomBytes(3000));
      const unused = await store.put(tenantId, randomBytes(3000));
      const locks = new Map<string, Date>();
      const at = new Date(Date.now() + 2 * 3_600_000);
      const r = await collect(recording(locks), marksOf(used.sha256), {
        tenantId,
        prefix: '',
        markStartedAt: at,
        graceMs: GRACE,
        now: at,
        lockDays: 30,
      });
      expect(r).toMatchObject({ lockExtended: 1, condemned: 1, unprotected: { count: 0, sample: [] } });
      expect([...locks.keys()]).toEqual([used.sha256]);
      const days = (locks.get(used.sha256)!.getTime() - at.getTime()) / 86_400_000;
      expect(days).toBeGreaterThanOrEqual(30);
      expect(days).toBeLessThanOrEqual(30 + LOCK_STEP_DAYS);
      expect(await exists(unused.sha256)).toBe(true);
    });

    it('says which content it could not protect, and why, and goes on', async () => {
      const a = await store.put(tenantId, randomBytes(3000));
      const b = await store.put(tenantId, randomBytes(3000));
      const refusal = new RestError('This request is not authorized to perform this operation using this permission.', {
        statusCode: 403,
        code: 'AuthorizationPermissionMismatch',
      });
      const r = await collect(recording(new Map(), refusal), marksOf(a.sha256, b.sha256), {
        tenantId,
        prefix: '',
        markStartedAt: new Date(),
        graceMs: GRACE,
        now: new Date(),
        lockDays: 30,
      });
      expect(r.scanned).toBe(2);
      expect(r.lockExtended).toBe(0);
      expect(r.unprotected.count).toBe(2);
      expect(r.unprotected.sample.map((u) => u.sha256).sort()).toEqual([a.sha256, b.sha256].sort());
      expect(r.unprotected.sample[0].reason).toMatch(
        /^AuthorizationPermissionMismatch: .*immutableStorage\/runAsSuperUser\/action/,
      );
    });

    it('makes no immutability requests for a repository without it', async () => {
      const used = await store.put(tenantId, randomBytes(3000));
      const locks = new Map<string, Date>();
      const r = await collect(recording(locks), marksOf(used.sha256), {
        tenantId,
        prefix: '',
        markStartedAt: new Date(),
        graceMs: GRACE,
        now: new Date(),
      });
      expect(r.lockExtended).toBe(0);
      expect(locks.size).toBe(0);
    });
  });
});
