import path from 'node:path';
import { fixtureHost, repoRoot, startHostProcess, waitFor } from '../support/host-process';

const LIMIT = 45 * 1024;
const durable = '/runtime/webhooks/durabletask';

interface Status { runtimeStatus: string; output: unknown; customStatus: unknown; input?: unknown }

describe('local Functions host: payload limits', () => {
  const fx = fixtureHost(path.join(repoRoot, 'test/fixtures/host-app'));

  const start = async (name: string, input: unknown): Promise<{ id: string; statusQueryGetUri: string; sendEventPostUri: string }> => {
    const r = await fetch(`${fx.host.url}${durable}/orchestrators/${name}`, { method: 'POST', body: JSON.stringify(input) });
    expect(r.status).toBe(202);
    return (await r.json()) as { id: string; statusQueryGetUri: string; sendEventPostUri: string };
  };
  const finished = (uri: string): Promise<Status> =>
    waitFor(async () => {
      const s = (await (await fetch(uri)).json()) as Status;
      return ['Running', 'Pending', 'ContinuedAsNew'].includes(s.runtimeStatus) ? undefined : s;
    }, 30_000, `orchestration at ${uri}`);

  it('keeps an input and an output longer than a Table property holds (32K characters) across a restart', async () => {
    const big = 'x'.repeat(LIMIT - 2);
    const first = await start('payloadSizeOf', big);
    const second = await start('payloads', { kind: 'output', bytes: LIMIT });
    await finished(first.statusQueryGetUri);
    await finished(second.statusQueryGetUri);
    await fx.host.stop();
    fx.host = await startHostProcess(path.join(repoRoot, 'test/fixtures/host-app'), fx.env);
    const status = async (id: string): Promise<Status> => (await (await fetch(`${fx.host.url}${durable}/instances/${id}`)).json()) as Status;
    expect(await status(first.id)).toMatchObject({ runtimeStatus: 'Completed', input: big, output: LIMIT });
    expect(await status(second.id)).toMatchObject({ runtimeStatus: 'Completed', output: big });
  });
});
