// `npm run bench -- mime-split`: the MIME scanner's own throughput (attachment-heavy and worst-case text), then,
// against a private Azurite, splitMime versus storing the whole message (MiB/s), and the bytes stored for 50
// messages that share one attachment, split versus whole.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../local/stack/azurite';
import { MimeScanner } from '../shared/mime/scanner';
import { splitMime } from '../shared/mime/split';
import { ContentStore } from '../shared/storage/content-store';
import {
  attachment,
  messageHeaders,
  mimeBytes,
  MimeNode,
  multipart,
  seededBytes,
  textPart,
  withHeaders,
} from '../test/support/mime-builder';

const MiB = 1024 * 1024;
const rate = (bytes: number, ms: number): string => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;

function chunks(bytes: Buffer, size = 64 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Best of three runs of the scanner alone over `input` in 64 KiB chunks. */
function scannerRate(input: Buffer): string {
  const pieces = chunks(input);
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const started = process.hrtime.bigint();
    const scanner = new MimeScanner();
    for (const c of pieces) scanner.push(c);
    scanner.end();
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return rate(input.length, best);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = Date.now();
  const value = await fn();
  return { ms: Date.now() - started, value };
}

async function main(): Promise<void> {
  const withAttachment = mimeBytes(
    withHeaders(
      messageHeaders('Big', 'big'),
      multipart('mixed', [textPart('text/plain', 'hi'), attachment('big.bin', seededBytes('big', 64 * MiB))]),
    ),
  );
  // Worst case for the scanner: every line of a long text body starts with '-' and must be checked as a delimiter.
  const dashes = mimeBytes(
    multipart('mixed', [textPart('text/plain', '- an item of a long list, not a boundary\n'.repeat(500_000))]),
  );
  console.log(
    `scanner, 64 MiB attachment (${(withAttachment.length / MiB).toFixed(0)} MiB MIME): ${scannerRate(withAttachment)}`,
  );
  console.log(
    `scanner, ${(dashes.length / MiB).toFixed(0)} MiB of text lines all starting with '-': ${scannerRate(dashes)}`,
  );

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-bench-mime-'));
  const azurite = await startAzurite({ dataDir: dir });
  try {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('bench');
    await container.create();
    const store = new ContentStore(container);
    const whole = await timed(() => store.put('whole', Readable.from(chunks(withAttachment))));
    const split = await timed(() => splitMime('split', Readable.from(chunks(withAttachment)), store));
    console.log(
      `store a ${(withAttachment.length / MiB).toFixed(0)} MiB message: whole ${rate(withAttachment.length, whole.ms)}, split ${rate(withAttachment.length, split.ms)} (Azurite on this machine)`,
    );

    const deck = seededBytes('deck', 2 * MiB);
    const messages: MimeNode[] = Array.from({ length: 50 }, (_, i) =>
      withHeaders(
        messageHeaders(`Deck ${i}`, `deck${i}`),
        multipart('mixed', [
          textPart('text/plain', `reply ${i} `.repeat(200)),
          attachment('deck.pptx', deck),
          attachment(`own-${i}.pdf`, seededBytes(`own${i}`, 100 * 1024)),
        ]),
      ),
    );
    let original = 0;
    let storedWhole = 0;
    let storedSplit = 0;
    const splitAll = await timed(async () => {
      for (const m of messages) {
        const bytes = mimeBytes(m);
        original += bytes.length;
        storedWhole += (await store.put('tenant-whole', bytes)).storedBytes;
        storedSplit += (await splitMime('tenant-split', Readable.from([bytes]), store)).storedBytes;
      }
    });
    console.log(
      `50 messages sharing a 2 MiB attachment (${(original / MiB).toFixed(0)} MiB of MIME): stored whole ${(storedWhole / MiB).toFixed(1)} MiB, split ${(storedSplit / MiB).toFixed(1)} MiB (${(storedWhole / storedSplit).toFixed(1)}x less), ${splitAll.ms} ms for both`,
    );
  } finally {
    await azurite.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
