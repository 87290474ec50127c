import { CosmosClient, Database } from '@azure/cosmos';
import {
  KEEP_SECONDS,
  NewJob,
  OperationBusy,
  OperationDoc,
  OperationKind,
  OperationStore,
} from '../../shared/operations/operation-store';
import { freshCatalog } from '../support/catalog';
import { pausedWriter } from '../support/paused-writer';

const by = { id: 'u1', name: 'Admin' };
const job = (accountId: string, kind: OperationKind = 'restore'): NewJob => ({
  accountId,
  kind,
  request: {},
  requestedBy: by,
});
const at = (minutes: number): Date => new Date(Date.UTC(2026, 0, 1, 9, minutes));

/** Settles every start; each outcome is the job started, the job named busy, or another error. */
async function race(store: OperationStore, accountId: string, n: number, now: Date) {
  const settled = await Promise.allSettled(
    Array.from({ length: n }, () => store.start(job(accountId, 'differenceReport'), now)),
  );
  const won = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const busy = settled.flatMap((r) => (r.status === 'rejected' && r.reason instanceof OperationBusy ? [r.reason] : []));
  const other = settled.flatMap((r) =>
    r.status === 'rejected' && !(r.reason instanceof OperationBusy) ? [String(r.reason)] : [],
  );
  return { won, busy, other };
}

