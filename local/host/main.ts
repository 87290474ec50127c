// CLI: `node dist/local/host/main.js --app <dir> [--port N] [--no-timers] [--virtual-clock <offsetMs>]` (virtual-clock.ts:
// the clock starts that far ahead and moves on request). Storage comes from
// AzureWebJobsStorage, as for the real host; M365V_HOST_MAX_PAYLOAD_BYTES sets the payload guard (0: off);
// FUNCTIONS_REQUEST_BODY_SIZE_LIMIT and M365V_HOST_MAX_BUFFERED_BODY_BYTES the HTTP body limits (http-trigger.ts);
// M365V_HOST_DURABLE_SYSTEM_KEY the Durable webhooks' system key (random when unset; never printed);
// M365V_HOST_HEAP_LOG=1 prints the live heap after each major collection (heap-after-gc.ts).
// Prints `[host] listening on <url>` once ready.
import path from 'node:path';
import { payloadLimit, PAYLOAD_LIMIT_SETTING } from './durable/payload-limits';
import { SYSTEM_KEY_SETTING } from './durable/http-api';
import { logHeapAfterMajorGc } from './heap-after-gc';
import { httpLimitsFrom } from './http-trigger';
import { startHost } from './server';
import { installVirtualClock } from './virtual-clock';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const appDir = path.resolve(value('--app') ?? process.cwd());
  const clockOffset = value('--virtual-clock');
  const virtualClock = clockOffset !== undefined;
  // Before the app loads, so every module's Date is the moved one.
  if (virtualClock) installVirtualClock(Number(clockOffset) || 0);
  if (process.env.M365V_HOST_HEAP_LOG) logHeapAfterMajorGc();
  const storage = process.env.AzureWebJobsStorage;
  if (!storage) throw new Error('AzureWebJobsStorage is not set (the local stack provides it)');
  const host = await startHost({
    appDir,
    port: Number(value('--port') ?? 0),
    storageConnectionString: storage,
    timers: !args.includes('--no-timers'),
    virtualClock,
    maxPayloadBytes: payloadLimit(process.env[PAYLOAD_LIMIT_SETTING]),
    http: httpLimitsFrom(process.env),
    ...(process.env[SYSTEM_KEY_SETTING] ? { durableSystemKey: process.env[SYSTEM_KEY_SETTING] } : {}),
  });
  console.log(`[host] listening on ${host.url}`);
  const stop = (): void => {
    void host.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: Error) => {
  console.error(`[host] failed to start: ${e.stack ?? e.message}`);
  process.exit(1);
});
