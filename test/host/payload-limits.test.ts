import path from 'node:path';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  payloadLimit,
  PAYLOAD_LIMIT_SETTING,
} from '../../local/host/durable/payload-limits';
import { fixtureHost, repoRoot, startHostProcess, waitFor } from '../support/host-process';

// The host runs with the setting unset: the guard is on by default, at the provider's 45 KB.
delete process.env[PAYLOAD_LIMIT_SETTING];
const LIMIT = 45 * 1024;

interface Status {
  runtimeStatus: string;
  output: unknown;
  customStatus: unknown;
  input?: unknown;
}

describe('local Functions host: payload limits', () => {
  const fx = fixtureHost(path.join(repoRoot, 'test/fixtures/host-app'));

  const start = async (
    name: string,
    input: unknown,
  ): Promise<{ id: string; statusQueryGetUri: string; sendEventPostUri: string }> => {
    const r = await fetch(fx.webhook(`orchestrators/${name}`), { method: 'POST', body: JSON.stringify(input) });
    expect(r.status).toBe(202);
    return (await r.json()) as { id: string; statusQueryGetUri: string; sendEventPostUri: string };
  };
  const finished = (uri: string): Promise<Status> =>
    waitFor(
      async () => {
        const s = (await (await fetch(uri)).json()) as Status;
        return ['Running', 'Pending', 'ContinuedAsNew'].includes(s.runtimeStatus) ? undefined : s;
      },
      30_000,
      `orchestration at ${uri}`,
    );
  const payloads =
    (kind: string) =>
    async (bytes: number): Promise<Status> => {
      const started = await start('payloads', { kind, bytes });
      if (kind === 'event payload') {
        const r = await fetch(started.sendEventPostUri.replace('{eventName}', 'data'), {
          method: 'POST',
          body: JSON.stringify('x'.repeat(bytes - 2)),
        });
        expect(r.status).toBe(202);
      }
      return finished(started.statusQueryGetUri);
    };

  // Each kind of payload, the function that sends it, and how the guard describes it when it is too big.
  const kinds: Array<{ kind: string; run: (bytes: number) => Promise<Status>; fails: string; names: string }> = [
    {
      kind: 'orchestration input',
      run: async (b) => finished((await start('payloadSizeOf', 'x'.repeat(b - 2))).statusQueryGetUri),
      fails: 'its input',
      names: "'payloadSizeOf'",
    },
    {
      kind: 'activity input',
      run: payloads('activity input'),
      fails: "the input of activity 'payloadSize'",
      names: "'payloads'",
    },
    {
      kind: 'activity result',
      run: payloads('activity result'),
      fails: "the result of activity 'payloadOf'",
      names: "'payloads'",
    },
    {
      kind: 'sub-orchestration input',
      run: payloads('sub-orchestration input'),
      fails: "the input of sub-orchestration 'payloadSizeOf'",
      names: "'payloads'",
    },
    {
      kind: 'sub-orchestration output',
      run: payloads('sub-orchestration output'),
      fails: 'its output',
      names: "'payloadOfSize'",
    },
    {
      kind: 'event payload',
      run: payloads('event payload'),
      fails: "the payload of event 'data'",
      names: "'payloads'",
    },
    {
      kind: 'continue-as-new input',
      run: async (b) => finished((await start('continuesWith', b)).statusQueryGetUri),
      fails: 'the input it continues as new with',
      names: "'continuesWith'",
    },
    { kind: 'orchestration output', run: payloads('output'), fails: 'its output', names: "'payloads'" },
  ];

  it.each(kinds)('lets $kind of exactly the limit through', async ({ kind, run }) => {
    const s = await run(LIMIT);
    expect(s.runtimeStatus).toBe('Completed');
    if (kind === 'orchestration output') expect(String(s.output)).toHaveLength(LIMIT - 2);
    else expect(s.output).toBe(LIMIT);
  });

  it.each(kinds)(
    'fails the orchestration on $kind one byte over, naming the function and the size',
    async ({ run, fails, names }) => {
      const s = await run(LIMIT + 1);
      expect(s.runtimeStatus).toBe('Failed');
      expect(String(s.output)).toContain(
        `${fails} is ${LIMIT + 1} bytes of JSON, over the local host's limit of ${LIMIT} (${PAYLOAD_LIMIT_SETTING})`,
      );
      expect(String(s.output)).toContain(`Orchestration ${names} (instance `);
    },
  );

  it('accepts a custom status of 16 KB of UTF-16 and fails one of 17 KB, as the Durable extension does', async () => {
    const ok = await payloads('custom status')(8703);
    expect(ok).toMatchObject({ runtimeStatus: 'Completed', customStatus: 'x'.repeat(8701) });
    const over = await payloads('custom status')(8704);
    expect(over.runtimeStatus).toBe('Failed');
    expect(over.output).toBe(
      "Orchestrator function 'payloads' failed: The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 17 KB.",
    );
    expect(over.customStatus).toBeNull();
  });

  it('keeps an input and an output longer than a Table property holds (32K characters) across a restart', async () => {
    const big = 'x'.repeat(LIMIT - 2);
    const first = await start('payloadSizeOf', big);
    const second = await start('payloads', { kind: 'output', bytes: LIMIT });
    await finished(first.statusQueryGetUri);
    await finished(second.statusQueryGetUri);
    await fx.host.stop();
    fx.host = await startHostProcess(path.join(repoRoot, 'test/fixtures/host-app'), fx.env);
    const status = async (id: string): Promise<Status> =>
      (await (await fetch(fx.webhook(`instances/${id}`))).json()) as Status;
    expect(await status(first.id)).toMatchObject({ runtimeStatus: 'Completed', input: big, output: LIMIT });
    expect(await status(second.id)).toMatchObject({ runtimeStatus: 'Completed', output: big });
  });
});

describe(`${PAYLOAD_LIMIT_SETTING}`, () => {
  it('defaults to the Azure Storage provider threshold, takes whole bytes, and 0 turns the guard off', () => {
    expect(payloadLimit(undefined)).toBe(DEFAULT_MAX_PAYLOAD_BYTES);
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(46_080);
    expect(payloadLimit('')).toBe(DEFAULT_MAX_PAYLOAD_BYTES);
    expect(payloadLimit('1000')).toBe(1000);
    expect(payloadLimit('0')).toBe(0);
    expect(() => payloadLimit('45KB')).toThrow(`${PAYLOAD_LIMIT_SETTING} must be a whole number of bytes`);
    expect(() => payloadLimit('-1')).toThrow(PAYLOAD_LIMIT_SETTING);
  });
});
