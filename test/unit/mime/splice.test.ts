import { MimeIntegrityError, spliceParts } from '../../../shared/mime/splice';

async function collect(chunks: AsyncIterable<Buffer>): Promise<string> {
  let out = '';
  for await (const c of chunks) out += c.toString();
  return out;
}

const part = (offset: number, text: string, size = text.length) => ({
  offset,
  size,
  open: async () => [...text].map((c) => Buffer.from(c)),
});

describe('spliceParts', () => {
  it('puts parts back at their offsets: at the start, between chunks, adjacent, and at the very end', async () => {
    const skeleton = [Buffer.from('ab'), Buffer.from('cdef'), Buffer.from('g')];
    expect(
      await collect(
        spliceParts(skeleton, 7, [part(0, 'X'), part(2, 'YY'), part(2, 'Z'), part(3, 'W'), part(7, 'END')]),
      ),
    ).toBe('XabYYZcWdefgEND');
    expect(await collect(spliceParts([], 0, [part(0, 'only')]))).toBe('only');
  });

  it('fails loudly when a part or the skeleton has another length than recorded', async () => {
    await expect(collect(spliceParts([Buffer.from('abc')], 3, [part(1, 'XY', 3)]))).rejects.toThrow(MimeIntegrityError);
    await expect(collect(spliceParts([Buffer.from('abc')], 3, [part(1, 'XYZW', 3)]))).rejects.toThrow(
      /longer than the 3 bytes/,
    );
    await expect(collect(spliceParts([Buffer.from('abc')], 4, []))).rejects.toThrow(/skeleton has 3 bytes, 4 recorded/);
    await expect(collect(spliceParts([Buffer.from('abc')], 3, [part(5, 'X')]))).rejects.toThrow(
      /skeleton ended before part 0/,
    );
    await expect(collect(spliceParts([Buffer.from('abcd')], 4, [part(2, 'X'), part(1, 'Y')]))).rejects.toThrow(
      /before the skeleton position/,
    );
  });
});
