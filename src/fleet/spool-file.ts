// The local spool: every message a publisher makes is appended here first and leaves only once the
// server has acknowledged it, so a server that is down, restarting or unreachable loses nothing,
// and a process that stops before the server comes back leaves its messages for the next one
// (never memory only). One line per message: `<subject>\t<msg id>\t<payload JSON>`. The
// acknowledged prefix's length is kept in `<spool>.acked`; when everything is acknowledged the
// file is emptied. It is bounded: a message that would take it past its size is FLEET_SPOOL_FULL,
// said, never dropped. `<spool>.lock` keeps two processes from draining one spool.

import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CfgscopeError } from '../model/errors.js';

export interface SpooledMessage {
  subject: string;
  id: string;
  payload: string;
  /** Byte offset just past this message's line in the spool. */
  end: number;
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export class SpoolFile {
  private readonly fd: number;
  private written: number;
  private acked: number;
  private readonly lockPath: string;
  private readonly ackPath: string;

  constructor(readonly path: string, readonly maxBytes: number) {
    this.lockPath = `${path}.lock`;
    this.ackPath = `${path}.acked`;
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.takeLock();
      this.fd = openSync(path, 'a+');
    } catch (e) {
      if (e instanceof CfgscopeError) throw e;
      throw new CfgscopeError('FLEET_SPOOL_UNUSABLE', `cannot open the spool: ${(e as Error).message}`, { file: path });
    }
    this.written = fstatSync(this.fd).size;
    const acked = existsSync(this.ackPath) ? Number(readFileSync(this.ackPath, 'utf8').trim()) : 0;
    // An acked offset past the file (the file was emptied by hand) starts from the beginning:
    // a message sent twice is deduplicated by its id, a message skipped would be lost.
    this.acked = Number.isSafeInteger(acked) && acked >= 0 && acked <= this.written ? acked : 0;
  }

  private takeLock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.lockPath, `${process.pid}\n`, { flag: 'wx' });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number(readFileSync(this.lockPath, 'utf8').trim());
        if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) {
          throw new CfgscopeError('FLEET_SPOOL_BUSY', `process ${pid} is publishing from this spool; give this one its own --spool`, { file: this.path });
        }
        unlinkSync(this.lockPath); // left by a process that is gone
      }
    }
  }

  /** Messages spooled and not yet acknowledged, in bytes. */
  get pendingBytes(): number {
    return this.written - this.acked;
  }

  append(subject: string, id: string, payload: string): void {
    const line = Buffer.from(`${subject}\t${id}\t${payload}\n`, 'utf8');
    if (this.written + line.length > this.maxBytes) {
      throw new CfgscopeError('FLEET_SPOOL_FULL', `the spool is full: ${this.pendingBytes} bytes wait for the server and this message needs ${line.length} more of at most ${this.maxBytes} (--spool-max); nothing was dropped, the messages before it stay spooled`, { file: this.path });
    }
    let off = 0;
    while (off < line.length) off += writeSync(this.fd, line, off, line.length - off, this.written + off);
    this.written += line.length;
  }

  /** Up to `maxBytes` of whole messages after the acknowledged prefix. */
  readPending(maxBytes: number): SpooledMessage[] {
    const len = Math.min(maxBytes, this.written - this.acked);
    if (len <= 0) return [];
    let buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, buf, got, len - got, this.acked + got);
      if (n === 0) break;
      got += n;
    }
    let lastNl = buf.lastIndexOf(0x0a, got - 1);
    if (lastNl < 0) {
      // One message larger than the read size: read exactly up to its end.
      const all = Buffer.alloc(this.written - this.acked);
      readSync(this.fd, all, 0, all.length, this.acked);
      lastNl = all.indexOf(0x0a);
      if (lastNl < 0) return [];
      buf = all;
    }
    const out: SpooledMessage[] = [];
    let start = 0;
    while (start <= lastNl) {
      const nl = buf.indexOf(0x0a, start);
      const line = buf.toString('utf8', start, nl);
      const t1 = line.indexOf('\t');
      const t2 = line.indexOf('\t', t1 + 1);
      out.push({ subject: line.slice(0, t1), id: line.slice(t1 + 1, t2), payload: line.slice(t2 + 1), end: this.acked + nl + 1 });
      start = nl + 1;
    }
    return out;
  }

  /** The server has every message up to `end`. Emptied when nothing is left to send. */
  ack(end: number): void {
    this.acked = end;
    if (this.acked >= this.written) {
      ftruncateSync(this.fd, 0);
      this.written = 0;
      this.acked = 0;
    }
    writeFileSync(this.ackPath, `${this.acked}\n`);
  }

  /** Closes the spool; removes it and its acked offset when nothing waits in it. */
  close(): void {
    closeSync(this.fd);
    if (this.written === 0) {
      for (const p of [this.path, this.ackPath]) if (existsSync(p)) unlinkSync(p);
    }
    if (existsSync(this.lockPath)) unlinkSync(this.lockPath);
  }
}
