// Splits text chunks into lines, carrying a partial line across chunk boundaries.
// Hand-written instead of node:readline because readline costs an event per line; this one
// calls back synchronously, which keeps replay of millions of lines cheap.

export type LineCallback = (text: string, lineNo: number) => void;

export class LineSplitter {
  private partial = '';
  private lineNo = 0;

  constructor(private readonly onLine: LineCallback) {}

  push(chunk: string): void {
    let start = 0;
    let nl = chunk.indexOf('\n');
    if (nl === -1) { this.partial += chunk; return; }
    if (this.partial.length > 0) {
      this.onLine(this.partial + chunk.slice(0, nl), ++this.lineNo);
      this.partial = '';
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    while (nl !== -1) {
      this.onLine(chunk.slice(start, nl), ++this.lineNo);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    this.partial = chunk.slice(start);
  }

  /** Flushes a last line that had no newline (a capture cut off mid-write ends like that). */
  end(): void {
    if (this.partial.length > 0) this.onLine(this.partial, ++this.lineNo);
    this.partial = '';
  }

  get lines(): number {
    return this.lineNo;
  }
}
