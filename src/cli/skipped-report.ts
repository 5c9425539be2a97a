// Tells the user what input was skipped: a count per code and the first few locations, so a
// skipped line is never silent and is easy to find (file:line). Keeps counts, not every record.

import { printable } from '../model/escape-text.js';
import type { SkippedRecord } from '../model/records.js';
import type { CliIo } from './cli-types.js';

const EXAMPLES_PER_CODE = 3;

export class SkipTally {
  private readonly counts = new Map<string, number>();
  private readonly examples = new Map<string, SkippedRecord[]>();
  total = 0;

  add(s: SkippedRecord): void {
    this.total++;
    this.counts.set(s.code, (this.counts.get(s.code) ?? 0) + 1);
    const ex = this.examples.get(s.code) ?? [];
    if (ex.length < EXAMPLES_PER_CODE) ex.push(s);
    this.examples.set(s.code, ex);
  }

  report(file: string, io: CliIo): void {
    for (const [code, n] of this.counts) {
      io.stderr(`  skipped ${n} x ${printable(code)}\n`);
      // The text is the input line itself (and a code or message may quote it): printable, so a
      // skipped line cannot put terminal escapes or a line of its own on stderr.
      for (const s of this.examples.get(code)!) io.stderr(`    ${printable(`${file}:${s.line}: ${s.message}: ${s.text}`)}\n`);
    }
  }
}
