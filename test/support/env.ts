/** Reads a setting the global setup exported, failing loudly when a test runs without the stack. */
export function stackEnv(name: 'AzureWebJobsStorage' | 'M365V_STORAGE_CONNECTION_STRING' | 'M365V_COSMOS_ENDPOINT' | 'M365V_COSMOS_KEY' | 'M365V_COSMOS_CA_CERT_FILE' | 'M365V_COSMOS_DATABASE'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest with test/support/global-setup`);
  return value;
}

/** A name unique to this test file and run, for isolating tables, containers and task hubs. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.replace(/[^a-z0-9]/gi, '').slice(0, 40);
}
