// The request pacer on a virtual clock: what a 429's Retry-After teaches it about the mailbox's sliding window, how it
// then holds requests back, RateLimit-* quotas, and a client that keeps sending against the emulator's own Exchange
// throttle (graph/faults.ts) for ten virtual minutes: under 1 % of its requests answered 429 at over 90 % of the budget.
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { parseThrottle, Throttle } from '../../../local/m365/graph/faults';
import { GraphThrottledError } from '../../../shared/graph/graph-errors';
import { HttpPipeline } from '../../../shared/graph/http-pipeline';
import type { HttpRequest } from '../../../shared/graph/https-transport';
import { RequestPacer } from '../../../shared/graph/request-pacer';

interface VirtualClock {
  t: number;
  now: () => number;
  advance: (ms: number) => void;
}

function virtualClock(): VirtualClock {
  const c: VirtualClock = {
    t: 0,
    now: () => c.t,
    advance: (ms) => void (c.t += ms),
  };
  return c;
}

describe('RequestPacer', () => {
  it('does not hold anything back before the service has said anything', () => {
    const clock = virtualClock();
    const pacer = new RequestPacer({ now: clock.now });
    for (let i = 0; i < 1_000; i++) {
      expect(pacer.delayFor('mb')).toBe(0);
      pacer.sent('mb');
    }
    expect(pacer.learned('mb')).toBeUndefined();
  });

  it('learns the window and limit from a 429 after a burst and keeps the log under the limit less its margin', () => {
    const clock = virtualClock();
    const pacer = new RequestPacer({ now: clock.now, margin: 0.1 });
    clock.advance(5_000);
    // 100 requests in 10 s after a pause; the 101st is refused at 15 s: the window (60 s) frees at 65 s, Retry-After 50.
    for (let i = 0; i < 100; i++) {
      pacer.sent('mb');
      clock.advance(100);
    }
    pacer.sent('mb');
    pacer.refused('mb');
    const learned = pacer.throttled('mb', 50)!;
    expect(learned.limit).toBe(100);
    expect(learned.windowMs).toBeGreaterThan(59_000);
    expect(learned.windowMs).toBeLessThanOrEqual(60_000);
    // 90 allowed (10 % margin): the window holds 100, so the 11th oldest must leave before one more goes.
    const wait = pacer.delayFor('mb');
    expect(clock.now() + wait).toBeGreaterThan(5_000 + 10 * 100 + 59_000);
    expect(clock.now() + wait).toBeLessThanOrEqual(5_000 + 10 * 100 + 60_001);
    // Other mailboxes are not held back.
    expect(pacer.delayFor('other')).toBe(0);
    clock.advance(wait);
    expect(pacer.delayFor('mb')).toBe(0);
    // Slots: a $batch of 20 needs room for 20.
    pacer.sent('mb');
    expect(pacer.delayFor('mb', 20)).toBeGreaterThan(0);
  });

  it('forgets a learned limit two windows after the last 429, so a budget that grew back is used again', () => {
    const clock = virtualClock();
    const pacer = new RequestPacer({ now: clock.now });
    clock.advance(5_000);
    for (let i = 0; i < 5; i++) pacer.sent('mb');
    pacer.sent('mb');
    pacer.refused('mb');
    expect(pacer.throttled('mb', 1)).toMatchObject({ limit: 5 });
    expect(pacer.delayFor('mb')).toBeGreaterThan(0);
    clock.advance(2_000);
    expect(pacer.learned('mb')).toBeDefined();
    // No 429 for two windows (at least 5 s): the service may allow more now; the next 429 teaches it again.
    clock.advance(3_100);
    expect(pacer.learned('mb')).toBeUndefined();
    for (let i = 0; i < 50; i++) {
      expect(pacer.delayFor('mb')).toBe(0);
      pacer.sent('mb');
    }
  });

  it('learns nothing from a 429 its log cannot explain (no pause longer than Retry-After)', () => {
    const clock = virtualClock();
    const pacer = new RequestPacer({ now: clock.now, horizonMs: 1_000 });
    for (let i = 0; i < 50; i++) {
      pacer.sent('mb');
      clock.advance(100);
    }
    // The log was pruned to the last second: every gap is 100 ms, shorter than Retry-After allows.
    expect(pacer.throttled('mb', 30)).toBeUndefined();
    expect(pacer.delayFor('mb')).toBe(0);
  });

  it('follows RateLimit-Remaining until RateLimit-Reset', () => {
    const clock = virtualClock();
    const pacer = new RequestPacer({ now: clock.now });
    pacer.rateLimit('site', 2, 30);
    pacer.sent('site');
    pacer.sent('site');
    expect(pacer.delayFor('site')).toBe(30_000);
    pacer.refused('site');
    expect(pacer.delayFor('site')).toBe(0);
    pacer.sent('site');
    clock.advance(30_000);
    expect(pacer.delayFor('site')).toBe(0);
  });

  it.each([
    { budget: 500, windowSeconds: 60, serviceMs: 20 },
    { budget: 200, windowSeconds: 30, serviceMs: 5 },
    { budget: 10_000, windowSeconds: 600, serviceMs: 10 },
  ])(
    'against the emulator throttle ($budget per $windowSeconds s): < 1 % 429s at ≥ 90 % of the budget',
    ({ budget, windowSeconds, serviceMs }) => {
      const clock = virtualClock();
      const server = new Throttle(parseThrottle({ budget, windowSeconds, concurrency: 4 }), clock);
      const pacer = new RequestPacer({ now: clock.now });
      const minutes = 10 * (windowSeconds / 60);
      const end = minutes * 60_000;
      let pausedUntil = 0;
      let sent = 0;
      let refused = 0;
      while (clock.t < end) {
        if (clock.t < pausedUntil) {
          clock.t = pausedUntil;
          continue;
        }
        const wait = pacer.delayFor('mb');
        if (wait > 0) {
          clock.advance(wait);
          continue;
        }
        pacer.sent('mb');
        sent++;
        const a = server.admit('app', 'mb');
        if (a.admitted) a.release();
        else {
          refused++;
          pacer.refused('mb');
          pacer.throttled('mb', a.retryAfterSeconds);
          pausedUntil = clock.t + a.retryAfterSeconds * 1000;
        }
        clock.advance(serviceMs);
      }
      const admitted = sent - refused;
      expect(refused / sent).toBeLessThan(0.01);
      expect(admitted / (budget * (end / (windowSeconds * 1000)))).toBeGreaterThanOrEqual(0.9);
    },
  );
});

