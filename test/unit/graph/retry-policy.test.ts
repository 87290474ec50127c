import { backoffSeconds, decideRetry, parseRetryAfter } from '../../../shared/graph/retry-policy';

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads whole and fractional seconds', () => {
    expect(parseRetryAfter('10', now)).toBe(10);
    expect(parseRetryAfter('2.128', now)).toBe(2.128);
    expect(parseRetryAfter([' 3 '], now)).toBe(3);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('backoff', () => {
  it('doubles per attempt within [half, full] of the ceiling, capped', () => {
    expect(backoffSeconds(1, 0)).toBe(0.5);
    expect(backoffSeconds(1, 0.999999)).toBeCloseTo(1, 5);
    expect(backoffSeconds(3, 0)).toBe(2);
    expect(backoffSeconds(4, 1)).toBe(8);
    expect(backoffSeconds(20, 1)).toBe(60);
    expect(backoffSeconds(2, 0.5, { baseSeconds: 0.1, maxSeconds: 1 })).toBeCloseTo(0.15, 10);
  });
  it('spreads clients throttled together', () => {
    const waits = new Set(Array.from({ length: 50 }, (_, i) => backoffSeconds(3, i / 50)));
    expect(waits.size).toBe(50);
  });
});

describe('retry decision', () => {
  const base = { attempt: 1, maxAttempts: 5, nowMs: 1_000_000, deadline: 1_060_000, random: 0.5 };
  it('waits as Graph asks when the deadline allows', () => {
    expect(decideRetry({ ...base, retryAfterSeconds: 2.5 })).toEqual({ kind: 'retry', waitSeconds: 2.5 });
  });
  it('backs off when Graph gives no Retry-After', () => {
    expect(decideRetry({ ...base, attempt: 2 })).toEqual({ kind: 'retry', waitSeconds: 1.5 });
  });
  it('hands a wait that would pass the deadline back to the caller', () => {
    expect(decideRetry({ ...base, retryAfterSeconds: 61 })).toEqual({ kind: 'handBack', waitSeconds: 61 });
    expect(decideRetry({ ...base, retryAfterSeconds: 60 })).toEqual({ kind: 'retry', waitSeconds: 60 });
  });
  it('gives up after the last attempt', () => {
    expect(decideRetry({ ...base, attempt: 5, retryAfterSeconds: 1 })).toEqual({ kind: 'fail', waitSeconds: 1 });
  });
});
