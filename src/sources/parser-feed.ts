// How a file source hands its chunks to a parser: raw chunks to a parser that frames bytes itself
// (the packed capture), undecoded lines to one that reads line bytes (the NDJSON capture's fast
// path), decoded text lines to the others. recordsFromFile and recordChunks share it, so a
// replay and a paced re-read see the same records. A chunk may be a view of a buffer the source
// reads the next chunk into (./file-chunks.ts): whatever outlives push() is copied or decoded.

import { StringDecoder } from 'node:string_decoder';
import type { LineParser } from '../parsers/parser.js';
import { ByteLineSplitter } from './byte-line-splitter.js';
import { LineSplitter } from './line-splitter.js';

export interface ParserFeed {
  push(chunk: Buffer): void;
  /** Flushes a last line without its newline (not called on a file still being written). */
  end(): void;
  /** Lines handed over so far, where a read error happened; undefined for a chunk-fed parser. */
  readonly lines: number | undefined;
}

export function parserFeed(parser: LineParser): ParserFeed {
  if (parser.chunk) {
    return { push: (c) => parser.chunk!(c), end: () => {}, lines: undefined };
  }
  if (parser.bytes) {
    const s = new ByteLineSplitter((buf, start, end, no) => parser.bytes!(buf, start, end, no));
    return { push: (c) => s.push(c), end: () => s.end(), get lines() { return s.lines; } };
  }
  const s = new LineSplitter((text, no) => parser.line(text, no));
  // A character cut by a chunk boundary waits in the decoder for the rest of its bytes.
  const utf8 = new StringDecoder('utf8');
  return {
    push: (c) => s.push(utf8.write(c)),
    end() {
      const rest = utf8.end();
      if (rest.length > 0) s.push(rest);
      s.end();
    },
    get lines() { return s.lines; },
  };
}
