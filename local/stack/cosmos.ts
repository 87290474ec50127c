import path from 'node:path';
import { spawnUntilReady } from './child-process';
import { ensureLoopbackCert } from './loopback-cert';

/** The Cosmos DB emulator's published well-known key; cosmosdb-server does not check it. Not a secret. */
export const COSMOS_EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU9DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosEndpoint {
  endpoint: string;
  key: string;
  /** PEM file of the server's certificate, which clients must trust as their CA. */
  caCertFile: string;
  stop(): Promise<void>;
}

export async function startCosmos(opts: { dataDir: string; port?: number }): Promise<CosmosEndpoint> {
  const { certFile, keyFile } = await ensureLoopbackCert(opts.dataDir);
  const script = path.join(__dirname, 'cosmos-server-main.js');
  const started = await spawnUntilReady(
    'Cosmos DB server',
    script,
    [certFile, keyFile, String(opts.port ?? 0)],
    [/\[cosmos\] listening on (https:\/\/\S+)/],
  );
  return {
    endpoint: started.matches[0][1],
    key: COSMOS_EMULATOR_KEY,
    caCertFile: certFile,
    stop: () => started.stop(),
  };
}
