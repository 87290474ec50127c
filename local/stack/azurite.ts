import path from 'node:path';
import { spawnUntilReady } from './child-process';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteEndpoints {
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  connectionString: string;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  dataDir: string;
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
}

const listening = (service: string): RegExp =>
  new RegExp(`Azurite ${service} service is successfully listening at (http://\\S+)`);

/** Starts Azurite (blob, queue, table) on loopback; port 0 means a free port chosen by the OS. */
export async function startAzurite(opts: AzuriteOptions): Promise<AzuriteEndpoints> {
  const script = path.join(__dirname, 'azurite-main.js');
  const args = [
    '--location',
    opts.dataDir,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(opts.blobPort ?? 0),
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    String(opts.queuePort ?? 0),
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(opts.tablePort ?? 0),
    // Newer SDKs send API versions Azurite does not know yet; it would reject them with 400.
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
  ];
  const started = await spawnUntilReady('Azurite', script, args, [
    listening('Blob'),
    listening('Queue'),
    listening('Table'),
  ]);
  const [blob, queue, table] = started.matches.map((m) => `${m[1]}/${AZURITE_ACCOUNT}`);
  // Azurite's published development account (never a deployment's): the SDKs take it as a connection string.
  const fields = {
    DefaultEndpointsProtocol: 'http',
    AccountName: AZURITE_ACCOUNT,
    AccountKey: AZURITE_KEY,
    BlobEndpoint: blob,
    QueueEndpoint: queue,
    TableEndpoint: table,
  };
  const connectionString = Object.entries(fields)
    .map(([k, v]) => `${k}=${v};`)
    .join('');
  return { blobUrl: blob, queueUrl: queue, tableUrl: table, connectionString, stop: () => started.stop() };
}