/** A transport answering from a script: each answer a status, headers and a JSON body. */
function scripted(answers: Array<{ status: number; headers?: Record<string, string>; body?: unknown }>): {
  transport: (r: HttpRequest) => Promise<IncomingMessage>;
  sent: HttpRequest[];
} {
  const sent: HttpRequest[] = [];
  return {
    sent,
    transport: (r) => {
      sent.push(r);
      const a = answers.shift() ?? { status: 200, body: {} };
      const res = Object.assign(new PassThrough(), { statusCode: a.status, headers: a.headers ?? {} });
      res.end(JSON.stringify(a.body ?? {}));
      return Promise.resolve(res as unknown as IncomingMessage);
    },
  };
}

describe('HttpPipeline pacing', () => {
  const call = (deadline: number) => ({
    url: '/users/u/mailFolders/inbox',
    mailbox: 'mb',
    operation: 'mail.read' as const,
    deadline,
  });
  const pipelineWith = (transport: (r: HttpRequest) => Promise<IncomingMessage>, pacer?: RequestPacer) =>
    new HttpPipeline({
      baseUrl: 'https://graph.test/v1.0',
      transport,
      tokens: { token: () => Promise.resolve('t') },
      userAgent: 'test',
      ...(pacer ? { pacer } : {}),
    });

  it('hands a wait for the budget past the deadline back to the caller without sending', async () => {
    const clock = virtualClock();
    const pacer = new RequestPacer({ now: clock.now });
    for (let i = 0; i < 10; i++) pacer.sent('mb');
    clock.advance(1_000);
    expect(pacer.throttled('mb', 59)).toBeDefined();
    const { transport, sent } = scripted([]);
    const p = pipelineWith(transport, pacer);
    const handed = await p.json(call(Date.now() + 5_000)).catch((e: Error) => e);
    expect(handed).toBeInstanceOf(GraphThrottledError);
    expect((handed as GraphThrottledError).retryAfterSeconds).toBeGreaterThan(50);
    expect(sent).toHaveLength(0);
    expect(p.stats().handedBack).toBe(1);
  });

  it('learns from a budget 429 but not from a MailboxConcurrency one, and takes the refused request back', async () => {
    const budget429 = {
      status: 429,
      headers: { 'retry-after': '60' },
      body: { error: { code: 'TooManyRequests', innerError: { code: 'ApplicationThrottled' } } },
    };
    const concurrency429 = {
      status: 429,
      headers: { 'retry-after': '60' },
      body: { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } },
    };
    for (const [answer, learns] of [
      [budget429, true],
      [concurrency429, false],
    ] as const) {
      const pacer = new RequestPacer({ now: () => Date.now() });
      const { transport } = scripted([{ status: 200 }, { status: 200 }, { status: 200 }, answer]);
      const p = pipelineWith(transport, pacer);
      for (let i = 0; i < 3; i++) await p.json(call(Date.now() + 60_000));
      // Retry-After (60 s) is past the deadline: handed back at once.
      await expect(p.json(call(Date.now() + 5_000))).rejects.toBeInstanceOf(GraphThrottledError);
      expect(pacer.learned('mb')?.limit).toBe(learns ? 3 : undefined);
    }
  });
});
