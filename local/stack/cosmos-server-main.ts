// Child-process entry for the local Cosmos DB stand-in: @vercel/cosmosdb-server over TLS with the stack's own
// loopback certificate (the package's bundled certificate expired in 2021 and names no loopback address).
import fs from 'node:fs';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { installLinearScan } from './cosmos-linear-scan';
import { installPartitionScope, scopeQueriesToPartitions } from './cosmos-partition-scope';
import { declineQueryPlans } from './cosmos-query-plans';
import { countRequests } from './cosmos-request-stats';
import { installShortCircuit } from './cosmos-short-circuit';

const [certFile, keyFile, portArg] = process.argv.slice(2);
if (!certFile || !keyFile) {
  console.error('usage: cosmos-server-main <certFile> <keyFile> [port]');
  process.exit(2);
}
if (!installLinearScan())
  console.warn('[cosmos] query compiler changed shape: queries stay O(n²) in the container size');
if (!installShortCircuit()) console.warn('[cosmos] query helpers changed shape: AND / OR evaluate both sides');
if (!installPartitionScope()) console.warn('[cosmos] document store changed shape: queries scan every partition');
// Keep-alive, as Cosmos DB's gateway: the stand-in's default answers `Connection: close`, so every request of the
// SDK paid a new TLS handshake (a quarter of the host's CPU in a year of daily runs) that Azure never charges.
const server = createHttpsServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), keepAlive: true });
// Idle connections stay until their client closes them: the stand-in writes its own `Connection` header, so Node
// sends no `Keep-Alive: timeout` hint, and a server closing an idle socket would race a client reusing it
// (ECONNRESET, which the SDK retries for reads only).
server.keepAliveTimeout = 0;
declineQueryPlans(server);
scopeQueriesToPartitions(server);
countRequests(server);
server.listen(Number(portArg ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`[cosmos] listening on https://127.0.0.1:${port}`);
});
const close = (): void => {
  server.close(() => process.exit(0));
  // A connection mid-request would hold close() open; the store is in memory, so nothing is lost by cutting it.
  server.closeAllConnections();
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
