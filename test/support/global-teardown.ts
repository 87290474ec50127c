import type { Stack } from '../../local/stack/stack';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __M365V_STACK__?: Stack }).__M365V_STACK__?.stop();
}
