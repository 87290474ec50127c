import { CosmosClient, Database } from '@azure/cosmos';
import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { LogRecord } from '../../shared/catalog/change-log';
import { VersionDoc } from '../../shared/catalog/version-doc';
import { VersionStore } from '../../shared/catalog/version-store';
import type { DifferenceEntry } from '../../shared/difference/difference';
import {
  CHUNK,
  DifferenceCursor,
  DifferenceRef,
  DifferenceServices,
  differenceStep,
  endDifferences,
  firstCursor,
  reportPage,
} from '../../shared/difference/difference-steps';
import { NewJob, OperationStore } from '../../shared/operations/operation-store';
import { freshCatalog } from '../support/catalog';
import { stackEnv, uniqueName } from '../support/env';

const ITEM = 'acct.mailbox.u1';
const NOW = new Date(Date.UTC(2026, 0, 1));
const JOB: NewJob = {
  accountId: 'acct',
  kind: 'differenceReport',
  request: {},
  requestedBy: { id: 'u', name: 'Reader' },
};
type VersionRecord = Extract<LogRecord, { t: 'version' }>;
const msg = (i: number, seq: number, props: Record<string, unknown>): VersionDoc => ({
  id: '',
  protectedItemId: ITEM,
  containerId: `messages:f${i % 3}`,
  itemId: `m${i}`,
  kind: 'message',
  validFrom: seq,
  props: { subject: `S${i}`, ...props },
});

/** A database whose `versions` queries fail with a transient 503 whenever `failing()` says so. */
function flaky(database: Database, failing: () => boolean): Database {
  const fail = (): never => {
    throw Object.assign(new Error('Service Unavailable'), { code: 503 });
  };
  return {
    container: (id: string) => {
      const c = database.container(id);
      if (id !== 'versions') return c;
      const items = new Proxy(c.items, {
        get: (t, k) =>
          k === 'query'
            ? (...args: Parameters<typeof t.query>) => {
                const it = t.query(...args);
                return new Proxy(it, {
                  get: (i, m) =>
                    m === 'fetchNext' || m === 'fetchAll'
                      ? () => (failing() ? fail() : Reflect.get(i, m).call(i))
                      : Reflect.get(i, m),
                });
              }
            : Reflect.get(t, k),
      });
      return new Proxy(c, { get: (t, k) => (k === 'items' ? items : Reflect.get(t, k)) });
    },
  } as unknown as Database;
}

/** The artifacts container, counting the report entries in the blobs read. */
function counted(container: ContainerClient): { artifacts: ContainerClient; entriesRead: () => number } {
  let n = 0;
  const read = async (blob: ReturnType<ContainerClient['getBlobClient']>): Promise<Buffer> => {
    const buffer = await blob.downloadToBuffer();
    n += (JSON.parse(buffer.toString('utf8')) as unknown[]).length;
    return buffer;
  };
  const artifacts = new Proxy(container, {
    get: (t, k) =>
      k === 'getBlobClient'
        ? (name: string) =>
            new Proxy(t.getBlobClient(name), {
              get: (b, m) => (m === 'downloadToBuffer' ? () => read(b) : Reflect.get(b, m)),
            })
        : Reflect.get(t, k),
  });
  return { artifacts, entriesRead: () => n };
}

