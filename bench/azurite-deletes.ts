// `npm run bench -- azurite-deletes [--blobs 20000]`: the Azurite stand-in's cost per blob operation as its container
// grows, in the pattern retention's collection uses (list 16 hash slices 4 at a time, condemn half the blobs with
// If-Match, then delete them). Before local/stack/azurite-main.ts removed small batches one by one, each delete
// re-sorted every LokiJS index: 10,000 deletes among 20,000 blobs took 399 s.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient, type BlobItem, type ContainerClient } from '@azure/storage-blob';
import { numberArg } from './args';
import { startAzurite } from '../local/stack/azurite';

async function pool<T>(inputs: readonly T[], width: number, work: (input: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < inputs.length) await work(inputs[next++]);
    }),
  );
}

/** One pass over every blob, 16 slices by the first hex digit, 4 at a time, as retentionCollect runs. */
const pass = (c: ContainerClient, work: (item: BlobItem) => Promise<void>): Promise<void> =>
  pool('0123456789abcdef'.split(''), 4, async (slice) => {
    for await (const item of c.listBlobsFlat({ prefix: `t/sha256/${slice}`, includeMetadata: true })) await work(item);
  });

async function main(): Promise<void> {
  const blobs = numberArg('blobs', 20_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-deletes-'));
  const azurite = await startAzurite({ dataDir: dir });
  try {
    const c = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('content');
    await c.create();
    const names = Array.from(
      { length: blobs },
      (_, i) => `t/sha256/${crypto.createHash('sha256').update(String(i)).digest('hex')}`,
    );
    const timed = async (label: string, work: () => Promise<number>): Promise<void> => {
      const t0 = Date.now();
      const n = await work();
      const s = (Date.now() - t0) / 1000;
      console.log(`${label}: ${n} blobs in ${s.toFixed(1)} s (${((1000 * s) / Math.max(1, n)).toFixed(1)} ms each)`);
    };
    await timed('upload', async () => {
      await pool(names, 32, async (n) => void (await c.getBlockBlobClient(n).upload('x'.repeat(100), 100)));
      return names.length;
    });
    await timed('condemn half (setMetadata, If-Match)', async () => {
      let k = 0;
      let n = 0;
      await pass(c, async (item) => {
        if (k++ % 2) return;
        await c
          .getBlobClient(item.name)
          .setMetadata({ condemnedat: new Date().toISOString() }, { conditions: { ifMatch: item.properties.etag } });
        n++;
      });
      return n;
    });
    await timed('delete the condemned (If-Match)', async () => {
      let n = 0;
      await pass(c, async (item) => {
        if (!item.metadata?.condemnedat) return;
        await c.getBlobClient(item.name).delete({ conditions: { ifMatch: item.properties.etag } });
        n++;
      });
      return n;
    });
  } finally {
    await azurite.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
