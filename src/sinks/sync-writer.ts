// Buffered synchronous writes to a file descriptor. Synchronous on purpose: a replay emits
// records synchronously per input chunk, and a blocking write keeps output in step with input
// (flat memory, no unbounded stream buffer), and lets a crash handler flush what is pending.

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

const FLUSH_AT = 1 << 16;

export class SyncWriter {
  private buf: string[] = [];
  private size = 0;

  private constructor(private readonly fd: number, private readonly owned: boolean) {}

  static toFile(path: string): SyncWriter {
    return new SyncWriter(openSync(path, 'w'), true);
  }

  static toFd(fd: number): SyncWriter {
    return new SyncWriter(fd, false);
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
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(this.fd, data, off);
      } catch (e) {
        // stdout may be a non-blocking pipe: wait for the reader instead of failing.
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
    }
  }

  close(): void {
    this.flush();
    if (this.owned) {
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
  }
}
