// How a file source hands its chunks to a parser: raw chunks to a parser that frames bytes itself
// (the packed capture), undecoded lines to one that reads line bytes (the NDJSON capture's fast
// path), decoded text lines to the others. recordsFromFile and recordChunks share it, so a
// replay and a paced re-read see the same records.

import type { LineParser } from '../parsers/parser.js';
import { ByteLineSplitter } from './byte-line-splitter.js';
import { LineSplitter } from './line-splitter.js';

export interface ParserFeed {
  /** The stream encoding to read the file with: undefined for bytes. */
  readonly encoding: 'utf8' | undefined;
  push(chunk: Buffer | string): void;
  /** Flushes a last line without its newline (not called on a file still being written). */
  end(): void;
  /** Lines handed over so far, where a read error happened; undefined for a chunk-fed parser. */
  readonly lines: number | undefined;
}

export function parserFeed(parser: LineParser): ParserFeed {
  if (parser.chunk) {
    return { encoding: undefined, push: (c) => parser.chunk!(c as Buffer), end: () => {}, lines: undefined };
  }
  if (parser.bytes) {
    const s = new ByteLineSplitter((buf, start, end, no) => parser.bytes!(buf, start, end, no));
    return { encoding: undefined, push: (c) => s.push(c as Buffer), end: () => s.end(), get lines() { return s.lines; } };
  }
  const s = new LineSplitter((text, no) => parser.line(text, no));
  return { encoding: 'utf8', push: (c) => s.push(c as string), end: () => s.end(), get lines() { return s.lines; } };
}
