// Captures written before boot records existed (docs/capture-format.md, "boot") mark a kexec'd
// kernel with a phase `trace #N`, and `import --attribute` put the old kernel's shutdown writes
// (device side only) just before it. Read today, they become what the importer now writes: a
// `handover` boot record before that run of device-only writes, and a `kernel` boot record for
// the phase. Only a kernel-side capture (header source `ftrace`) is upgraded: on the device side
// every access is a `device` write. The run held back is bounded (MAX_HELD): a longer run is no
// shutdown, and is passed on as it came.
//
// Only capture files can be that old (the raw-trace parsers write boot records themselves), so
// the two capture parsers (./capture.ts, ./packed.ts) send their records through this. They
// send an access they decoded as one through access(), which asks nothing of the record's type:
// a kernel-side capture of one boot has no boot record and is watched to its end, so this runs
// for every access, where a type test on records of every shape is a generic property load.

import { legacyBootOf } from '../model/boots.js';
import type { AccessRecord, CaptureRecord } from '../model/records.js';
import type { RecordSink } from './parser.js';

/** The old kernel's shutdown in the bundled kexec run is 31 writes; a run this long is not one. */
const MAX_HELD = 4096;

/** Where a capture parser sends its records: any record, or one it knows to be an access. */
export interface CaptureOut {
  record(r: CaptureRecord): void;
  access(r: AccessRecord): void;
  /** End of input. */
  end(): void;
}

/** A capture parser's records as they are (the packed reader's JSON frames, which it upgrades
 *  itself with the access frames around them). */
export const asIs = (emit: RecordSink): CaptureOut => ({ record: emit, access: emit, end: () => {} });

export class LegacyBoots implements CaptureOut {
  /** A kernel-side capture that has shown no boot record yet: a run of device-only writes may be
   *  an old kernel's shutdown, held until the record after it says. */
  private watching = false;
  private sawBoot = false;
  private held: CaptureRecord[] = [];

  constructor(private readonly emit: RecordSink) {}

  access(r: AccessRecord): void {
    // A device-side write with no stack and no time: what an old kernel's shutdown was written as.
    if (this.watching && r.op === 'w' && r.stack === null && r.ts === null && r.layer === 'device') {
      this.held.push(r);
      if (this.held.length > MAX_HELD) this.end();
      return;
    }
    if (this.held.length > 0) this.end();
    this.emit(r);
  }

  record(r: CaptureRecord): void {
    // The type read once: records of every shape come here (a generic load each time; the
    // packed reader's nested frames are a tenth of a capture).
    const t = r.t;
    if (t === 'access') return this.access(r);
    if (t === 'header') this.watching = r.source.kind === 'ftrace' && !this.sawBoot;
    else if (t === 'boot') { this.sawBoot = true; this.watching = false; }
    const kernel = this.watching && t === 'phase' ? legacyBootOf(r) : null;
    if (kernel === null || t !== 'phase') {
      this.end();
      this.emit(r);
      return;
    }
    if (this.held.length > 0) this.emit({ t: 'boot', kernel, segment: 'handover' });
    this.end();
    this.emit({ t: 'boot', kernel, segment: 'kernel', ...(r.line !== undefined ? { line: r.line } : {}) });
  }

  /** Passes on what is held (end of input, or the record after a run that was no shutdown). */
  end(): void {
    // Nearly always empty: no new array per record.
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    for (const r of held) this.emit(r);
  }
}
