import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlockSink, ZIP_START, ZipCursor, zipStep } from '../../shared/export/blob-zip';
import { safeEntryName, ZipEntry, zipStream } from '../../shared/export/zip-stream';

describe('zipStream', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-zip-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes an archive that Info-ZIP tests clean and extracts byte for byte', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const entries = [
      {
        name: 'Inbox/Quarterly report.eml',
        modified: new Date('2026-11-20T10:11:12Z'),
        body: Buffer.from('Subject: Q3\r\n\r\n' + 'numbers '.repeat(10000)),
      },
      {
        name: 'Inbox/Quarterly report.eml',
        modified: new Date('2026-11-20T10:11:12Z'),
        body: Buffer.from('a second mail with the same subject'),
      },
      { name: 'Documents/Übersicht – 2026.xlsx', modified: new Date('2026-01-02T03:04:05Z'), body: big },
      { name: '../../etc/passwd', modified: new Date('2026-01-01T00:00:00Z'), body: Buffer.from('no escape') },
      { name: 'empty.txt', modified: new Date('2026-01-01T00:00:00Z'), body: Buffer.alloc(0) },
    ];
    const file = path.join(dir, 'export.zip');
    await pipeline(
      zipStream(
        entries.map((e) => ({ name: e.name, modified: e.modified, open: async () => Readable.from([e.body]) })),
      ),
      fs.createWriteStream(file),
    );
    expect(execFileSync('unzip', ['-tq', file]).toString()).toMatch(/No errors detected/);
    const out = path.join(dir, 'out');
    execFileSync('unzip', ['-q', file, '-d', out]);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(fs.readFileSync(path.join(out, 'Documents/Übersicht – 2026.xlsx')))).toBe(sha(big));
    expect(fs.readFileSync(path.join(out, 'Inbox/Quarterly report (2).eml'), 'utf8')).toBe(
      'a second mail with the same subject',
    );
    expect(fs.readFileSync(path.join(out, 'etc/passwd'), 'utf8')).toBe('no escape');
    expect(fs.statSync(path.join(out, 'empty.txt')).size).toBe(0);
  });

  it('writes the same archive in resumable steps into staged blocks, whatever the steps and with a step retried', async () => {
    const big = randomBytes(20 * 1024 * 1024 + 3);
    const bodies = [
      Buffer.from('first mail'),
      big,
      Buffer.from('same name'),
      Buffer.from('same name, second'),
      Buffer.alloc(0),
    ];
    const names = ['Inbox/a.eml', 'Files/big.bin', 'Inbox/b.eml', 'Inbox/b.eml', 'empty'];
    const list = (): ZipEntry[] =>
      bodies.map((b, i) => ({
        name: names[i],
        modified: new Date('2026-03-04T05:06:07Z'),
        open: async () => Readable.from([b]),
      }));
    const chunks: Buffer[] = [];
    for await (const c of zipStream(list())) chunks.push(c as Buffer);
    const streamed = Buffer.concat(chunks);

    const staged = new Map<string, Buffer>();
    let committed: Buffer | undefined;
    const sink: BlockSink = {
      stage: async (id, body) => void staged.set(id, Buffer.from(body)),
      commit: async (ids) => void (committed = Buffer.concat(ids.map((id) => staged.get(id)!))),
    };
    // One entry per step; the third step runs twice (its first attempt "died" after staging its blocks).
    let cursor: ZipCursor = ZIP_START;
    let steps = 0;
    for (let done = false; !done; steps++) {
      if (steps === 2) await zipStep(list(), cursor, sink, () => false);
      ({ cursor, done } = await zipStep(list(), cursor, sink, () => false));
    }
    expect(steps).toBe(bodies.length + 1);
    expect(cursor.dataBlocks).toBeGreaterThan(bodies.length); // the big entry spans several 8 MiB blocks
    expect(committed!.equals(streamed)).toBe(true);
    // And in one step, when time allows.
    committed = undefined;
    expect((await zipStep(list(), ZIP_START, sink, () => true)).done).toBe(true);
    expect(committed!.equals(streamed)).toBe(true);
    const file = path.join(dir, 'stepped.zip');
    fs.writeFileSync(file, committed!);
    expect(execFileSync('unzip', ['-tq', file]).toString()).toMatch(/No errors detected/);
  });

  it('fails the archive when an entry cannot be read to its end, and releases an entry abandoned mid-way', async () => {
    const breaking = new Readable({ read() {} });
    breaking.push(randomBytes(100_000));
    const broken = zipStream([{ name: 'a.bin', modified: new Date(), open: async () => breaking }]);
    const reading = pipeline(broken, fs.createWriteStream(path.join(dir, 'broken.zip')));
    setImmediate(() => breaking.destroy(new Error('connection reset')));
    await expect(reading).rejects.toThrow('connection reset');

    const endless = new Readable({
      read() {
        this.push(randomBytes(65536));
      },
    });
    const abandoned = zipStream([{ name: 'b.bin', modified: new Date(), open: async () => endless }]);
    let chunks = 0;
    for await (const _ of abandoned) if (++chunks === 3) break;
    await new Promise<void>((r) => (endless.destroyed ? r() : endless.once('close', () => r())));
    expect(endless.destroyed).toBe(true);
  });

  it('sanitises entry names from user data', () => {
    expect(safeEntryName('a/../b\\c:d?.eml')).toBe('a/b/c_d_.eml');
    expect(safeEntryName('///')).toBe('unnamed');
  });
});
