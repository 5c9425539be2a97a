// The contract every input format implements (one file per format, listed in ./index.ts).
// Parsers are pure: no I/O, no RxJS, no clocks. They are fed lines and emit capture records,
// so the same parser serves a file replay and a live bpftrace pipe.

import type { CaptureRecord, SourceKind } from '../model/records.js';
import type { StackTable } from '../model/stack-table.js';

export interface ParseContext {
  /** Name shown in error locations (file:line). */
  file: string;
  /** Interns stacks; a parser emits a StackRecord the first time it sees a stack. */
  stacks: StackTable;
}

export type RecordSink = (record: CaptureRecord) => void;

export interface LineParser {
  /** One input line without its newline; `lineNo` is 1-based. */
  line(text: string, lineNo: number): void;
  /**
   * Optional: the same line as undecoded UTF-8 bytes [start, end) of `buf`. A parser that has it
   * is fed bytes instead of text by file sources (to skip decoding lines a byte scanner can read);
   * it must behave exactly as line() on the decoded text.
   */
  bytes?(buf: Buffer, start: number, end: number, lineNo: number): void;
  /**
   * Optional: the input's raw bytes, chunk after chunk, for a binary encoding that frames its
   * records itself (the packed capture). A parser that has it is fed chunks, never lines. For
   * both: `buf` is good only during the call (file sources read the next chunk into the same
   * buffer, src/sources/file-chunks.ts); what the parser keeps longer, it copies.
   */
  chunk?(buf: Buffer): void;
  /** End of input: flush whatever is pending (a stack still being collected, the header...). */
  end(): void;
}

export interface InputFormat {
  kind: SourceKind;
  /** Human name for messages and `--format`. */
  name: string;
  /**
   * Sniffs the first lines of an input (up to HEAD_LINES). True when the input is in this format.
   * Must not throw: "not mine" is false, "mine but broken" is reported later by the parser.
   */
  detect(head: readonly string[]): boolean;
  create(ctx: ParseContext, emit: RecordSink): LineParser;
}

/** How many lines detection may look at. A serial console log can carry thousands of boot lines
 *  before the trace starts, so detection looks for markers anywhere in this window. */
export const HEAD_LINES = 4000;
