// The values of reads, kernel side against device side: a kernel whose read probes record the
// value read (return probes, `cfgscope boot-args` on 6.10+) can be checked against what the device
// returned for the same read. Reads are paired by device and offset (crosscheck-accesses.ts), not
// by value, so a pair whose values differ is a disagreement to report, not a missing pair.

import type { AccessRecord } from '../model/records.js';

export interface ReadValueMismatch {
  kernel: AccessRecord;
  device: AccessRecord;
}

export interface ReadValueCheck {
  /** Kernel-side reads (traced, with a target) that carry the value read. */
  withValue: number;
  /** Kernel-side reads (traced, with a target) in all. */
  kernelReads: number;
  /** Matched pairs whose kernel side carries a value. */
  paired: number;
  agree: number;
  /** The device side is known to have read another width: the values cannot be compared. */
  otherWidth: number;
  differ: ReadValueMismatch[];
}

export function compareReadValues(kernelReads: readonly AccessRecord[], pairs: readonly [AccessRecord, AccessRecord][]): ReadValueCheck {
  const out: ReadValueCheck = { withValue: 0, kernelReads: 0, paired: 0, agree: 0, otherWidth: 0, differ: [] };
  for (const k of kernelReads) {
    if (!k.known) continue;
    out.kernelReads++;
    if (k.val !== null) out.withValue++;
  }
  for (const [k, d] of pairs) {
    if (k.val === null || d.val === null) continue;
    out.paired++;
    // QEMU logs the value an access returned at that access's width; a device-side width that is
    // only the least its value needs (sizeGuessed) says nothing against the kernel's.
    if (!d.sizeGuessed && d.size !== k.size) { out.otherWidth++; continue; }
    if (k.val === d.val) out.agree++;
    else out.differ.push({ kernel: k, device: d });
  }
  return out;
}
