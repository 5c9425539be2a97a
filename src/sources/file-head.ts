// Reads the first lines of a file for format detection, without reading the whole file.

import { open } from 'node:fs/promises';
import { CfgscopeError } from '../model/errors.js';

const HEAD_BYTES = 1 << 20;

export async function readHead(file: string, maxLines: number): Promise<string[]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw new CfgscopeError('INPUT_UNREADABLE', (e as Error).message, { file });
  }
  try {
    // A folder opens like a file on Linux and fails only on read (EISDIR): said as such.
    if ((await handle.stat()).isDirectory()) throw new CfgscopeError('INPUT_UNREADABLE', 'is a directory, not a trace or capture file', { file });
    const buf = Buffer.alloc(HEAD_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0));
    } catch (e) {
      throw new CfgscopeError('INPUT_UNREADABLE', (e as Error).message, { file });
    }
    const lines = buf.subarray(0, bytesRead).toString('utf8').split('\n');
    if (bytesRead === HEAD_BYTES) lines.pop(); // the last one may be cut in the middle
    return lines.slice(0, maxLines);
  } finally {
    await handle.close();
  }
}

/**
 * A failed open or read of an input as a coded error: INPUT_UNREADABLE when it could not be
 * opened or is a folder (nothing was read), INPUT_READ_FAILED part-way, with the last line read.
 * Anything else (a CfgscopeError, or a bug in a parser) is returned as it is: a bug is not the
 * input's fault and must surface as INTERNAL, not as a read error.
 */
export function inputError(e: unknown, file: string, line: number | undefined): unknown {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof CfgscopeError || typeof err?.syscall !== 'string') return e;
  if (err.syscall === 'open' || err.code === 'EISDIR') return new CfgscopeError('INPUT_UNREADABLE', err.message, { file });
  return new CfgscopeError('INPUT_READ_FAILED', err.message, line === undefined ? { file } : { file, line });
}
