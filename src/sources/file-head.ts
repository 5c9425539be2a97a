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
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
    const lines = buf.subarray(0, bytesRead).toString('utf8').split('\n');
    if (bytesRead === HEAD_BYTES) lines.pop(); // the last one may be cut in the middle
    return lines.slice(0, maxLines);
  } finally {
    await handle.close();
  }
}
