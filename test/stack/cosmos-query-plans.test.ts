import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { CosmosClient } from '@azure/cosmos';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { ensureLoopbackCert } from '../../local/stack/loopback-cert';
import { declineQueryPlans } from '../../local/stack/cosmos-query-plans';
import { COSMOS_EMULATOR_KEY } from '../../local/stack/cosmos';
import { partitionKeyOf } from '../../local/stack/provision';

describe('Cosmos DB stand-in: query plan requests', () => {
  it('are declined without running the query (one per iterator, which the API makes per page), and queries still page correctly', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-plans-'));
    const { certFile, keyFile } = await ensureLoopbackCert(dir);
    const server = createHttpsServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) });
    // Counted beside the stand-in's own handler (what it executes) and ahead of the filter (what the SDK sends).
    const seen = { plansSent: 0, plansExecuted: 0, queriesExecuted: 0 };
    server.on('request', (req) => {
      if (req.headers['x-ms-cosmos-is-query-plan-request']) seen.plansExecuted++;
      if (req.headers['x-ms-documentdb-isquery']) seen.queriesExecuted++;
    });
    declineQueryPlans(server);
    server.prependListener('request', (req) => {
      if (req.headers['x-ms-cosmos-is-query-plan-request']) seen.plansSent++;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new CosmosClient({
      endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      key: COSMOS_EMULATOR_KEY,
      agent: new https.Agent({ ca: fs.readFileSync(certFile) }),
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    try {
      const { database } = await client.databases.createIfNotExists({ id: 'plans' });
      const { container } = await database.containers.createIfNotExists({
        id: 'v',
        partitionKey: partitionKeyOf(['/p', '/c', '/id']),
      });
      for (let i = 0; i < 5; i++) await container.items.create({ id: `d${i}`, p: 'x', c: 'y', n: 4 - i });
      const iterator = container.items.query<{ n: number }>(
        { query: 'SELECT * FROM c WHERE c.p = @p ORDER BY c.n', parameters: [{ name: '@p', value: 'x' }] },
        { partitionKey: ['x'], maxItemCount: 2 },
      );
      const pages: number[][] = [];
      while (iterator.hasMoreResults()) pages.push((await iterator.fetchNext()).resources.map((d) => d.n));
      expect(pages.flat()).toEqual([0, 1, 2, 3, 4]);
      expect(seen).toEqual({ plansSent: 1, plansExecuted: 0, queriesExecuted: pages.length });
    } finally {
      client.dispose();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
