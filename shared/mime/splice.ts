// Splices extracted parts back into a skeleton stream at their offsets. Pure over async iterables, so the
// reassembly logic is tested without storage.

type Chunks = AsyncIterable<Buffer> | Iterable<Buffer>;

export interface SplicedPart {
  offset: number;
  size: number;
  open(): Promise<Chunks>;
}

/** A part or the skeleton did not have the length the manifest recorded. */
export class MimeIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MimeIntegrityError';
  }
}

async function* readPart(part: SplicedPart, index: number): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of await part.open()) {
    n += chunk.length;
    if (n > part.size) throw new MimeIntegrityError(`part ${index} is longer than the ${part.size} bytes recorded`);
    yield chunk;
  }
  if (n !== part.size) throw new MimeIntegrityError(`part ${index} has ${n} bytes, ${part.size} recorded`);
}

/** Parts are opened one at a time, when the skeleton reaches their offset (offsets ascending). */
export async function* spliceParts(
  skeleton: Chunks,
  skeletonSize: number,
  parts: readonly SplicedPart[],
): AsyncGenerator<Buffer> {
  let pos = 0;
  let next = 0;
  async function* partsHere(): AsyncGenerator<Buffer> {
    while (next < parts.length && parts[next].offset === pos) {
      next++;
      yield* readPart(parts[next - 1], next - 1);
    }
  }
  for await (const chunk of skeleton) {
    let rest = chunk;
    while (rest.length > 0) {
      yield* partsHere();
      const take = Math.min(rest.length, next < parts.length ? parts[next].offset - pos : rest.length);
      if (take <= 0)
        throw new MimeIntegrityError(
          `part ${next} has offset ${parts[next].offset}, before the skeleton position ${pos}`,
        );
      yield rest.subarray(0, take);
      pos += take;
      rest = rest.subarray(take);
    }
  }
  yield* partsHere();
  if (pos !== skeletonSize) throw new MimeIntegrityError(`skeleton has ${pos} bytes, ${skeletonSize} recorded`);
  if (next < parts.length)
    throw new MimeIntegrityError(`skeleton ended before part ${next} (offset ${parts[next].offset})`);
}
