// Lines up a kernel-side and a device-side trace of the same run. The device side (QEMU) sees no
// trace_marker, so each phase marker is followed by a sync access visible on both sides: a
// userspace read of a chosen device's config through sysfs (pci_user_read_config_*, layer `user`).
// Both traces are split at those anchor reads, so an access racing the marker lands in the same
// phase on both sides.

import { formatBdf } from '../model/bdf.js';
import type { AccessRecord, CaptureRecord } from '../model/records.js';

export interface Anchor {
  /** Label of the phase marker the anchor follows. */
  label: string;
  bdf: string;
  off: number;
}

const bdfOf = (a: AccessRecord): string | null =>
  a.bus === null || a.devfn === null ? null : formatBdf(a.seg ?? 0, a.bus, a.devfn);

/** Kernel side: the first userspace read after each phase marker. */
export function findAnchors(kernel: Iterable<CaptureRecord>): Anchor[] {
  const anchors: Anchor[] = [];
  let waiting: string | null = null;
  for (const r of kernel) {
    if (r.t === 'phase') waiting = r.label;
    else if (waiting !== null && r.t === 'access' && r.layer === 'user' && r.op === 'r' && r.known && r.off !== null) {
      const bdf = bdfOf(r);
      if (bdf) anchors.push({ label: waiting, bdf, off: r.off });
      waiting = null;
    }
  }
  return anchors;
}

/**
 * Assigns every access of a trace to a phase by anchors: index 0 is everything before the first
 * anchor, index k (1-based) starts at the k-th anchor's read. `userOnly` matches anchors only on
 * userspace reads (kernel side); the device side has no layers, so any read at the same device and
 * offset matches there.
 */
export function* splitByAnchors(records: Iterable<CaptureRecord>, anchors: readonly Anchor[], userOnly: boolean): Generator<{ phase: number; access: AccessRecord }> {
  let next = 0;
  for (const r of records) {
    if (r.t !== 'access') continue;
    if (isAnchorRead(anchors[next], r, userOnly)) next++;
    yield { phase: next, access: r };
  }
}

/** Whether `r` is the read that anchors `a` (see splitByAnchors for `userOnly`). */
export const isAnchorRead = (a: Anchor | undefined, r: AccessRecord, userOnly: boolean): boolean =>
  a !== undefined && r.op === 'r' && r.off === a.off && (!userOnly || r.layer === 'user') && bdfOf(r) === a.bdf;

/** Writes per phase and device: `phase -> bdf -> count`. Unknown-target writes count under `?`. */
export function writeCounts(split: Iterable<{ phase: number; access: AccessRecord }>): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (const { phase, access } of split) {
    if (access.op !== 'w') continue;
    const bdf = bdfOf(access) ?? '?';
    const m = out.get(phase) ?? new Map<string, number>();
    m.set(bdf, (m.get(bdf) ?? 0) + 1);
    out.set(phase, m);
  }
  return out;
}
