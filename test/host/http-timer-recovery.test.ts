import fs from 'node:fs';
import path from 'node:path';
import { uniqueName } from '../support/env';
import { fixtureHost, repoRoot, startHostProcess, waitFor } from '../support/host-process';

const appDir = path.join(repoRoot, 'test/fixtures/host-app');

describe('local Functions host: HTTP, timers, crash recovery', () => {
  const fx = fixtureHost(appDir);

  it('passes route params (constrained and catch-all), query, headers and body, and returns status, headers and cookies', async () => {
    const r = await fetch(`${fx.host.url}/api/items/42/a/b%20c?x=1&y=two`, {
      method: 'POST',
      headers: { 'x-test': 'hello' },
      body: 'payload',
    });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-echo')).toBe('hello');
    expect(r.headers.get('set-cookie')).toBe('session=abc; Path=/; HttpOnly');
    expect(await r.json()).toEqual({
      method: 'POST',
      params: { id: '42', rest: 'a/b c' },
      query: { x: '1', y: 'two' },
      body: 'payload',
    });
  });

  it('returns bytes unchanged', async () => {
    const r = await fetch(`${fx.host.url}/api/binary`);
    expect(Buffer.from(await r.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('answers 404 for an unknown route or a failed constraint, and 405 for a registered route with another method', async () => {
    expect((await fetch(`${fx.host.url}/api/nowhere`)).status).toBe(404);
    expect((await fetch(`${fx.host.url}/api/items/not-a-number/x`)).status).toBe(404);
    const r = await fetch(`${fx.host.url}/api/items/1/x`, { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, POST, PUT');
  });

  it('fires a timer trigger on demand through the admin endpoint', async () => {
    expect((await fetch(`${fx.host.url}/admin/functions/tick`, { method: 'POST', body: '{}' })).status).toBe(202);
    const ticks = path.join(fx.fixtureDir, 'ticks');
    const line = await waitFor(async () =>
      fs.existsSync(ticks) && fs.readFileSync(ticks, 'utf8').endsWith('\n')
        ? fs.readFileSync(ticks, 'utf8')
        : undefined,
    );
    expect(JSON.parse(line.trim())).toMatchObject({
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: expect.objectContaining({ next: expect.any(String) }),
    });
    expect((await fetch(`${fx.host.url}/admin/functions/nosuch`, { method: 'POST' })).status).toBe(404);
  });

  it('resumes an orchestration after the host is killed, without re-running a recorded activity', async () => {
    const run = uniqueName('run');
    const steps = 12;
    const r = await fetch(`${fx.host.url}/api/start/slowSequence`, {
      method: 'POST',
      body: JSON.stringify({ run, steps, ms: 150 }),
    });
    const { id } = (await r.json()) as { id: string };
    const log = path.join(fx.fixtureDir, `steps-${run}`);
    const ends = (): number =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('end')).length
        : 0;
    await waitFor(async () => (ends() >= 4 ? true : undefined));
    fx.host.child.kill('SIGKILL');
    await new Promise((resolve) => fx.host.child.once('exit', resolve));
    const before = fs.readFileSync(log, 'utf8');

    fx.host = await startHostProcess(appDir, fx.env);
    expect(fx.host.lines.join('\n')).toMatch(/resumed \d+ unfinished orchestration/);
    const status = await waitFor(
      async () => {
        const s = (await (await fetch(fx.webhook(`instances/${id}`))).json()) as {
          runtimeStatus: string;
          output: number[];
        };
        return s.runtimeStatus === 'Completed' ? s : undefined;
      },
      60_000,
      'the resumed orchestration',
    );
    expect(status.output).toEqual(Array.from({ length: steps }, (_, i) => i));

    const starts = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('start'))
      .map((l) => Number(l.split(' ')[1]));
    const counts = new Map<number, number>();
    for (const s of starts) counts.set(s, (counts.get(s) ?? 0) + 1);
    const rerun = [...counts].filter(([, n]) => n > 1).map(([step]) => step);
    // At most the step in flight when the host died runs again (at-least-once, as in Azure); never a finished one.
    expect(rerun.length).toBeLessThanOrEqual(1);
    const finishedBeforeKill = before
      .split('\n')
      .filter((l) => l.startsWith('end'))
      .map((l) => Number(l.split(' ')[1]));
    const recordedBeforeKill = finishedBeforeKill.slice(0, -1);
    for (const step of recordedBeforeKill) expect(counts.get(step)).toBe(1);
  });
});
