import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import layout from '../../shared/catalog/containers.json';
import { startStack } from '../../local/stack/stack';
import { stackEnv } from '../support/env';

describe('local stack', () => {
  it('serves Blob Storage through the well-known development account', async () => {
    const blobs = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING'));
    const container = blobs.getContainerClient('content');
    expect(await container.exists()).toBe(true);
    const blob = container.getBlockBlobClient(`stack-test/${Date.now()}`);
    await blob.upload('hello', 5);
    expect((await blob.downloadToBuffer()).toString()).toBe('hello');
    await blob.delete();
  });

  it('serves Cosmos DB over TLS that clients verify against the stack certificate, with every catalog container', async () => {
    const client = new CosmosClient({
      endpoint: stackEnv('M365V_COSMOS_ENDPOINT'),
      key: stackEnv('M365V_COSMOS_KEY'),
      agent: new https.Agent({ ca: fs.readFileSync(stackEnv('M365V_COSMOS_CA_CERT_FILE')) }),
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    const db = client.database(stackEnv('M365V_COSMOS_DATABASE'));
    const { resources } = await db.containers.readAll().fetchAll();
    expect(resources.map((c) => c.id).sort()).toEqual(layout.containers.map((c) => c.name).sort());
    const ops = resources.find((c) => c.id === 'operations');
    expect(ops?.defaultTtl).toBe(432000);
    client.dispose();
  });

  it('keeps Cosmos DB connections alive, as the service does, so requests do not each pay a TLS handshake', async () => {
    const agent = new https.Agent({ ca: fs.readFileSync(stackEnv('M365V_COSMOS_CA_CERT_FILE')), keepAlive: true });
    const client = new CosmosClient({
      endpoint: stackEnv('M365V_COSMOS_ENDPOINT'),
      key: stackEnv('M365V_COSMOS_KEY'),
      agent,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    let connections = 0;
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof createConnection>) => {
      connections++;
      return createConnection(...args);
    };
    const db = client.database(stackEnv('M365V_COSMOS_DATABASE'));
    for (let i = 0; i < 5; i++) await db.read();
    expect(connections).toBe(1);
    client.dispose();
    agent.destroy();
  });

  it('refuses a client that does not trust the stack certificate', async () => {
    const client = new CosmosClient({
      endpoint: stackEnv('M365V_COSMOS_ENDPOINT'),
      key: stackEnv('M365V_COSMOS_KEY'),
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    await expect(client.databases.readAll().fetchAll()).rejects.toThrow(/self[- ]signed|certificate/i);
    client.dispose();
  });

  it('starts a second stack on free ports, reuses a configured data folder, and stops every process', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-test-'));
    const stack = await startStack({ dataDir });
    try {
      expect(stack.blobUrl).not.toBe(process.env.M365V_STORAGE_CONNECTION_STRING);
      const blobs = BlobServiceClient.fromConnectionString(stack.storageConnectionString);
      await blobs.getContainerClient('content').getBlockBlobClient('persisted').upload('x', 1);
    } finally {
      await stack.stop();
    }
    await expect(fetch(stack.blobUrl)).rejects.toThrow();
    const again = await startStack({ dataDir });
    try {
      const blobs = BlobServiceClient.fromConnectionString(again.storageConnectionString);
      expect(
        (await blobs.getContainerClient('content').getBlockBlobClient('persisted').downloadToBuffer()).toString(),
      ).toBe('x');
    } finally {
      await again.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('removes a data folder it created for itself when stopped', async () => {
    const stack = await startStack();
    expect(fs.existsSync(stack.dataDir)).toBe(true);
    await stack.stop();
    expect(fs.existsSync(stack.dataDir)).toBe(false);
  });
});
