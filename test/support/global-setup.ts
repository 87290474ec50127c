import { startStack, Stack } from '../../local/stack/stack';

/**
 * One local stack (Azurite + Cosmos DB stand-in) per test run. Its settings go into process.env, which jest's
 * workers inherit; test files isolate themselves by names (tables, containers, databases), not by new servers.
 */
export default async function globalSetup(): Promise<void> {
  const stack = await startStack({ cosmosDatabase: 'm365vault' });
  Object.assign(process.env, stack.env);
  (globalThis as { __M365V_STACK__?: Stack }).__M365V_STACK__ = stack;
}
