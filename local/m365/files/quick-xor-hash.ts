// OneDrive's quickXorHash (the hash OneDrive for Business reports in file.hashes): each byte XORed into a 160-bit
// circular register at a bit offset advancing by 11, then the length (little-endian, 64 bits) XORed into the last
// 8 bytes; base64. After the published algorithm (OneDrive API docs, "QuickXorHash").
const WIDTH_BYTES = 20;
const WIDTH_BITS = WIDTH_BYTES * 8;
const SHIFT = 11;

export class QuickXorHash {
  private readonly cells = new Uint8Array(WIDTH_BYTES);
  private length = 0n;
  private bit = 0;

  update(bytes: Uint8Array): this {
    const cells = this.cells;
    let bit = this.bit;
    for (let i = 0; i < bytes.length; i++) {
      const at = bit >> 3;
      const v = bytes[i] << (bit & 7);
      cells[at] ^= v & 0xff;
      cells[at + 1 === WIDTH_BYTES ? 0 : at + 1] ^= v >> 8;
      bit += SHIFT;
      if (bit >= WIDTH_BITS) bit -= WIDTH_BITS;
    }
    this.bit = bit;
    this.length += BigInt(bytes.length);
    return this;
  }

  digest(): Buffer {
    const out = Buffer.from(this.cells);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(this.length);
    for (let i = 0; i < 8; i++) out[WIDTH_BYTES - 8 + i] ^= len[i];
    return out;
  }
}

export const quickXorHash = (chunks: Iterable<Uint8Array>): string => {
  const h = new QuickXorHash();
  for (const c of chunks) h.update(c);
  return h.digest().toString('base64');
};
