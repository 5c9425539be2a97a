// Writes capture records (docs/capture-format.md), as NDJSON or in the packed encoding, and
// closes the file with a trailer whose counts are computed from what was written, never copied
// from the input.

import { countRecord, emptyCounts, type CaptureCounts, type CaptureRecord } from '../model/records.js';
import { PackedEncoder } from './packed-encoder.js';
import { SyncWriter } from './sync-writer.js';

export type CaptureEncoding = 'ndjson' | 'packed';
export const CAPTURE_ENCODINGS: readonly CaptureEncoding[] = ['ndjson', 'packed'];

/** A file named `*.cfgcap` is written packed unless an encoding is asked for. */
export const encodingFor = (path: string, asked?: CaptureEncoding): CaptureEncoding => asked ?? (path.endsWith('.cfgcap') ? 'packed' : 'ndjson');

export class CaptureWriter {
  private readonly counts: CaptureCounts = emptyCounts();
  private headerSeen = false;
  private finished = false;
  /** A write failed (disk full): the records counted are not all in the file, so no trailer may claim them. */
  private broken = false;
  private readonly packed: PackedEncoder | null;

  constructor(private readonly out: SyncWriter, encoding: CaptureEncoding = 'ndjson') {
    this.packed = encoding === 'packed' ? new PackedEncoder(out) : null;
  }

  /**
   * Writes one record; false when it is not part of the capture: an input's own trailer (this
   * writer computes a new one) or a second header. A live reader of the capture (`capture --listen`)
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
    try {
      if (this.packed) this.packed.record(r);
      else this.out.write(`${JSON.stringify(r)}\n`);
    } catch (e) {
      this.broken = true;
      throw e;
    }
    return true;
  }

  /**
   * Ends the capture. `complete: false` says the run was interrupted (signal, dying tracer) or its
   * input was itself incomplete. A whole output file replaces its target only now; if this last
   * write fails the target is left as it was.
   */
  finish(complete: boolean): CaptureCounts {
    if (this.broken) this.abandon(); // a live file then ends at its last whole record, without a trailer
    if (!this.finished) {
      this.finished = true;
      const trailer: CaptureRecord = { t: 'trailer', counts: this.counts, complete };
      try {
        if (this.packed) {
          this.packed.record(trailer);
          this.packed.flush();
        } else {
          this.out.write(`${JSON.stringify(trailer)}\n`);
        }
        this.out.close();
      } catch (e) {
        this.out.discard();
        throw e;
      }
    }
    return this.counts;
  }

  /** Ends after an error: nothing replaces the target (a live file keeps what it holds, without a trailer). */
  abandon(): void {
    if (this.finished) return;
    this.finished = true;
    this.out.discard();
  }

  get written(): CaptureCounts {
    return this.counts;
  }
}
