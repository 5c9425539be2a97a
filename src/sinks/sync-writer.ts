// Buffered synchronous writes to an output file or a file descriptor. Synchronous on purpose: a
// replay emits records synchronously per input chunk, and a blocking write keeps output in step
// with input (flat memory, no unbounded stream buffer), and lets a crash handler flush what is pending.
// Files are opened through ./atomic-file.ts: a whole output replaces its target only when closed.

import { writeSync } from 'node:fs';
import { CfgscopeError } from '../model/errors.js';
import { OutputFile, reason } from './atomic-file.js';

const FLUSH_AT = 1 << 16;

export class SyncWriter {
  private buf: string[] = [];
  private size = 0;

  private constructor(private readonly fd: number, private readonly file: OutputFile | null) {}

  /** A whole output: nothing replaces `path` until close(); discard() leaves it as it was. */
  static toFile(path: string): SyncWriter {
    return new SyncWriter(-1, OutputFile.whole(path));
  }

  /** A live output, written to `path` itself as it goes (capture -o). */
  static toLiveFile(path: string): SyncWriter {
    return new SyncWriter(-1, OutputFile.live(path));
  }

  static toFd(fd: number): SyncWriter {
    return new SyncWriter(fd, null);
  }

  write(text: string): void {
    this.buf.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_AT) this.flush();
  }

  /** Bytes (a binary encoding's frames), written after any text still pending. */
  writeBytes(data: Uint8Array): void {
    this.flush();
    this.writeAll(data);
  }

  flush(): void {
    if (this.size === 0) return;
    const data = Buffer.from(this.buf.join(''), 'utf8');
    this.buf = [];
    this.size = 0;
    this.writeAll(data);
  }

  private writeAll(data: Uint8Array): void {
    if (this.file) return this.file.write(data);
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(this.fd, data, off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // stdout may be a non-blocking pipe: wait for the reader instead of failing.
        if (code === 'EAGAIN') continue;
        // `cfgscope replay | head`: the reader went away; main() ends quietly on EPIPE.
        if (code === 'EPIPE') throw e;
        throw new CfgscopeError('OUTPUT_WRITE_FAILED', `writing failed: ${reason(e)}`, { file: this.fd === 1 ? 'standard output' : `file descriptor ${this.fd}` });
      }
    }
  }

  /** Flushes and closes: a whole output file replaces its target now. */
  close(): void {
    try {
      this.flush();
    } catch (e) {
      this.file?.discard();
      throw e;
    }
    this.file?.commit();
  }

  /** Closes a file output without making it the target (an error part-way): the target stays as it was. */
  discard(): void {
    this.buf = [];
    this.size = 0;
    this.file?.discard();
  }
}
