// The kernel log, read once at capture's start: whether this kernel found a persistent trace
// instance holding the previous boot's events (6.12+, kernel/trace/ring_buffer.c prints
// "Ring buffer meta [N] is from previous boot!" per CPU buffer it kept). /dev/kmsg first (every
// record still in the log buffer, one per read, without consuming them for anyone else); when it
// cannot be opened (no CAP_SYSLOG, a container without it), `dmesg`; or a file the user saved.

import { closeSync, constants, openSync, readSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { readSmallFile } from './small-file.js';

/** The log's text, or why it could not be read. */
export type KernelLog = { text: string; from: string } | { text: null; reason: string };

/** A saved log is small: the kernel's log buffer is at most a few MB. */
const LOG_FILE_LIMIT = 64 * 1024 * 1024;

export function readKernelLog(file?: string): KernelLog {
  if (file !== undefined) return { text: readSmallFile(file, LOG_FILE_LIMIT, 'kernel log').toString('utf8'), from: file };
  const kmsg = readKmsg('/dev/kmsg');
  if (kmsg.text !== null) return kmsg;
  const d = spawnSync('dmesg', [], { encoding: 'utf8', timeout: 20_000, maxBuffer: LOG_FILE_LIMIT });
  if (!d.error && d.status === 0) return { text: d.stdout, from: 'dmesg' };
  const why = d.error ? d.error.message : `dmesg exited ${d.status}: ${d.stderr.trim().slice(0, 120)}`;
  return { text: null, reason: `${kmsg.reason}; ${why}` };
}

/** /dev/kmsg read without blocking: each read() is one record (`pri,seq,ts,flags;message`, then
 *  ` KEY=value` lines); EAGAIN is the end of what is logged, EPIPE a record overwritten while
 *  reading (skipped: the next read goes on with the next one). */
export function readKmsg(device: string): KernelLog {
  let fd: number;
  try {
    fd = openSync(device, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { text: null, reason: `${device}: ${(e as Error).message}` };
  }
  const lines: string[] = [];
  const buf = Buffer.alloc(16 * 1024);
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue;
        if (code === 'EAGAIN') break;
        return { text: null, reason: `${device}: ${(e as Error).message}` };
      }
      if (n === 0) break; // a regular file standing in for the device: its end
      const record = buf.toString('utf8', 0, n);
      const semi = record.indexOf(';');
      // The message is the rest of the first line; a plain text (a file) has no `;` prefix.
      const first = record.split('\n', 1)[0]!;
      lines.push(semi >= 0 && semi < first.length ? first.slice(semi + 1) : record.replace(/\n$/, ''));
    }
  } finally {
    closeSync(fd);
  }
  return { text: lines.join('\n'), from: device };
}
