/**
 * Fakes Date only (from `at`), for code whose clock cannot be injected (msal's token cache, jose's key cache and
 * cooldown): sockets, timers and microtasks stay real. Undo with jest.useRealTimers().
 */
export function fakeDateOnly(at: number): void {
  jest.useFakeTimers({
    doNotFake: [
      'nextTick',
      'setImmediate',
      'clearImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
    now: at,
  });
}
