import {
  Action,
  firstDivergence,
  flatten,
  retryDelayMs,
  signature,
  takesSequenceId,
} from '../../../local/host/durable/actions';

const act = (actionType: number, functionName?: string): Action => ({
  actionType,
  ...(functionName ? { functionName } : {}),
});

describe('orchestrator actions', () => {
  it('flattens Task.all / Task.any depth-first, as the SDK allocates sequence ids', () => {
    const actions: Action[] = [
      {
        actionType: 12,
        compoundActions: [act(0, 'a'), { actionType: 11, compoundActions: [act(0, 'b'), act(5)] }, act(0, 'c')],
      },
      act(2, 'child'),
    ];
    expect(flatten(actions).map(signature)).toEqual([
      'CallActivity(a)',
      'CallActivity(b)',
      'CreateTimer()',
      'CallActivity(c)',
      'CallSubOrchestrator(child)',
    ]);
  });
  it('knows which actions take a sequence id', () => {
    expect([0, 1, 2, 3, 5].every((t) => takesSequenceId(act(t)))).toBe(true);
    expect(takesSequenceId({ actionType: 6, externalEventName: 'approve' })).toBe(false);
    expect(takesSequenceId(act(4))).toBe(false);
  });
  it('finds the first divergence between history and replay', () => {
    expect(firstDivergence(['CallActivity(a)', 'CreateTimer()'], [act(0, 'a'), act(5), act(0, 'new')])).toBeUndefined();
    expect(firstDivergence(['CallActivity(a)', 'CreateTimer()'], [act(0, 'a'), act(0, 'b')])).toEqual({
      index: 1,
      recorded: 'CreateTimer()',
      replayed: 'CallActivity(b)',
    });
  });
  it('computes retry delays with backoff and a cap', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(300, 2, 1000, n))).toEqual([300, 600, 1000, 1000]);
  });
});
