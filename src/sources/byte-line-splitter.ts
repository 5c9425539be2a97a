// Splits byte chunks into lines without decoding them, for parsers that read bytes (the capture
// format's fast path): a line is handed over as a range of a buffer. A line cut by a chunk
// boundary is joined into a buffer of its own. Line numbers count '\n' exactly as LineSplitter
// does on the decoded text, so locations do not depend on the path.

export type ByteLineCallback = (buf: Buffer, start: number, end: number, lineNo: number) => void;

const NL = 0x0a;

export class ByteLineSplitter {
  private partial: Buffer[] = [];
  private lineNo = 0;

  constructor(private readonly onLine: ByteLineCallback) {}

  push(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(NL);
    // Copied: the chunk may be a view of a buffer the source reads the next chunk into.
    if (nl === -1) { this.partial.push(Buffer.from(chunk)); return; }
    if (this.partial.length > 0) {
      const joined = Buffer.concat([...this.partial, chunk.subarray(0, nl)]);
      this.partial = [];
      this.onLine(joined, 0, joined.length, ++this.lineNo);
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    while (nl !== -1) {
      this.onLine(chunk, start, nl, ++this.lineNo);
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    // Copied, for the same reason.
    if (start < chunk.length) this.partial.push(Buffer.from(chunk.subarray(start)));
  }

  /** Flushes a last line that had no newline (a capture cut off mid-write ends like that). */
  end(): void {
    if (this.partial.length > 0) {
      const joined = Buffer.concat(this.partial);
      this.partial = [];
      if (joined.length > 0) this.onLine(joined, 0, joined.length, ++this.lineNo);
    }
  }

  get lines(): number {
    return this.lineNo;
  }
}
