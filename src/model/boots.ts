// Boots: a capture of a kexec run holds several kernels, one after the other, and between two of
// them the handover: what the device saw after the old kernel's trace ended (its shutdown, once
// userspace is gone) and before the new kernel's first traced access. No kernel trace holds the
// handover; only the device side (QEMU's log, or `device` writes `import --attribute` placed).
// A record's boot is given by its position: everything after a `boot` record belongs to it, up to
// the next one; what precedes the first `boot` record is kernel 1, described by the header.
// (docs/capture-format.md, "boot").

import type { PhaseRecord } from './records.js';

/** Where in a capture's sequence of boots a record stands. `handover` is the segment before
 *  kernel `kernel` (the old kernel's shutdown, device side only). */
export interface BootRef {
  kernel: number;
  handover?: true;
  /** A handover seen from the kernel side: the old kernel's shutdown, from its persistent ring
   *  buffer printed by the new kernel (6.12+, `boot-args --handover`), each write with its stack. */
  kernelSide?: true;
  /** Kernel N (from 2) entered with no handover segment before it (a raw log, no device side):
   *  what the old kernel's shutdown did is out of every trace's view, so a value known from
   *  before this kernel may have changed there. */
  handoverUntraced?: true;
}

/** `{"t":"boot"}`: the start of a kernel (`segment: "kernel"`, with what its console said) or of
 *  the handover into it (`segment: "handover"`). */
export interface BootRecord {
  t: 'boot';
  /** The kernel this segment is, or leads into: 2 for the first kexec'd kernel. */
  kernel: number;
  segment: 'kernel' | 'handover';
  /** Of a handover: `kernel` when the old kernel's own trace of its shutdown holds it (the
   *  previous boot's persistent ring buffer); absent: the device side only. */
  side?: 'kernel';
  /** `uname -r` of that kernel, from its console's `Linux version` line, when seen. */
  release?: string;
  cmdline?: string;
  /** Its trace clock (`trace_clock=` on its command line, else ftrace's default `local`). */
  clock?: string;
  line?: number;
}

export const KERNEL_1: BootRef = Object.freeze({ kernel: 1 });

export const bootOfRecord = (r: BootRecord): BootRef =>
  r.segment !== 'handover' ? { kernel: r.kernel } : r.side === 'kernel' ? { kernel: r.kernel, handover: true, kernelSide: true } : { kernel: r.kernel, handover: true };

export const sameBoot = (a: BootRef, b: BootRef): boolean => a.kernel === b.kernel && (a.handover === true) === (b.handover === true);

/** Boots in stream order: kernel 1, handover into 2, kernel 2, handover into 3... */
export const bootOrder = (b: BootRef): number => b.kernel * 2 - (b.handover ? 1 : 0);

/** How a kernel developer names it: `kernel 1`, `kernel 2 (after kexec)`, `handover, device side
 *  only` (with `to kernel N` from the second kexec on, where "the" handover is ambiguous). */
export function bootName(b: BootRef): string {
  if (b.handover) {
    const seen = b.kernelSide ? "old kernel's shutdown, kernel side" : 'device side only';
    return b.kernel === 2 ? `handover, ${seen}` : `handover to kernel ${b.kernel}, ${seen}`;
  }
  return b.kernel === 1 ? 'kernel 1' : `kernel ${b.kernel} (after kexec)`;
}

/** Short form for narrow places (the page's lane titles, the email's summary): `kernel 2`, `handover`. */
export const bootShortName = (b: BootRef): string => (b.handover ? (b.kernel === 2 ? 'handover' : `handover to ${b.kernel}`) : `kernel ${b.kernel}`);

/** A phase's full name: kernel 1's phases keep their label (a single-boot capture reads as it
 *  always did); a later kernel's are prefixed with that kernel, so kernel 2's `boot` or
 *  `PHASE[1] insmod e1000e` is never the same phase as kernel 1's; the handover is one phase. */
export function phaseName(b: BootRef, label: string): string {
  // The device side's handover is one phase; a kernel-side one keeps the markers its kernel wrote.
  if (b.handover && !b.kernelSide) return bootName(b);
  return b.kernel === 1 ? label : `${bootName(b)}: ${label}`;
}

/** Captures written before boot records existed mark a further trace dump of a console log with
 *  a phase labelled `trace #N` (N from 2): that is kernel N. */
const LEGACY_TRACE = /^trace #([1-9]\d*)$/;
export function legacyBootOf(r: PhaseRecord): number | null {
  if (r.index !== null) return null;
  const m = LEGACY_TRACE.exec(r.label);
  return m ? Number(m[1]) : null;
}

/** The JSON form findings and summaries carry: `{"kernel":2}` or `{"kernel":2,"handover":true}`. */
export const bootJson = (b: BootRef): BootRef => (b.handover ? { kernel: b.kernel, handover: true } : { kernel: b.kernel });

/** Blame, when it cannot be the write's: the protected bits' old value dates from before a kernel
 *  whose handover no trace holds. */
export const untracedHandoverNote = (b: BootRef): string =>
  `the bits may have changed before this write, out of any trace's view: in the handover into kernel ${b.kernel} (not in the capture) or an early write with no known target`;

/** A phase's label within its boot (phaseName undone): what two boots' phases are matched by when
 *  `diff` compares kernel 1 with kernel 2. */
export function labelInBoot(b: BootRef, name: string): string {
  const prefix = `${bootName(b)}: `;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}
