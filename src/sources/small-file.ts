// Inputs that must be small (a policy, a kernel's BTF) are read with a size limit, and only from
// regular files: `extends: "/dev/zero"` or `--kernel /dev/zero` would otherwise read forever, and a
// FIFO would block. The limits (docs/policy.md, "Limits") leave a wide margin over real files.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CfgscopeError } from '../model/errors.js';

/** An open regular file, read at offsets; `size` is what fstat said when it was opened. */
export interface OpenFile {
  readonly file: string;
  readonly size: number;
  /** `length` bytes at `offset`; fewer only at the end of the file. */
  read(offset: number, length: number): Buffer;
}

/** Opens `file`, refusing anything but a regular file; `use` reads it; closed afterwards. */
export function withRegularFile<T>(file: string, use: (f: OpenFile) => T): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new CfgscopeError('INPUT_UNREADABLE', (e as Error).message, { file });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CfgscopeError('INPUT_NOT_A_FILE', `not a regular file (${kindOf(st)}): only a file can be read here`, { file });
    return use({
      file, size: st.size,
      read: (offset, length) => readAt(fd, offset, length),
    });
  } catch (e) {
    if (e instanceof CfgscopeError) throw e;
    throw new CfgscopeError('INPUT_READ_FAILED', (e as Error).message, { file });
  } finally {
    closeSync(fd);
  }
}

/** `length` bytes of an open file at `offset`; fewer only at its end. */
export function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** The whole of a regular file of at most `limit` bytes; INPUT_TOO_LARGE past it (also when the
 *  file grows while read: one byte more than the limit is asked for). */
export function readSmallFile(file: string, limit: number, what: string): Buffer {
  return withRegularFile(file, (f) => {
    if (f.size > limit) throw tooLarge(file, what, f.size, limit);
    const buf = f.read(0, limit + 1);
    if (buf.length > limit) throw tooLarge(file, what, buf.length, limit);
    return buf;
  });
}

export function tooLarge(file: string, what: string, size: number, limit: number): CfgscopeError {
  return new CfgscopeError('INPUT_TOO_LARGE', `${what} of ${size > limit ? `${size} bytes` : 'more bytes'} is over the limit of ${limit} bytes`, { file });
}

function kindOf(st: ReturnType<typeof fstatSync>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}
