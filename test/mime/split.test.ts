import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { MimeManifest } from '../../shared/mime/manifest';
import { openMime } from '../../shared/mime/open';
import { MimeIntegrityError } from '../../shared/mime/splice';
import { splitMime } from '../../shared/mime/split';
import { ContentStore } from '../../shared/storage/content-store';
import { contentBlobName } from '../../shared/storage/content-publish';
import { stackEnv, uniqueName } from '../support/env';
import { readAll, sha } from '../support/bytes';
import { peakLiveMemory } from '../support/live-memory';
import {
  attachedMessage,
  attachment,
  base64Part,
  Eol,
  expectedParts,
  messageHeaders,
  mimeBytes,
  MimeNode,
  multipart,
  renderMime,
  seededBytes,
  seededRandom,
  textPart,
  withHeaders,
} from '../support/mime-builder';

function chunksOf(bytes: Buffer, next: () => number): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i >= bytes.length) return this.push(null);
      const n = Math.max(1, next());
      this.push(bytes.subarray(i, i + n));
      i += n;
    },
  });
}

const body = 'Hi Alex,\nthe numbers are attached.\n-- \nAdele';
const alternative = (): MimeNode =>
  multipart('alternative', [
    textPart('text/plain; charset="utf-8"', body),
    textPart('text/html; charset="utf-8"', `<p>${body}</p>`),
  ]);

