// The set of content hashes some version still references, as a Bloom filter: memory and storage stay fixed however
// many versions the catalog holds, and its only error is a false "referenced", which keeps a blob that could go,
// never deletes one that must stay. Written by hand: the keys are already SHA-256 digests (uniformly random bits),
// so the k probe positions are read straight from the digest, which no general-purpose filter library does.

/** Probes per key; with `bitsFor`'s 20 bits per key the false-positive rate is about 0.1 %. */
const PROBES = 7;

/** A filter size (bits, a power of two between 2^20 and 2^28, 32 MiB) for about `keys` keys. */
export function bitsFor(keys: number): number {
  let bits = 1 << 20;
  while (bits < keys * 20 && bits < 2 ** 28) bits *= 2;
  return bits;
}

function checkBits(bitCount: number): void {
  if (bitCount < 8 || (bitCount & (bitCount - 1)) !== 0)
    throw new Error('a mark set has a power-of-two number of bits');
}

export class MarkSet {
  private constructor(readonly bits: Buffer) {}

  static empty(bitCount: number): MarkSet {
    checkBits(bitCount);
    return new MarkSet(Buffer.alloc(bitCount / 8));
  }

  static from(bytes: Buffer): MarkSet {
    return new MarkSet(bytes);
  }

  private positions(sha256: string): number[] {
    const mask = this.bits.length * 8 - 1;
    const out: number[] = [];
    for (let i = 0; i < PROBES; i++) out.push(parseInt(sha256.slice(i * 8, i * 8 + 8), 16) & mask);
    return out;
  }

  add(sha256: string): void {
    for (const p of this.positions(sha256)) this.bits[p >>> 3] |= 1 << (p & 7);
  }

  has(sha256: string): boolean {
    return this.positions(sha256).every((p) => (this.bits[p >>> 3] & (1 << (p & 7))) !== 0);
  }
}

/** Collection works in slices by the first hex digit of the content hash (`<tenant>/sha256/<2 hex>/…`). */
export const SLICES = '0123456789abcdef'.split('');

/**
 * One filter per slice, laid end to end in one buffer (slice `i` at `i * sliceBytes`): collecting a slice reads and
 * holds only its own sixteenth, so four slices collected at once hold a quarter of the marking, not four copies.
 */
export class SlicedMarkSet {
  private readonly slices: MarkSet[];

  private constructor(readonly bits: Buffer) {
    const size = bits.length / SLICES.length;
    this.slices = SLICES.map((_, i) => MarkSet.from(bits.subarray(i * size, (i + 1) * size)));
  }

  /** `bitCount` bits in all, a sixteenth per slice. */
  static empty(bitCount: number): SlicedMarkSet {
    checkBits(bitCount / SLICES.length);
    return new SlicedMarkSet(Buffer.alloc(bitCount / 8));
  }

  static from(bytes: Buffer): SlicedMarkSet {
    return new SlicedMarkSet(bytes);
  }

  /** Bytes of each slice's filter. */
  get sliceBytes(): number {
    return this.bits.length / SLICES.length;
  }

  add(sha256: string): void {
    this.slices[parseInt(sha256[0], 16)].add(sha256);
  }
}
