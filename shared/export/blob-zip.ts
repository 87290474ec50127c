// A zip written into a block blob over several steps (activities), so an export of any size finishes however long it
// takes. Each step writes whole entries into staged blocks and stops at an entry boundary when told; what it wrote is
// a few numbers (the cursor), never the data. Blocks are named by their position, so a step that is retried stages
// the same ids again and a crash loses nothing: only the block list committed at the end makes the blob. The central
// directory of each step's entries is staged as a block of its own, and the final commit orders the blocks as a zip
// reads: every entry's data, then every step's directory records, then the end records.
import type { ZipEntry } from './zip-stream';
import { endOfCentralDirectory, entryBytes, ZipNames } from './zip-stream';

export interface ZipCursor {
  /** Entries written so far (the entry source must list them again in the same order). */
  entries: number;
  /** Bytes of entry data written so far: where the next entry starts. */
  offset: number;
  dataBlocks: number;
  directoryBlocks: number;
  directoryBytes: number;
}

export const ZIP_START: ZipCursor = { entries: 0, offset: 0, dataBlocks: 0, directoryBlocks: 0, directoryBytes: 0 };

export interface BlockSink {
  stage(blockId: string, body: Buffer): Promise<void>;
  commit(blockIds: string[]): Promise<void>;
}

/** Azure Storage commits at most this many blocks into one blob. */
export const MAX_BLOCKS = 50_000;
const BLOCK_BYTES = 8 * 1024 * 1024;
/** A step's directory records are held until it ends: bounded, so a step of countless tiny entries ends early. */
const DIRECTORY_BYTES_PER_STEP = 8 * 1024 * 1024;

/** Equal-length ids (the service requires it within a blob): d = entry data, c = directory, e = end records. */
const blockId = (kind: 'd' | 'c' | 'e', n: number): string =>
  Buffer.from(`${kind}${String(n).padStart(9, '0')}`).toString('base64');

export class ExportTooLarge extends Error {}

/**
 * Writes the entries after `cursor.entries` until `more()` (asked after each entry) says stop or the entries end;
 * after the last one it stages the end records and commits the blob. Returns where it stopped and whether the zip is
 * complete. The archive is byte for byte what zipStream writes from the same entries.
 */
export async function zipStep(
  entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>,
  cursor: ZipCursor,
  sink: BlockSink,
  more: () => boolean,
): Promise<{ cursor: ZipCursor; done: boolean }> {
  const names = new ZipNames();
  const source = (async function* () {
    yield* entries;
  })();
  // Entries already written: only their names are taken again, so later ones are renamed as before.
  for (let i = 0; i < cursor.entries; i++) {
    const skipped = await source.next();
    if (skipped.done)
      throw new Error(`the export lists ${i} entries now, ${cursor.entries} before: its recovery point changed`);
    names.take(skipped.value.name);
  }
  const next = { ...cursor };
  let block: Buffer[] = [];
  let blockBytes = 0;
  const stage = async (kind: 'd' | 'c', body: Buffer): Promise<void> => {
    if (next.dataBlocks + next.directoryBlocks + 2 > MAX_BLOCKS)
      throw new ExportTooLarge(
        `The export needs more than ${MAX_BLOCKS} blocks (about ${(MAX_BLOCKS * BLOCK_BYTES) / 2 ** 30} GiB); export fewer folders at a time.`,
      );
    await sink.stage(blockId(kind, kind === 'd' ? next.dataBlocks++ : next.directoryBlocks++), body);
  };
  const flush = async (): Promise<void> => {
    if (blockBytes === 0) return;
    await stage('d', Buffer.concat(block));
    block = [];
    blockBytes = 0;
  };
  const directory: Buffer[] = [];
  let directoryBytes = 0;
  let ended = false;
  for (;;) {
    const entry = await source.next();
    if (entry.done) {
      ended = true;
      break;
    }
    const bytes = entryBytes(entry.value, names.take(entry.value.name), next.offset);
    for (let chunk = await bytes.next(); ; chunk = await bytes.next()) {
      if (chunk.done) {
        directory.push(chunk.value);
        directoryBytes += chunk.value.length;
        break;
      }
      block.push(chunk.value);
      blockBytes += chunk.value.length;
      next.offset += chunk.value.length;
      if (blockBytes >= BLOCK_BYTES) await flush();
    }
    next.entries++;
    if (!more() || directoryBytes >= DIRECTORY_BYTES_PER_STEP) break;
  }
  await flush();
  if (!ended) await source.return(undefined);
  if (directoryBytes > 0) {
    await stage('c', Buffer.concat(directory));
    next.directoryBytes += directoryBytes;
  }
  if (!ended) return { cursor: next, done: false };
  await sink.stage(blockId('e', 0), endOfCentralDirectory(next.entries, next.offset, next.directoryBytes));
  const ids = [
    ...Array.from({ length: next.dataBlocks }, (_, i) => blockId('d', i)),
    ...Array.from({ length: next.directoryBlocks }, (_, i) => blockId('c', i)),
    blockId('e', 0),
  ];
  await sink.commit(ids);
  return { cursor: next, done: true };
}
