import fs from 'node:fs';
import path from 'node:path';
import { uniqueName } from '../support/env';
import { fixtureHost, repoRoot, waitFor } from '../support/host-process';

const appDir = path.join(repoRoot, 'test/fixtures/host-app');

interface Status {
  runtimeStatus: string;
  output: unknown;
  customStatus: unknown;
  input: unknown;
  instanceId: string;
}

describe('local Functions host: Durable Functions contracts', () => {
  const fx = fixtureHost(appDir);

  const start = async (
    name: string,
    input?: unknown,
    instanceId?: string,
  ): Promise<{ id: string; statusQueryGetUri: string }> => {
    const r = await fetch(`${fx.host.url}/api/start/${name}${instanceId ? `/${instanceId}` : ''}`, {
      method: 'POST',
      ...(input !== undefined ? { body: JSON.stringify(input) } : {}),
    });
    expect(r.status).toBe(202);
    return (await r.json()) as { id: string; statusQueryGetUri: string };
  };
  const status = async (uri: string): Promise<Status> => (await (await fetch(uri)).json()) as Status;
  const finished = (uri: string, timeoutMs = 30_000): Promise<Status> =>
    waitFor(
      async () => {
        const s = await status(uri);
        return ['Running', 'Pending', 'Suspended', 'ContinuedAsNew'].includes(s.runtimeStatus) ? undefined : s;
      },
      timeoutMs,
      `orchestration at ${uri}`,
    );

  it('fans out to 1,000 activities and fans in their results', async () => {
    const { statusQueryGetUri } = await start('fanOut', 1000);
    const s = await finished(statusQueryGetUri, 60_000);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toBe(Array.from({ length: 1000 }, (_, i) => i * i).reduce((a, b) => a + b, 0));
  });

  it('retries with backoff until success', async () => {
    const { statusQueryGetUri } = await start('retrying', { key: 'ok', failures: 2, attempts: 4 });
    const s = await finished(statusQueryGetUri);
    expect(s.output).toMatchObject({ ok: true, attempt: 3 });
    // Waits of 200 ms then 400 ms (backoff 2) passed on durable timers.
    expect((s.output as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(600);
  });

  it('fails the call once retries are exhausted', async () => {
    const { statusQueryGetUri } = await start('retrying', { key: 'never', failures: 99, attempts: 3 });
    const s = await finished(statusQueryGetUri);
    expect(s.output).toMatchObject({
      ok: false,
      error: expect.stringContaining("Activity function 'flaky' failed: attempt 3 failed"),
    });
    expect(fs.readFileSync(path.join(fx.fixtureDir, 'flaky-never'), 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('waits on a durable timer', async () => {
    const s = await finished((await start('timer', 700)).statusQueryGetUri);
    expect(s.runtimeStatus).toBe('Completed');
    expect(s.output).toBeGreaterThanOrEqual(700);
  });

  it('lets a parent catch its sub-orchestration failure', async () => {
    const s = await finished((await start('parent')).statusQueryGetUri);
    expect(s).toMatchObject({ runtimeStatus: 'Completed', output: expect.stringContaining('caught:') });
    expect(String(s.output)).toContain('child exploded');
  });

  it('reports an uncaught failure through the status API', async () => {
    const s = await finished((await start('uncaught')).statusQueryGetUri);
    expect(s.runtimeStatus).toBe('Failed');
    expect(String(s.output)).toContain("Activity function 'boom' failed: activity exploded");
  });

  it('continues as new with a fresh history', async () => {
    const s = await finished((await start('counter', 0)).statusQueryGetUri);
    expect(s).toMatchObject({ runtimeStatus: 'Completed', output: 3 });
  });

  it('delivers external events and reports custom status, through the real DurableClient', async () => {
    const { id } = await start('approval', undefined, uniqueName('approval'));
    const waiting = await waitFor(async () => {
      const r = (await (await fetch(`${fx.host.url}/api/client/status/${id}`)).json()) as Status;
      return r.customStatus === 'waiting' ? r : undefined;
    });
    expect(waiting.runtimeStatus).toBe('Running');
    expect((await (await fetch(`${fx.host.url}/api/client/running`)).json()) as string[]).toContain(id);
    expect(
      (await fetch(`${fx.host.url}/api/client/raise/${id}`, { method: 'POST', body: JSON.stringify({ by: 'ops' }) }))
        .status,
    ).toBe(202);
    const done = await fetch(`${fx.host.url}/api/client/wait/${id}`);
    expect(done.status).toBe(200);
    expect(await done.json()).toBe('approved by ops');
  });

  it('suspends, resumes, terminates and purges through the real DurableClient', async () => {
    const { id, statusQueryGetUri } = await start('approval');
    await waitFor(async () => ((await status(statusQueryGetUri)).customStatus === 'waiting' ? true : undefined));
    expect((await fetch(`${fx.host.url}/api/client/suspend/${id}`, { method: 'POST' })).status).toBe(202);
    await waitFor(async () => ((await status(statusQueryGetUri)).runtimeStatus === 'Suspended' ? true : undefined));
    expect((await fetch(`${fx.host.url}/api/client/resume/${id}`, { method: 'POST' })).status).toBe(202);
    await waitFor(async () => ((await status(statusQueryGetUri)).runtimeStatus === 'Running' ? true : undefined));
    expect((await fetch(`${fx.host.url}/api/client/terminate/${id}`, { method: 'POST' })).status).toBe(202);
    const s = await finished(statusQueryGetUri);
    expect(s).toMatchObject({ runtimeStatus: 'Terminated', output: 'stopped by test' });
    expect(await (await fetch(`${fx.host.url}/api/client/purge/${id}`, { method: 'POST' })).json()).toEqual({
      instancesDeleted: 1,
    });
    expect((await fetch(statusQueryGetUri)).status).toBe(404);
  });

  it('discards the result of a child orphaned by a terminated parent when the parent id runs again', async () => {
    const parent = uniqueName('parent');
    const [oldChild, newChild] = [uniqueName('oldchild'), uniqueName('newchild')];
    const statusOf = async (id: string): Promise<Status | undefined> => {
      const text = await (await fetch(`${fx.host.url}/api/client/status/${id}`)).text();
      return text ? (JSON.parse(text) as Status) : undefined; // not created yet
    };
    const waiting = (id: string) =>
      waitFor(async () => ((await statusOf(id))?.customStatus === 'waiting' ? true : undefined));
    await start('waitingParent', { child: oldChild }, parent);
    await waiting(oldChild);
    // Durable does not terminate sub-orchestrations with their parent: the old child runs on.
    expect((await fetch(`${fx.host.url}/api/client/terminate/${parent}`, { method: 'POST' })).status).toBe(202);
    await waitFor(async () => (await statusOf(parent))?.runtimeStatus === 'Terminated' || undefined);
    const { statusQueryGetUri } = await start('waitingParent', { child: newChild }, parent);
    await waiting(newChild);
    expect(
      (
        await fetch(`${fx.host.url}/api/client/raise/${oldChild}`, {
          method: 'POST',
          body: JSON.stringify({ by: 'the old run' }),
        })
      ).status,
    ).toBe(202);
    await waitFor(async () => (await statusOf(oldChild))?.runtimeStatus === 'Completed' || undefined);
    expect(
      (
        await fetch(`${fx.host.url}/api/client/raise/${newChild}`, {
          method: 'POST',
          body: JSON.stringify({ by: 'the new run' }),
        })
      ).status,
    ).toBe(202);
    expect(await finished(statusQueryGetUri)).toMatchObject({
      runtimeStatus: 'Completed',
      output: 'approved by the new run',
    });
  });

  it('guards its Durable HTTP API with the system key, as Azure does, and serves the rpc API only off the public port', async () => {
    const { id, statusQueryGetUri } = await start('approval', undefined, uniqueName('keyed'));
    const key = String(fx.env.M365V_HOST_DURABLE_SYSTEM_KEY);
    // The management URLs a client binding builds carry the key (this is why they must never reach API callers).
    expect(new URL(statusQueryGetUri).searchParams.get('code')).toBe(key);
    expect((await fetch(statusQueryGetUri)).status).toBe(202);
    const bare = `${fx.host.url}/runtime/webhooks/durabletask`;
    const refused = [
      fetch(`${bare}/instances`),
      fetch(`${bare}/instances/${id}`),
      fetch(`${bare}/instances/${id}?code=wrong`),
      fetch(`${bare}/instances/${id}?code=${key.slice(1)}`),
      fetch(`${bare}/instances/${id}/terminate?reason=x`, { method: 'POST' }),
      fetch(`${bare}/instances/${id}/raiseEvent/approve`, { method: 'POST', body: '{}' }),
      fetch(`${bare}/instances/${id}`, { method: 'DELETE' }),
      fetch(`${bare}/orchestrators/approval`, { method: 'POST' }),
      fetch(`${bare}/instances/${id}`, { headers: { 'x-functions-key': 'wrong' } }),
    ];
    expect((await Promise.all(refused)).map((r) => r.status)).toEqual(refused.map(() => 401));
    expect((await fetch(`${bare}/instances/${id}`, { headers: { 'x-functions-key': key } })).status).toBe(202);
    // Nothing reached the instance: it still waits.
    expect((await status(statusQueryGetUri)).runtimeStatus).toBe('Running');
    // The worker's channel (rpcBaseUrl) is not on the public port, so it cannot bypass the key.
    expect((await fetch(`${fx.host.url}/durabletask/instances/${id}`)).status).toBe(404);
    await fetch(`${fx.host.url}/api/client/terminate/${id}`, { method: 'POST' });
  });

  it('refuses to start an instance id that is running', async () => {
    const id = uniqueName('single');
    await start('approval', undefined, id);
    const r = await fetch(fx.webhook(`orchestrators/approval/${id}`), { method: 'POST' });
    expect(r.status).toBe(409);
    await fetch(`${fx.host.url}/api/client/terminate/${id}`, { method: 'POST' });
  });

  it('lets exactly one of two simultaneous starts of one instance id win, the loser seeing the winner', async () => {
    const id = uniqueName('race');
    const url = fx.webhook(`orchestrators/approval/${id}`);
    const lose = async (r: Response): Promise<number> => {
      // As with the storage provider's conditional insert, a conflict means the winner's instance can be read.
      if (r.status === 409) expect((await fetch(fx.webhook(`instances/${id}`))).status).toBe(202);
      return r.status;
    };
    const statuses = (
      await Promise.all([fetch(url, { method: 'POST' }).then(lose), fetch(url, { method: 'POST' }).then(lose)])
    ).sort();
    expect(statuses).toEqual([202, 409]);
    await fetch(`${fx.host.url}/api/client/terminate/${id}`, { method: 'POST' });
  });

  it('fails an orchestration that changes its actions on replay, naming it, the position and both actions', async () => {
    const { id, statusQueryGetUri } = await start('shifty');
    await waitFor(async () =>
      fs.existsSync(path.join(fx.fixtureDir, 'flip'))
        ? true
        : (fs.writeFileSync(path.join(fx.fixtureDir, 'flip'), ''), true),
    );
    const s = await finished(statusQueryGetUri);
    expect(s.runtimeStatus).toBe('Failed');
    expect(String(s.output)).toMatch(/Non-deterministic/);
    expect(String(s.output)).toContain(`'shifty' (instance ${id})`);
    expect(String(s.output)).toContain('at action 0 (sequence id 0)');
    expect(String(s.output)).toContain('CallActivity(echo)');
    expect(String(s.output)).toContain('CallActivity(square)');
    fs.rmSync(path.join(fx.fixtureDir, 'flip'));
  });
});
