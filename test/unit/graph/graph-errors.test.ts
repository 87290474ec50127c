import {
  GraphRequestError,
  GraphResyncRequiredError,
  GraphThrottledError,
  isResync,
  parseEnvelope,
} from '../../../shared/graph/graph-errors';
import { ResyncRequired, WaitRequired } from '../../../shared/backup/ports';

describe('Graph error envelope', () => {
  it('reads code, message and the deepest inner code', () => {
    const body = JSON.stringify({
      error: {
        code: 'invalidRequest',
        message: 'Bad',
        innerError: { code: 'badArgument', innerError: { code: 'malformedEntityTag', 'request-id': 'r-1' } },
      },
    });
    expect(parseEnvelope(body)).toEqual({
      code: 'invalidRequest',
      message: 'Bad',
      innerCode: 'malformedEntityTag',
      requestId: 'r-1',
    });
  });
  it("keeps the last inner code found when the deepest level has none (Graph's 429 shape)", () => {
    const body = {
      error: {
        code: 'TooManyRequests',
        message: 'Please retry again later.',
        innerError: { code: '429', date: '2020-08-18T12:51:51', 'request-id': 'r-2', innerError: { date: 'x' } },
      },
    };
    expect(parseEnvelope(body)).toMatchObject({ code: 'TooManyRequests', innerCode: '429', requestId: 'r-2' });
  });
  it('accepts the lower-case innererror spelling and Buffers', () => {
    expect(
      parseEnvelope(Buffer.from('{"error":{"code":"notAllowed","innererror":{"code":"resourceLocked"}}}')),
    ).toMatchObject({ code: 'notAllowed', innerCode: 'resourceLocked' });
  });
  it('returns nothing for bodies that are not an envelope', () => {
    expect(parseEnvelope('<html>502 Bad Gateway</html>')).toEqual({});
    expect(parseEnvelope('')).toEqual({});
    expect(parseEnvelope({ value: [] })).toEqual({});
    expect(parseEnvelope('null')).toEqual({});
  });
  it('survives a cyclic-looking deep chain without looping forever', () => {
    let inner: Record<string, unknown> = { code: 'leaf' };
    for (let i = 0; i < 100; i++) inner = { code: `c${i}`, innerError: inner };
    expect(parseEnvelope({ error: { code: 'top', innerError: inner } }).innerCode).toBe('c84');
  });
});

describe('Graph errors', () => {
  it('carry what alarms need and say it in the message', () => {
    const e = new GraphRequestError({
      status: 403,
      code: 'ErrorAccessDenied',
      innerCode: 'x',
      graphMessage: 'Access is denied.',
      requestId: 'req-9',
      operation: 'mail.read',
    });
    expect(e).toMatchObject({
      status: 403,
      code: 'ErrorAccessDenied',
      innerCode: 'x',
      requestId: 'req-9',
      operation: 'mail.read',
      name: 'GraphRequestError',
    });
    expect(e.message).toBe(
      'Microsoft Graph answered 403 ErrorAccessDenied/x to mail.read: Access is denied. (request-id req-9)',
    );
  });
  it('hand throttling and resync to the sync engine through its own types', () => {
    const t = new GraphThrottledError(42, 429, 'mail.read', 'req-1');
    expect(t).toBeInstanceOf(WaitRequired);
    expect(t.retryAfterSeconds).toBe(42);
    const r = new GraphResyncRequiredError(
      'https://graph.example/v1.0/drives/d/root/delta',
      'resyncRequired',
      'resyncChangesApplyDifferences',
    );
    expect(r).toBeInstanceOf(ResyncRequired);
    expect(r.location).toBe('https://graph.example/v1.0/drives/d/root/delta');
  });
  it('recognise every resync signal Graph uses', () => {
    expect(isResync(410, 'SyncStateNotFound', undefined)).toBe(true);
    expect(isResync(400, 'syncStateNotFound', undefined)).toBe(true);
    expect(isResync(410, 'resyncRequired', 'resyncChangesApplyDifferences')).toBe(true);
    expect(isResync(400, 'invalidRequest', 'resyncUploadDifferences')).toBe(true);
    expect(isResync(404, 'ErrorItemNotFound', undefined)).toBe(false);
  });
});