describe('one restore or difference-report job at a time per account', () => {
  let client: CosmosClient;
  let database: Database;
  let store: OperationStore;

  beforeAll(async () => {
    const catalog = await freshCatalog('oplock');
    client = catalog.client;
    database = catalog.database;
    store = new OperationStore(database);
  });
  afterAll(() => client.dispose());

  it('lets exactly one of 8 simultaneous starts win, 30 rounds, and names the winner to the others', async () => {
    const failures: string[] = [];
    for (let round = 0; round < 30; round++) {
      // Even rounds start on a fresh account; odd rounds take over a stale lock (a job that ended before releasing).
      const accountId = `acct-${round >> 1}`;
      const { won, busy, other } = await race(store, accountId, 8, at(round));
      if (won.length !== 1 || busy.length !== 7 || other.length)
        failures.push(`round ${round}: ${won.length} won, ${busy.length} busy, errors ${other.join('; ')}`);
      else if (busy.some((b) => b.running.id !== won[0].id))
        failures.push(`round ${round}: a busy answer names another job`);
      for (const op of won) {
        await store.claim(op, at(round));
        const done: OperationDoc = { ...op, status: 'completed', endedAt: at(round).toISOString() };
        if (round % 2 === 0)
          await store.update(done); // ended, lock left behind
        else await store.finish(op, 'completed', at(round));
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets exactly one of two starts win wherever one is held between its writes by the other', async () => {
    const failures: string[] = [];
    for (const stale of [false, true]) {
      for (let n = 1; n <= 6; n++) {
        const accountId = `acct-held-${n}-${stale}`;
        if (stale) {
          const ended = await store.start(job(accountId), at(0));
          await store.claim(ended, at(0));
          await store.update({ ...ended, status: 'completed' });
        }
        const held = pausedWriter(database, n);
        const first = new OperationStore(held.database).start(job(accountId), at(1));
        const settled = first.then(
          () => undefined,
          () => undefined,
        );
        await Promise.race([held.paused, settled]);
        const second = await Promise.allSettled([store.start(job(accountId), at(1))]);
        held.resume();
        const outcomes = [...(await Promise.allSettled([first])), ...second];
        const won = outcomes.flatMap((r) => (r.status === 'fulfilled' ? [r.value.id] : []));
        const busy = outcomes.flatMap((r) =>
          r.status === 'rejected' && r.reason instanceof OperationBusy ? [r.reason.running.id] : [],
        );
        if (won.length !== 1 || busy.length !== 1 || busy[0] !== won[0])
          failures.push(
            `held after write ${n}${stale ? ' (stale lock)' : ''}: won ${won.length}, busy naming ${busy.join()}`,
          );
      }
    }
    expect(failures).toEqual([]);
  });

  it('frees the account when a start dies after taking the lock, once its start lease expires', async () => {
    const first = await store.start(job('acct-crash'), at(0));
    await expect(store.start(job('acct-crash'), at(1))).rejects.toThrow(OperationBusy);
    const second = await store.start(job('acct-crash'), at(30));
    expect(second.id).not.toBe(first.id);
    // The job that never started is recorded as failed, and can no longer begin work.
    expect((await store.find('acct-crash', first.id))?.status).toBe('failed');
    expect(await store.claim(first, at(31))).toBe(false);
    expect(await store.claim(second, at(31))).toBe(true);
  });

  it('lets either a late claim or a takeover win, never both, whichever is held before its write', async () => {
    const outcomes: string[] = [];
    for (const held of ['claim', 'takeover'] as const) {
      const accountId = `acct-late-${held}`;
      const late = await store.start(job(accountId), at(0));
      // Held just before the write that decides: the claim's replace, or the takeover's replace (after its 409).
      const paused = pausedWriter(database, held === 'claim' ? 1 : 2, 'before');
      const slow = new OperationStore(paused.database);
      const first = held === 'claim' ? slow.claim(late, at(20)) : slow.start(job(accountId), at(20));
      const settled = first.then(
        () => undefined,
        () => undefined,
      );
      await Promise.race([paused.paused, settled]);
      const second = await Promise.allSettled([
        held === 'claim' ? store.start(job(accountId), at(20)) : store.claim(late, at(20)),
      ]);
      paused.resume();
      const [claim, start] =
        held === 'claim'
          ? [...(await Promise.allSettled([first])), ...second]
          : [...second, ...(await Promise.allSettled([first]))];
      const claimed = claim.status === 'fulfilled' && claim.value === true;
      const took = start.status === 'fulfilled';
      const status = (await store.find(accountId, late.id))?.status;
      outcomes.push(`${held} held: claimed ${claimed}, taken over ${took}, late job ${status}`);
    }
    expect(outcomes).toEqual([
      'claim held: claimed false, taken over true, late job failed',
      'takeover held: claimed true, taken over false, late job running',
    ]);
  });

  it('keeps a claimed job live past its start lease, until it ends', async () => {
    const op = await store.start(job('acct-long'), at(0));
    expect(await store.claim(op, at(1))).toBe(true);
    await expect(store.start(job('acct-long'), at(59))).rejects.toThrow(OperationBusy);
    await store.finish(op, 'completed', at(59));
    await expect(store.start(job('acct-long'), at(59))).resolves.toMatchObject({ status: 'running' });
  });

  it("frees the account when a claimed job's orchestration is over but its record still says running", async () => {
    const op = await store.start(job('acct-dead'), at(0));
    await store.claim(op, at(0));
    const running = async (): Promise<boolean> => true;
    const over = async (holder: { id: string }): Promise<boolean> => holder.id !== op.id;
    await expect(store.start(job('acct-dead'), at(1), running)).rejects.toThrow(OperationBusy);
    await expect(store.start(job('acct-dead'), at(1), over)).resolves.toMatchObject({ status: 'running' });
    expect(await store.find('acct-dead', op.id)).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('stopped without recording its end'),
    });
  });

  it('releases the lock when the job cannot be launched after taking it', async () => {
    const launch = async (): Promise<void> => {
      throw new Error('orchestration start failed');
    };
    await expect(store.launch(job('acct-fail'), at(0), launch)).rejects.toThrow('orchestration start failed');
    const listed = await store.list('acct-fail', 'restore');
    expect(listed.map((o) => o.status)).toEqual(['failed']);
    const next = await store.launch(job('acct-fail'), at(0), async () => undefined);
    expect(next.status).toBe('running');
  });

  it('leaves a job running when its launch failed after the job claimed its lock (launched after all)', async () => {
    const timedOut = async (op: OperationDoc): Promise<void> => {
      await store.claim(op, at(0));
      throw new Error('orchestration start timed out');
    };
    await expect(store.launch(job('acct-late'), at(0), timedOut)).rejects.toThrow('timed out');
    expect((await store.list('acct-late', 'restore')).map((o) => o.status)).toEqual(['running']);
    await expect(store.start(job('acct-late'), at(30))).rejects.toThrow(OperationBusy);
  });

  it('never loses a cancel request to a progress update written from an older read', async () => {
    const op = await store.start(job('acct-cancel'), at(0));
    await store.claim(op, at(0));
    const read = (await store.find('acct-cancel', op.id))!;
    await store.requestCancel('acct-cancel', op.id);
    await store.update({ ...read, batchesDone: 1 });
    expect(await store.find('acct-cancel', op.id)).toMatchObject({ batchesDone: 1, cancelRequested: true });
    await store.finish(read, 'cancelled', at(1));
  });

  it('never brings back a job that ended while a cancel request for it was being written', async () => {
    const op = await store.start(job('acct-ended'), at(0));
    await store.claim(op, at(0));
    const held = pausedWriter(database, 1, 'before');
    const cancel = new OperationStore(held.database).requestCancel('acct-ended', op.id);
    await held.paused;
    await store.finish(op, 'completed', at(1));
    held.resume();
    expect(await cancel).toMatchObject({ status: 'completed', cancelRequested: false });
    expect(await store.find('acct-ended', op.id)).toMatchObject({ status: 'completed', ttl: KEEP_SECONDS });
  });
});
