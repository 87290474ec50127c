/** Re-chunks a byte stream into blocks of exactly `size` bytes (the last one shorter), holding at most one block. */
export async function* fixedBlocks(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= size) {
      const all = Buffer.concat(pending);
      pending = [all.subarray(size)];
      pendingBytes = pending[0].length;
      yield all.subarray(0, size);
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}
