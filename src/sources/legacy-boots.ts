// Captures written before boot records existed (docs/capture-format.md, "boot") mark a kexec'd
// kernel with a phase `trace #N`, and `import --attribute` put the old kernel's shutdown writes
// (device side only) just before it. Read today, they become what the importer now writes: a
// `handover` boot record before that run of device-only writes, and a `kernel` boot record for
// the phase. Only a kernel-side capture (header source `ftrace`) is upgraded: on the device side
// every access is a `device` write. The run held back is bounded (MAX_HELD): a longer run is no
// shutdown, and is passed on as it came.

import { legacyBootOf } from '../model/boots.js';
import type { CaptureRecord } from '../model/records.js';

/** The old kernel's shutdown in the bundled kexec run is 31 writes; a run this long is not one. */
const MAX_HELD = 4096;

const isDeviceOnlyWrite = (r: CaptureRecord): boolean =>
  r.t === 'access' && r.layer === 'device' && r.op === 'w' && r.stack === null && r.ts === null;

export interface LegacyBootUpgrader {
  push(r: CaptureRecord): void;
  /** End of input: passes on what is held. */
  end(): void;
}

export function legacyBootUpgrader(emit: (r: CaptureRecord) => void): LegacyBootUpgrader {
  /** A kernel-side capture that has shown no boot record yet: a run of device-only writes may be
   *  an old kernel's shutdown, held until the record after it says. */
  let watching = false;
  let sawBoot = false;
  let held: CaptureRecord[] = [];
  const flush = (): void => {
    // Nearly always empty: no new array per record.
    if (held.length === 0) return;
    for (const r of held) emit(r);
    held = [];
  };
  return {
    push(r) {
      // Accesses first, in as few tests as they need: this runs for every record of a capture
      // (a kernel-side capture of one boot has no boot record, and is watched to its end).
      if (r.t === 'access') {
        if (watching && isDeviceOnlyWrite(r)) {
          held.push(r);
          if (held.length > MAX_HELD) flush();
          return;
        }
        if (held.length > 0) flush();
        emit(r);
        return;
      }
      if (r.t === 'header') watching = r.source.kind === 'ftrace' && !sawBoot;
      if (r.t === 'boot') { sawBoot = true; watching = false; }
      if (!watching) { flush(); emit(r); return; }
      const kernel = r.t === 'phase' ? legacyBootOf(r) : null;
      if (kernel === null) { flush(); emit(r); return; }
      if (held.length > 0) emit({ t: 'boot', kernel, segment: 'handover' });
      flush();
      emit({ t: 'boot', kernel, segment: 'kernel', ...(r.t === 'phase' && r.line !== undefined ? { line: r.line } : {}) });
    },
    end: flush,
  };
}
