import type { Stack } from '../../local/stack/stack';

/** Reads a setting the global setup exported, failing loudly when a test runs without the stack. */
export function stackEnv(
  name:
    | 'AzureWebJobsStorage'
    | 'M365V_STORAGE_CONNECTION_STRING'
    | 'M365V_COSMOS_ENDPOINT'
    | 'M365V_COSMOS_KEY'
    | 'M365V_COSMOS_CA_CERT_FILE'
    | 'M365V_COSMOS_DATABASE',
): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest with test/support/global-setup`);
  return value;
}

/** A name unique to this test file and run, for isolating tables, containers and task hubs. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`
    .replace(/[^a-z0-9]/gi, '')
    .slice(0, 40);
}

/** The stack the global setup started, as startLocalApp takes it (so test files share it instead of starting one). */
export function sharedStack(): Stack {
  const env = {
    AzureWebJobsStorage: stackEnv('AzureWebJobsStorage'),
    M365V_STORAGE_CONNECTION_STRING: stackEnv('M365V_STORAGE_CONNECTION_STRING'),
    M365V_COSMOS_ENDPOINT: stackEnv('M365V_COSMOS_ENDPOINT'),
    M365V_COSMOS_KEY: stackEnv('M365V_COSMOS_KEY'),
    M365V_COSMOS_CA_CERT_FILE: stackEnv('M365V_COSMOS_CA_CERT_FILE'),
    M365V_COSMOS_DATABASE: stackEnv('M365V_COSMOS_DATABASE'),
  };
  return {
    dataDir: '',
    blobUrl: '',
    queueUrl: '',
    tableUrl: '',
    storageConnectionString: env.M365V_STORAGE_CONNECTION_STRING,
    cosmosEndpoint: env.M365V_COSMOS_ENDPOINT,
    cosmosKey: env.M365V_COSMOS_KEY,
    cosmosCaCertFile: env.M365V_COSMOS_CA_CERT_FILE,
    cosmosDatabase: env.M365V_COSMOS_DATABASE,
    stop: async () => undefined,
    env,
  };
}
