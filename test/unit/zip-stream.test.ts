import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { safeEntryName, zipStream } from '../../shared/export/zip-stream';

describe('zipStream', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm365v-zip-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes an archive that Info-ZIP tests clean and extracts byte for byte', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const entries = [
      { name: 'Inbox/Quarterly report.eml', modified: new Date('2026-11-20T10:11:12Z'), body: Buffer.from('Subject: Q3\r\n\r\n' + 'numbers '.repeat(10000)) },
      { name: 'Inbox/Quarterly report.eml', modified: new Date('2026-11-20T10:11:12Z'), body: Buffer.from('a second mail with the same subject') },
      { name: 'Documents/Übersicht – 2026.xlsx', modified: new Date('2026-01-02T03:04:05Z'), body: big },
      { name: '../../etc/passwd', modified: new Date('2026-01-01T00:00:00Z'), body: Buffer.from('no escape') },
      { name: 'empty.txt', modified: new Date('2026-01-01T00:00:00Z'), body: Buffer.alloc(0) },
    ];
    const file = path.join(dir, 'export.zip');
    await pipeline(zipStream(entries.map((e) => ({ name: e.name, modified: e.modified, open: async () => Readable.from([e.body]) }))), fs.createWriteStream(file));
    expect(execFileSync('unzip', ['-tq', file]).toString()).toMatch(/No errors detected/);
    const out = path.join(dir, 'out');
    execFileSync('unzip', ['-q', file, '-d', out]);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(fs.readFileSync(path.join(out, 'Documents/Übersicht – 2026.xlsx')))).toBe(sha(big));
    expect(fs.readFileSync(path.join(out, 'Inbox/Quarterly report (2).eml'), 'utf8')).toBe('a second mail with the same subject');
    expect(fs.readFileSync(path.join(out, 'etc/passwd'), 'utf8')).toBe('no escape');
    expect(fs.statSync(path.join(out, 'empty.txt')).size).toBe(0);
  });

  it('sanitises entry names from user data', () => {
    expect(safeEntryName('a/../b\\c:d?.eml')).toBe('a/b/c_d_.eml');
    expect(safeEntryName('///')).toBe('unnamed');
  });
});
