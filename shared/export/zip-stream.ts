// A streaming ZIP writer: entries are deflated as they stream (no entry is ever held whole) and sizes follow each
// entry in a data descriptor. Every entry is ZIP64 so exports larger than 4 GB stay valid; Windows Explorer, macOS
// Archive Utility, Info-ZIP and Python read this layout.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createDeflateRaw, crc32 } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, '/'-separated. */
  name: string;
  modified: Date;
  open(): Promise<Readable>;
}

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

function dosDateTime(d: Date): [number, number] {
  const year = Math.max(1980, d.getUTCFullYear());
  return [
    (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  ];
}

/** Names come from user data (subjects, file names): no absolute paths, no '..', no control characters. */
export function safeEntryName(name: string): string {
  const parts = name
    .replace(/\\/g, '/')
    .split('/')
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
    .map((p) => p.replace(/[\u0000-\u001f<>:"|?*]/g, '_').trim())
    .filter((p) => p && p !== '.' && p !== '..');
  return parts.join('/') || 'unnamed';
}

const FLAGS = 0x0808; // data descriptor follows (sizes unknown up front) + UTF-8 names
const VERSION = 45; // ZIP64
const DEFLATE = 8;
const MAX32 = 0xffffffff;

/** Entry names as they go into one archive: sanitised, and a second 'a.eml' becomes 'a (2).eml' (two mails, one subject). */
export class ZipNames {
  private readonly used = new Set<string>();

  take(raw: string): string {
    let name = safeEntryName(raw);
    for (let i = 2; this.used.has(name.toLowerCase()); i++)
      name = name.replace(/(\.[^./]*)?$/, (ext) => ` (${i})${ext}`);
    this.used.add(name.toLowerCase());
    return name;
  }
}

/**
 * One entry at `offset` in the archive: yields its local header, its deflated bytes as they stream and its data
 * descriptor; returns its central-directory record.
 */
export async function* entryBytes(entry: ZipEntry, name: string, offset: number): AsyncGenerator<Buffer, Buffer> {
  const nameBytes = Buffer.from(name, 'utf8');
  const [time, date] = dosDateTime(entry.modified);
  yield Buffer.concat([
    u32(0x04034b50),
    u16(VERSION),
    u16(FLAGS),
    u16(DEFLATE),
    u16(time),
    u16(date),
    u32(0),
    u32(MAX32),
    u32(MAX32),
    u16(nameBytes.length),
    u16(20),
    nameBytes,
    u16(0x0001),
    u16(16),
    u64(0),
    u64(0),
  ]);
  let crc = 0;
  let size = 0;
  let compressed = 0;
  const deflate = createDeflateRaw({ level: constants.Z_DEFAULT_COMPRESSION });
  const source = await entry.open();
  source.on('data', (chunk: Buffer) => {
    crc = crc32(chunk, crc);
    size += chunk.length;
  });
  // pipeline, not pipe: a source that fails fails the entry (and the archive) instead of leaving it waiting for ever,
  // and an archive abandoned mid-entry (the client went away) releases the source. Errors surface from `deflate`.
  pipeline(source, deflate).catch(() => undefined);
  for await (const chunk of deflate as AsyncIterable<Buffer>) {
    compressed += chunk.length;
    yield chunk;
  }
  yield Buffer.concat([u32(0x08074b50), u32(crc), u64(compressed), u64(size)]);
  return Buffer.concat([
    u32(0x02014b50),
    u16((3 << 8) | VERSION),
    u16(VERSION),
    u16(FLAGS),
    u16(DEFLATE),
    u16(time),
    u16(date),
    u32(crc),
    u32(MAX32),
    u32(MAX32),
    u16(nameBytes.length),
    u16(28),
    u16(0),
    u16(0),
    u16(0),
    u32((0o100644 << 16) >>> 0),
    u32(MAX32),
    nameBytes,
    u16(0x0001),
    u16(24),
    u64(size),
    u64(compressed),
    u64(offset),
  ]);
}

/** What follows the central directory: the ZIP64 end record and locator, and the classic end record. */
export function endOfCentralDirectory(count: number, cdOffset: number, cdSize: number): Buffer {
  const zip64End = cdOffset + cdSize;
  return Buffer.concat([
    u32(0x06064b50),
    u64(44),
    u16((3 << 8) | VERSION),
    u16(VERSION),
    u32(0),
    u32(0),
    u64(count),
    u64(count),
    u64(cdSize),
    u64(cdOffset),
    u32(0x07064b50),
    u32(0),
    u64(zip64End),
    u32(1),
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(Math.min(count, 0xffff)),
    u16(Math.min(count, 0xffff)),
    u32(Math.min(cdSize, MAX32)),
    u32(MAX32),
    u16(0),
  ]);
}

export function zipStream(entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    const names = new ZipNames();
    const central: Buffer[] = [];
    let offset = 0;
    for await (const entry of entries) {
      const bytes = entryBytes(entry, names.take(entry.name), offset);
      try {
        for (let next = await bytes.next(); ; next = await bytes.next()) {
          if (next.done) {
            central.push(next.value);
            break;
          }
          offset += next.value.length;
          yield next.value;
        }
      } finally {
        // An archive abandoned mid-entry (the reader went away) ends the entry too, which releases its source.
        await bytes.return(Buffer.alloc(0));
      }
    }
    let cdSize = 0;
    for (const c of central) {
      yield c;
      cdSize += c.length;
    }
    yield endOfCentralDirectory(central.length, offset, cdSize);
  }
  return Readable.from(generate(), { objectMode: false });
}