describe('splitMime / openMime (Azurite)', () => {
  let container: ContainerClient;
  let store: ContentStore;

  beforeAll(async () => {
    container = BlobServiceClient.fromConnectionString(stackEnv('M365V_STORAGE_CONNECTION_STRING')).getContainerClient(
      uniqueName('mime'),
    );
    await container.create();
    store = new ContentStore(container);
  });
  afterAll(async () => {
    await container.delete();
  });

  const blobsUnder = async (prefix: string): Promise<string[]> => {
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix })) names.push(b.name);
    return names;
  };

  it('round-trips varied messages byte for byte with a small JSON manifest', async () => {
    const tenant = 'tenant-corpus';
    const inner = withHeaders(
      messageHeaders('Original', 'inner'),
      multipart('mixed', [textPart('text/plain', body), attachment('contract.docx', seededBytes('docx', 90_000))]),
    );
    const related = multipart('related', [
      textPart('text/html', '<img src="cid:logo@contoso">'),
      base64Part('image/png', seededBytes('logo', 60_000), ['Content-ID: <logo@contoso>']),
    ]);
    const corpus: Array<[string, MimeNode, Eol]> = [
      [
        'mixed',
        withHeaders(
          messageHeaders('Report', 'c1'),
          multipart('mixed', [
            alternative(),
            attachment('q3.pdf', seededBytes('q3', 200_000), 'application/pdf'),
            attachment('tiny.txt', Buffer.from('tiny')),
          ]),
        ),
        '\r\n',
      ],
      [
        'related in alternative in mixed',
        withHeaders(
          messageHeaders('Inline', 'c2'),
          multipart('mixed', [
            multipart('alternative', [textPart('text/plain', body), related]),
            attachment('x.xlsx', seededBytes('x', 50_000)),
          ]),
        ),
        '\r\n',
      ],
      [
        'rfc822 with its own attachment',
        withHeaders(
          messageHeaders('Fwd: Original', 'c3'),
          multipart('mixed', [textPart('text/plain', 'fyi'), attachedMessage(inner)]),
        ),
        '\r\n',
      ],
      [
        'calendar',
        withHeaders(
          messageHeaders('Invite', 'c4'),
          multipart('alternative', [
            textPart('text/plain', body),
            textPart('text/calendar; method=REQUEST', 'BEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR'),
          ]),
        ),
        '\r\n',
      ],
      [
        'RFC 2047, bare LF',
        withHeaders(
          ['Subject: =?UTF-8?B?w4R0c2No?=', 'Thread-Topic: Überprüfung'],
          multipart('mixed', [textPart('text/plain', 'Grüße'), attachment('Ü.bin', seededBytes('lf', 70_000))]),
        ),
        '\n',
      ],
      [
        'single part',
        withHeaders(messageHeaders('Scan', 'c6'), base64Part('application/pdf', seededBytes('scan', 80_000))),
        '\r\n',
      ],
    ];
    for (const [name, msg, eol] of corpus) {
      const input = mimeBytes(msg, eol);
      const { manifest } = await splitMime(tenant, Readable.from(renderMime(msg, eol)), store);
      expect({ name, sha256: manifest.sha256, size: manifest.size, parts: manifest.parts.length }).toEqual({
        name,
        sha256: sha(input),
        size: input.length,
        parts: expectedParts(msg, 32 * 1024, eol).length,
      });
      expect(JSON.stringify(manifest).length).toBeLessThan(250 + 150 * manifest.parts.length);
      expect({ name, same: (await readAll(openMime(tenant, manifest, store))).equals(input) }).toEqual({
        name,
        same: true,
      });
    }
    // Malformed and truncated input is stored (more of it in the skeleton) and comes back exactly.
    const good = mimeBytes(corpus[0][1]);
    for (const input of [
      good.subarray(0, 60_000),
      Buffer.from('Content-Type: multipart/mixed\r\n\r\n--\r\nno boundary\r\n'),
      Buffer.alloc(0),
    ]) {
      const { manifest } = await splitMime(
        tenant,
        chunksOf(input, () => 8192),
        store,
      );
      expect((await readAll(openMime(tenant, manifest, store))).equals(input)).toBe(true);
    }
  });

  it('stores an attachment shared by three different messages once', async () => {
    const tenant = 'tenant-dedup';
    const deck = seededBytes('board-deck', 1024 * 1024);
    const messages = [
      withHeaders(
        messageHeaders('Board deck', 'd1'),
        multipart('mixed', [alternative(), attachment('deck.pptx', deck)]),
      ),
      withHeaders(
        messageHeaders('RE: Board deck', 'd2'),
        multipart(
          'mixed',
          [
            textPart('text/plain', 'thanks!'),
            attachment('deck.pptx', deck),
            attachment('notes.txt', Buffer.from('short')),
          ],
          { boundary: 'other-boundary' },
        ),
      ),
      withHeaders(
        messageHeaders('Fwd: Board deck', 'd3'),
        multipart('mixed', [
          textPart('text/plain', 'see attached'),
          attachedMessage(
            withHeaders(
              messageHeaders('Board deck', 'd1'),
              multipart('mixed', [alternative(), attachment('deck.pptx', deck)]),
            ),
          ),
        ]),
      ),
    ];
    const results = [];
    for (const m of messages) results.push(await splitMime(tenant, Readable.from(renderMime(m)), store));
    const [first, second, third] = results.map((r) => r.storedBytes);
    expect(first).toBeGreaterThan(deck.length * 0.9);
    expect(second).toBeLessThan(first / 100);
    expect(third).toBeLessThan(first / 100);
    const partShas = results.map((r) => r.manifest.parts.map((p) => p.ref.sha256));
    expect(partShas).toEqual([partShas[0], partShas[0], partShas[0]]);
    // One blob for the attachment plus one skeleton per message.
    expect(await blobsUnder(`${tenant}/sha256/`)).toHaveLength(4);
    for (const [i, r] of results.entries())
      expect((await readAll(openMime(tenant, r.manifest, store))).equals(mimeBytes(messages[i]))).toBe(true);
  });

  it('gives the same manifest whatever the chunking of the source', async () => {
    const tenant = 'tenant-chunks';
    const input = mimeBytes(
      withHeaders(
        messageHeaders('Chunks', 'k'),
        multipart('mixed', [
          alternative(),
          attachment('a.bin', seededBytes('a', 50_000)),
          attachment('b.bin', seededBytes('b', 40_000)),
        ]),
      ),
      '\n',
    );
    const rand = seededRandom(7);
    const manifests: MimeManifest[] = [];
    for (const next of [() => input.length, () => 1, () => 7, () => 1 + Math.floor(rand() * 5000)])
      manifests.push((await splitMime(tenant, chunksOf(input, next), store)).manifest);
    expect(manifests[0].parts).toHaveLength(2);
    for (const m of manifests) expect(m).toEqual(manifests[0]);
  });

  it('round-trips a 20 MiB attachment', async () => {
    const tenant = 'tenant-20';
    const msg = withHeaders(
      messageHeaders('Video', 'v20'),
      multipart('mixed', [alternative(), attachment('clip.mp4', seededBytes('clip', 20 * 1024 * 1024), 'video/mp4')]),
    );
    const input = mimeBytes(msg);
    const { manifest } = await splitMime(
      tenant,
      chunksOf(input, () => 65536),
      store,
    );
    expect(manifest.parts).toHaveLength(1);
    expect(manifest.parts[0].ref.sha256).toBe(sha(expectedParts(msg, 32 * 1024)[0]));
    expect(manifest.skeleton.size).toBeLessThan(2000);
    expect(sha(await readAll(openMime(tenant, manifest, store)))).toBe(sha(input));
  });

  it('keeps memory flat splitting and reading back a 200 MiB attachment', async () => {
    const tenant = 'tenant-200';
    const size = 200 * 1024 * 1024;
    const msg = withHeaders(
      messageHeaders('Backup image', 'v200'),
      multipart('mixed', [
        alternative(),
        {
          kind: 'leaf',
          headers: ['Content-Type: application/octet-stream; name="disk.img"', 'Content-Transfer-Encoding: base64'],
          body: { base64Seeded: { seed: 'disk', size } },
          extractable: true,
        },
      ]),
    );
    // Warm up first (modules, connection pool, first-use allocations), so what is measured is growth with size.
    const warmUp = withHeaders(
      messageHeaders('Warm-up', 'w'),
      multipart('mixed', [attachment('w.bin', seededBytes('w', 8 * 1024 * 1024))]),
    );
    await readAll(
      openMime(tenant, (await splitMime(tenant, Readable.from(renderMime(warmUp)), store)).manifest, store),
    );
    const source = Readable.from(renderMime(msg));
    const original = createHash('sha256');
    source.on('data', (c: Buffer) => original.update(c));
    const started = Date.now();
    const { result: manifest, grewMiB: splitGrew } = await peakLiveMemory(
      async () => (await splitMime(tenant, source, store)).manifest,
    );
    const splitMs = Date.now() - started;
    const encoded = Math.ceil(size / 3) * 4;
    expect(manifest.parts.map((p) => p.ref.size)).toEqual([encoded + (Math.ceil(encoded / 76) - 1) * 2]);
    expect(manifest.sha256).toBe(original.digest('hex'));
    const back = createHash('sha256');
    const readStarted = Date.now();
    const { result: n, grewMiB: readGrew } = await peakLiveMemory(async () => {
      let read = 0;
      for await (const c of openMime(tenant, manifest, store)) {
        back.update(c as Buffer);
        read += (c as Buffer).length;
      }
      return read;
    });
    expect(n).toBe(manifest.size);
    expect(back.digest('hex')).toBe(manifest.sha256);
    console.log(
      `200 MiB attachment (${(manifest.size / 2 ** 20).toFixed(0)} MiB MIME): split ${splitMs} ms, live memory grew ${splitGrew.toFixed(0)} MiB; read back ${Date.now() - readStarted} ms, grew ${readGrew.toFixed(0)} MiB`,
    );
    // Bounded buffers (32 KiB threshold, the store's 4 MiB head and two 4 MiB blocks per stream), against 270 MiB of
    // MIME a holding splitter or reader would keep alive.
    expect(splitGrew).toBeLessThan(96);
    expect(readGrew).toBeLessThan(96);
  });

  it('reports corrupted or missing content instead of returning wrong bytes', async () => {
    const tenant = 'tenant-corrupt';
    const part = seededBytes('victim', 60_000);
    const input = mimeBytes(multipart('mixed', [textPart('text/plain', body), attachment('v.bin', part)]));
    const { manifest } = await splitMime(tenant, Readable.from([input]), store);
    const ref = manifest.parts[0].ref;
    expect(ref.encoding).toBe('gzip');
    // Same length, one byte changed, stored where the part lives: only the final hash check can notice.
    const original = await readAll(await store.open(tenant, ref));
    const altered = Buffer.from(original);
    altered[100] = altered[100] === 0x41 ? 0x42 : 0x41;
    await container
      .getBlockBlobClient(contentBlobName(tenant, ref.sha256))
      .upload(gzipSync(altered), gzipSync(altered).length);
    await expect(readAll(openMime(tenant, manifest, store))).rejects.toThrow(MimeIntegrityError);
    await expect(
      readAll(
        openMime(
          tenant,
          {
            ...manifest,
            parts: [{ ...manifest.parts[0], ref: { ...ref, size: ref.size - 1 } }],
            size: manifest.size - 1,
          },
          store,
        ),
      ),
    ).rejects.toThrow(MimeIntegrityError);
    await container.getBlockBlobClient(contentBlobName(tenant, ref.sha256)).delete();
    await expect(readAll(openMime(tenant, manifest, store))).rejects.toThrow(/BlobNotFound|does not exist/);
    await expect(readAll(openMime(tenant, { ...manifest, size: -1 }, store))).rejects.toThrow();
  });

  it('fails when the source fails, leaving no staging blobs behind', async () => {
    const tenant = 'tenant-fail';
    const msg = multipart('mixed', [
      textPart('text/plain', body),
      attachment('big.bin', seededBytes('big', 8 * 1024 * 1024)),
    ]);
    const input = mimeBytes(msg);
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent >= 7 * 1024 * 1024) return this.destroy(new Error('connection reset by Graph'));
        this.push(input.subarray(sent, sent + 65536));
        sent += 65536;
      },
    });
    await expect(splitMime(tenant, failing, store)).rejects.toThrow('connection reset by Graph');
    expect(await blobsUnder(`${tenant}/staging/`)).toEqual([]);
  });
});
