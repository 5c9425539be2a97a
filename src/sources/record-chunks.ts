// A raw trace or capture file as an async sequence of record batches, one batch per chunk read.
// Unlike recordsFromFile (an Observable that reads as fast as it can), the next chunk is read only
// when the consumer asks for it: a paced replay and a resume re-read hold one chunk in memory,
// however slowly they are consumed. Same parser and feed (./parser-feed.ts), so the records are identical.

import type { CaptureRecord } from '../model/records.js';
import { StackTable } from '../model/stack-table.js';
import type { InputFormat } from '../parsers/parser.js';
import { fileChunks } from './file-chunks.js';
import { inputError } from './file-head.js';
import { parserFeed } from './parser-feed.js';

/**
 * `growing`: the file is still being written (a live capture): stop at its last complete line,
 * without flushing a half-written one or ending the parser (which would emit end-of-input records).
 */
export async function* recordChunks(file: string, format: InputFormat, opts: { growing?: boolean; chunkBytes?: number } = {}): AsyncGenerator<CaptureRecord[]> {
  let batch: CaptureRecord[] = [];
  const parser = format.create({ file, stacks: new StackTable() }, (r) => batch.push(r));
  const feed = parserFeed(parser);
  const take = (): CaptureRecord[] => { const b = batch; batch = []; return b; };
  // The consumer stopping early (a resume that reached memory, Ctrl-C) returns from this loop,
  // which closes the file.
  try {
    for await (const chunk of fileChunks(file, opts.chunkBytes ?? 1 << 16)) {
      feed.push(chunk);
      if (batch.length > 0) yield take();
    }
  } catch (e) {
    throw inputError(e, file, feed.lines);
  }
  if (opts.growing) return;
  feed.end();
  parser.end();
  if (batch.length > 0) yield take();
}
