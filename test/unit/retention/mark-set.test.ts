import { createHash } from 'node:crypto';
import { MarkSet, SlicedMarkSet, SLICES } from '../../../shared/retention/mark-set';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('SlicedMarkSet', () => {
  const added = Array.from({ length: 2000 }, (_, i) => sha(`in ${i}`));
  const marks = SlicedMarkSet.empty(1 << 20);
  for (const h of added) marks.add(h);
  /** A slice's filter as a collection step reads it: its byte range of the stored bits, alone. */
  const sliceOf = (h: string): MarkSet => {
    const i = SLICES.indexOf(h[0]);
    return MarkSet.from(Buffer.from(marks.bits.subarray(i * marks.sliceBytes, (i + 1) * marks.sliceBytes)));
  };

  it('splits the bits evenly, a sixteenth per slice', () => {
    expect(marks.bits.length).toBe((1 << 20) / 8);
    expect(marks.sliceBytes * SLICES.length).toBe(marks.bits.length);
  });

  it('finds every added hash in its own slice read alone, and only there', () => {
    for (const h of added) expect(sliceOf(h).has(h)).toBe(true);
    // Another slice's filter knows nothing of it (all 2,000 added): at most chance hits.
    const elsewhere = added.filter((h) => {
      const other = SLICES[(SLICES.indexOf(h[0]) + 1) % SLICES.length];
      const i = SLICES.indexOf(other);
      return MarkSet.from(marks.bits.subarray(i * marks.sliceBytes, (i + 1) * marks.sliceBytes)).has(h);
    });
    expect(elsewhere.length).toBeLessThan(20);
  });

  it('rarely says "referenced" of a hash never added (a false positive keeps a blob a day longer)', () => {
    const absent = Array.from({ length: 10_000 }, (_, i) => sha(`out ${i}`));
    expect(absent.filter((h) => sliceOf(h).has(h)).length).toBeLessThan(100);
  });

  it('refuses a size that does not split into power-of-two slices', () => {
    expect(() => SlicedMarkSet.empty(100)).toThrow(/power-of-two/);
    expect(() => SlicedMarkSet.empty(64)).toThrow(/power-of-two/);
  });
});
