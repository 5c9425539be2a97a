// A file's bytes in chunks read into one buffer that is used again for the next chunk. A stream
// from createReadStream allocates a fresh buffer per chunk: the kernel faults each one's pages in
// as it copies into them, and the garbage collector has more to do (test/bench/README.md, "One
// read buffer": check of a 1M-access packed capture took about 1.0 s of CPU that way, 0.81 s
// with one buffer). The price is a contract: a chunk is valid only until the consumer asks for
// the next one, so nothing may keep it (the parsers and line splitters copy what they carry over).

import { open } from 'node:fs/promises';

/** The chunks of `file` in order, each a view of the same buffer of `chunkBytes`. */
export async function* fileChunks(file: string, chunkBytes: number): AsyncGenerator<Buffer, void, undefined> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafeSlow(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, chunkBytes, null);
      if (bytesRead === 0) return;
      yield bytesRead === chunkBytes ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