describe('difference reports: computed and read a page at a time', () => {
  let client: CosmosClient;
  let database: Database;
  let container: ContainerClient;
  let operations: OperationStore;
  let s: DifferenceServices;

  beforeAll(async () => {
    ({ client, database } = await freshCatalog('diff'));
    container = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')).getContainerClient(
      uniqueName('diff'),
    );
    await container.create();
    operations = new OperationStore(database);
    s = { versions: new VersionStore(database), operations, artifacts: container, now: () => NOW };
    // Point 1: 1,200 messages. Point 2: 300 changed, 200 deleted, 100 touched without a change that matters, 400 new.
    const heads = new Map<number, VersionDoc>();
    const put = async (i: number, seq: number, props: Record<string, unknown> = {}): Promise<void> => {
      const record = VersionStore.putRecord(msg(i, seq, props), heads.get(i), seq) as VersionRecord;
      await s.versions.apply(record);
      heads.set(i, record.put!);
    };
    for (let i = 0; i < 1200; i++) await put(i, 1);
    for (let i = 0; i < 300; i++) await put(i, 2, { isRead: true });
    for (let i = 300; i < 500; i++)
      await s.versions.apply(VersionStore.deleteRecord(heads.get(i)!, 2) as VersionRecord);
    for (let i = 500; i < 600; i++) await put(i, 2, { lastModifiedDateTime: 'later' });
    for (let i = 1200; i < 1600; i++) await put(i, 2);
  });
  afterAll(async () => {
    await container.delete();
    client.dispose();
  });

  const startJob = async (): Promise<DifferenceRef> => {
    const op = await operations.start({ ...JOB, request: { protectedItemId: ITEM, fromSeq: 1, toSeq: 2 } }, NOW);
    await operations.claim(op, NOW);
    return { accountId: op.accountId, operationId: op.id };
  };
  const readAll = async (
    deps: DifferenceServices,
    ref: DifferenceRef,
    total: number,
    size: number,
  ): Promise<DifferenceEntry[]> => {
    const out: DifferenceEntry[] = [];
    for (let offset = 0; offset < total; offset += size)
      out.push(...(await reportPage(deps, ref, total, offset, size)));
    return out;
  };
  const expected = (entries: DifferenceEntry[]): void => {
    const by = (change: string): string[] =>
      entries
        .filter((e) => e.change === change)
        .map((e) => e.itemId)
        .sort();
    const range = (a: number, b: number): string[] => Array.from({ length: b - a }, (_, i) => `m${a + i}`).sort();
    expect(by('changed')).toEqual(range(0, 300));
    expect(by('removed')).toEqual(range(300, 500));
    expect(by('added')).toEqual(range(1200, 1600));
    expect(entries.filter((e) => e.change === 'changed').every((e) => e.properties?.join() === 'isRead')).toBe(true);
  };

  it('computes the report in steps whose cursor stays small, and reads each page from the chunks it spans only', async () => {
    const ref = await startJob();
    let cursor: DifferenceCursor = firstCursor(ref);
    let steps = 0;
    let largest = 0;
    while (!cursor.done) {
      cursor = await differenceStep(s, cursor);
      largest = Math.max(largest, JSON.stringify(cursor).length);
      steps++;
    }
    await endDifferences(s, cursor);
    const op = (await operations.find(ref.accountId, ref.operationId))!;
    expect(op.status).toBe('completed');
    expect(op.summary).toEqual({ added: 400, removed: 200, changed: 300 });
    expect(op.counts.total).toBe(900);
    expect(steps).toBeGreaterThan(4);
    expect(largest).toBeLessThan(4096);

    const entries = await readAll(s, ref, 900, 200);
    expect(entries).toHaveLength(900);
    expected(entries);
    // A page of 50 reads the one or two chunks it overlaps, never the whole report (900 entries here).
    const { artifacts, entriesRead } = counted(container);
    const perPage: number[] = [];
    for (let offset = 0; offset < 900; offset += 50) {
      const before = entriesRead();
      expect(await reportPage({ ...s, artifacts }, ref, 900, offset, 50)).toEqual(entries.slice(offset, offset + 50));
      perPage.push(entriesRead() - before);
    }
    expect(Math.max(...perPage)).toBeLessThanOrEqual(2 * CHUNK);
  });

  it('gives the same report when every step runs twice (a retried activity after it wrote)', async () => {
    const ref = await startJob();
    let cursor = firstCursor(ref);
    while (!cursor.done) {
      await differenceStep(s, cursor);
      cursor = await differenceStep(s, cursor);
    }
    await endDifferences(s, cursor);
    const entries = await readAll(s, ref, 900, 1000);
    expect(entries).toHaveLength(900);
    expected(entries);
  });

  it('fails the step on a transient store error (to be retried), never a shorter report', async () => {
    const ref = await startJob();
    let outage = false;
    const deps = { ...s, versions: new VersionStore(flaky(database, () => outage)) };
    let cursor = await differenceStep(deps, firstCursor(ref));
    outage = true;
    await expect(differenceStep(deps, cursor)).rejects.toMatchObject({ code: 503 });
    expect((await operations.find(ref.accountId, ref.operationId))?.status).toBe('running');
    outage = false;
    while (!cursor.done) cursor = await differenceStep(deps, cursor);
    await endDifferences(deps, cursor);
    expect((await operations.find(ref.accountId, ref.operationId))?.counts.total).toBe(900);
    expected(await readAll(s, ref, 900, 300));
  });

  it('ends a report whose steps kept failing as failed, and frees the account', async () => {
    const ref = await startJob();
    await endDifferences(s, { ...firstCursor(ref), failed: 'Service Unavailable' });
    const op = (await operations.find(ref.accountId, ref.operationId))!;
    expect(op.status).toBe('failed');
    expect(op.message).toContain('Service Unavailable');
    await expect(operations.start(JOB, NOW)).resolves.toMatchObject({ status: 'running' });
  });
});
