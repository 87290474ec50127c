// Pure rules about the actions an orchestrator returns (schema V3): flattening, signatures for the
// non-determinism check, and the retry delays DTFx's RetryInterceptor uses.

export interface Action {
  actionType: number;
  functionName?: string;
  externalEventName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  retryOptions?: {
    firstRetryIntervalInMilliseconds: number;
    maxNumberOfAttempts: number;
    backoffCoefficient?: number;
    maxRetryIntervalInMilliseconds?: number;
  };
  compoundActions?: Action[];
}

const ACTION_NAMES: Record<number, string> = {
  0: 'CallActivity',
  1: 'CallActivityWithRetry',
  2: 'CallSubOrchestrator',
  3: 'CallSubOrchestratorWithRetry',
  4: 'ContinueAsNew',
  5: 'CreateTimer',
  6: 'WaitForExternalEvent',
  7: 'CallEntity',
  8: 'CallHttp',
  9: 'SignalEntity',
  13: 'Lock',
  14: 'ReleaseEntities',
};

/** Action types the host runs; the rest (entities, callHttp) fail the orchestration with a clear message. */
export const SUPPORTED = new Set([0, 1, 2, 3, 4, 5, 6]);

/** `CallActivity(name)`, `CreateTimer()`, `WaitForExternalEvent(approve)`: what history records for a position. */
export const signature = (a: Action): string =>
  `${ACTION_NAMES[a.actionType] ?? `Action${a.actionType}`}(${a.functionName ?? a.externalEventName ?? ''})`;

/** Task.all / Task.any nest their children; the SDK allocates sequence ids depth-first, so flatten the same way. */
export function flatten(actions: readonly Action[], out: Action[] = []): Action[] {
  for (const a of actions) {
    if (a.compoundActions) flatten(a.compoundActions, out);
    else out.push(a);
  }
  return out;
}

/** Whether the action takes a sequence id (external-event waits and continue-as-new do not). */
export const takesSequenceId = (a: Action): boolean => a.actionType !== 6 && a.actionType !== 4;

/** The first position where replay yields something other than what history recorded, if any. */
export function firstDivergence(
  recorded: readonly string[],
  replayed: readonly Action[],
): { index: number; recorded: string; replayed: string } | undefined {
  for (let i = 0; i < Math.min(recorded.length, replayed.length); i++) {
    const sig = signature(replayed[i]);
    if (sig !== recorded[i]) return { index: i, recorded: recorded[i], replayed: sig };
  }
  return undefined;
}

/** Delay before retrying after failed attempt `attempt` (1-based): first × backoff^(attempt-1), capped. */
export const retryDelayMs = (first: number, backoff: number, maxMs: number, attempt: number): number =>
  Math.min(first * backoff ** (attempt - 1), maxMs);
