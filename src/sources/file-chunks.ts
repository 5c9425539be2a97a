// A file's bytes in chunks read into one buffer that is used again for the next chunk. A stream
// from createReadStream allocates a fresh buffer per chunk: each one's pages fault in as the
// kernel copies into it, and V8 counts every one as external memory, which starts garbage
// collections of its own. Reading 1M access frames (a 67 MB packed capture) that way took about
// 23% more CPU (test/bench/README.md, "One read buffer"). The price is a contract: a chunk is
// valid only until the consumer asks for the next one, so nothing may keep it (the parsers and
// splitters copy what they carry over).

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
