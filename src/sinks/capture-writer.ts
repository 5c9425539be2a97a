// Writes capture records as NDJSON (docs/capture-format.md) and closes the file with a trailer
// whose counts are computed from what was written, never copied from the input.

import { countRecord, emptyCounts, type CaptureCounts, type CaptureRecord } from '../model/records.js';
import { SyncWriter } from './sync-writer.js';

export class CaptureWriter {
  private readonly counts: CaptureCounts = emptyCounts();
  private headerSeen = false;
  private finished = false;

  constructor(private readonly out: SyncWriter) {}

  /**
   * Writes one record; false when it is not part of the capture: an input's own trailer (this
   * writer computes a new one) or a second header. A live reader of the capture (`capture --serve`)
   * feeds on exactly the records written, so a re-read of the file gives the same stream.
   */
  write(r: CaptureRecord): boolean {
    if (r.t === 'trailer') return false;
    if (r.t === 'header') {
      if (this.headerSeen) return false; // several inputs merged into one capture keep the first header
      this.headerSeen = true;
    }
    if (r.t === 'source-count' && r.key === 'ignored-console-lines') this.counts.ignoredLines += r.count;
    countRecord(this.counts, r);
    this.out.write(`${JSON.stringify(r)}\n`);
    return true;
  }

  /** Ends the capture. `complete: false` says the run was interrupted (signal, dying tracer). */
  finish(complete: boolean): CaptureCounts {
    if (!this.finished) {
      this.finished = true;
      this.out.write(`${JSON.stringify({ t: 'trailer', counts: this.counts, complete })}\n`);
      this.out.close();
    }
    return this.counts;
  }

  get written(): CaptureCounts {
    return this.counts;
  }
}
