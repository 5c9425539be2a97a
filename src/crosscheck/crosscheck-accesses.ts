// `cfgscope crosscheck`: lines up the kernel side and the device side of one run and accounts for
// every config access seen on one side only. Both sides are split into phases at the anchor reads
// that follow each phase marker (phase-anchors.ts); inside a phase the two write sequences are
// aligned in order (align-sequences.ts), a pair matching only when device, offset and value are
// the same; reads likewise by device and offset (entry probes see no value; where return probes
// recorded one, read-values.ts compares it with the device's). What is
// left over gets a reason from where it sits (difference-reasons.ts): the matched accesses of the
// same kind around a device-only one tell whether the kernel was tracing at that moment.

import { formatBdf } from '../model/bdf.js';
import { bootName, bootOfRecord, legacyBootOf } from '../model/boots.js';
import type { AccessRecord, CaptureRecord } from '../model/records.js';
import { alignWithGapsLatest } from './align-sequences.js';
import type { DifferenceReason } from './difference-reasons.js';
import { findAnchors, isAnchorRead, type Anchor } from './phase-anchors.js';
import { compareReadValues, type ReadValueCheck } from './read-values.js';

export type Side = 'kernel' | 'device';

export interface SideAccess {
  record: AccessRecord;
  bdf: string | null;
  /** Phase segment: 0 before the first anchor read, k from the k-th anchor on. */
  segment: number;
  /** Kernel side: which trace of the console (0, then 1 after a kexec's `trace #2`...). */
  trace: number;
  /** Kernel side: recorded before its trace's first kprobe event (the early function tracer era). */
  early: boolean;
  /** Device side: in the firmware phase. */
  firmware: boolean;
}

export interface Difference {
  side: Side;
  reason: DifferenceReason;
  /** The one-sided access (a write or a read: `access.record.op`). */
  access: SideAccess;
}

export interface DeviceCounts { bdf: string; kernel: number; device: number; matched: number }

export interface SegmentSummary {
  index: number;
  label: string;
  /** A kernel boots in this phase (the first one, or a kexec'd one): its early writes precede its probes. */
  kernelStart: boolean;
  devices: DeviceCounts[];
}

/** One kind of access (writes, or reads) lined up. */
export interface OpResult {
  segments: SegmentSummary[];
  matched: number;
  kernel: number;
  device: number;
  differences: Difference[];
  /** The matched pairs, kernel side first, in device-side order (the value oracle places the
   *  device side's accesses on the kernel side's timeline with them). */
  pairs: [AccessRecord, AccessRecord][];
}

export interface CrosscheckResult {
  anchors: Anchor[];
  /** How many of the kernel side's anchors the device side has (all, unless its log is cut). */
  anchorsOnDevice: number;
  writes: OpResult;
  reads: OpResult;
  /** Paired reads' values, kernel side against device side (read-values.ts). */
  readValues: ReadValueCheck;
}

/** Above this many cells (kernel x device writes of one phase) the exact alignment costs too much
 *  memory (3 x 8 bytes a cell); such a phase is aligned in order, first exact match. */
const MAX_CELLS = 2_000_000;

const bdfOf = (a: AccessRecord): string | null =>
  a.bus === null || a.devfn === null ? null : formatBdf(a.seg ?? 0, a.bus, a.devfn);

/** The kernel side's accesses, and the phase segments in which a further trace (kexec) starts. */
function kernelAccesses(records: readonly CaptureRecord[], anchors: readonly Anchor[]): { accesses: SideAccess[]; traceStarts: Map<number, string> } {
  const out: SideAccess[] = [];
  const traceStarts = new Map<number, string>();
  let segment = 0;
  let trace = 0;
  let probes = false;
  for (const r of records) {
    // A kernel's boot record (a `trace #N` phase in older captures) starts another kernel's trace.
    const kernel = r.t === 'boot' && r.segment === 'kernel' ? r.kernel : r.t === 'phase' ? legacyBootOf(r) : null;
    // A kernel-side handover (the old kernel's persistent ring buffer) is a trace dump of its own,
    // between the two kernels' traces: counted like one, so its accesses are not kernel 1's.
    const kernelSideHandover = r.t === 'boot' && r.segment === 'handover' && r.side === 'kernel';
    if (kernel !== null || kernelSideHandover) {
      trace++;
      probes = false;
      traceStarts.set(segment, bootName(r.t === 'boot' ? bootOfRecord(r) : { kernel: kernel! }));
    }
    if (r.t === 'phase' || r.t === 'boot') continue;
    if (r.t !== 'access' || r.layer === 'device') continue;
    if (isAnchorRead(anchors[segment], r, true)) segment++;
    if (r.known && !r.attributed) probes = true;
    out.push({ record: r, bdf: bdfOf(r), segment, trace, early: !probes, firmware: false });
  }
  return { accesses: out, traceStarts };
}

function deviceAccesses(records: readonly CaptureRecord[], anchors: readonly Anchor[]): { accesses: SideAccess[]; anchorsSeen: number } {
  const accesses: SideAccess[] = [];
  let segment = 0;
  let firmware = false;
  for (const r of records) {
    if (r.t === 'phase') firmware = r.label === 'firmware';
    if (r.t !== 'access') continue;
    if (isAnchorRead(anchors[segment], r, false)) segment++;
    accesses.push({ record: r, bdf: bdfOf(r), segment, trace: 0, early: false, firmware });
  }
  return { accesses, anchorsSeen: segment };
}

const same = (k: AccessRecord, d: AccessRecord): boolean =>
  k.known && k.bus === d.bus && k.devfn === d.devfn && (k.seg ?? 0) === (d.seg ?? 0) && k.off === d.off && (k.op === 'r' || k.val === d.val);

/** Matched [kernel index, device index] pairs of one phase's writes or reads (the latest equal
 *  device access, see alignWithGapsLatest: a phase may start with device-only accesses). */
function alignPhase(ks: readonly SideAccess[], ds: readonly SideAccess[]): [number, number][] {
  if (ks.length * ds.length <= MAX_CELLS) return alignWithGapsLatest(ks.length, ds.length, (i, j) => (same(ks[i]!.record, ds[j]!.record) ? 2 : 0));
  const pairs: [number, number][] = [];
  let j = 0;
  for (let i = 0; i < ks.length && j < ds.length; i++) {
    let f = j;
    while (f < ds.length && !same(ks[i]!.record, ds[f]!.record)) f++;
    if (f < ds.length) { pairs.push([i, f]); j = f + 1; }
  }
  return pairs;
}

const bySegment = (ws: readonly SideAccess[]): Map<number, SideAccess[]> => {
  const m = new Map<number, SideAccess[]>();
  for (const w of ws) {
    const list = m.get(w.segment);
    if (list) list.push(w); else m.set(w.segment, [w]);
  }
  return m;
};

export function crosscheck(kernel: readonly CaptureRecord[], device: readonly CaptureRecord[]): CrosscheckResult {
  const anchors = findAnchors(kernel);
  const { accesses: ks, traceStarts } = kernelAccesses(kernel, anchors);
  const { accesses: ds, anchorsSeen } = deviceAccesses(device, anchors);
  const kernelBdfs = new Set(ks.filter((k) => k.record.known).map((k) => k.bdf));
  const deviceBdfs = new Set(ds.map((d) => d.bdf));
  const labels = Array.from({ length: anchors.length + 1 }, (_, s) => {
    const label = s === 0 ? '(before the first phase marker)' : anchors[s - 1]!.label;
    const next = traceStarts.get(s);
    return { label: next ? `${label}, then ${next} boots` : label, kernelStart: next !== undefined || s === 0 };
  });
  const op = (o: 'r' | 'w'): OpResult => lineUp(ks.filter((k) => k.record.op === o), ds.filter((d) => d.record.op === o), labels, kernelBdfs, deviceBdfs);
  const reads = op('r');
  const readValues = compareReadValues(ks.filter((k) => k.record.op === 'r').map((k) => k.record), reads.pairs);
  return { anchors, anchorsOnDevice: anchorsSeen, writes: op('w'), reads, readValues };
}

function lineUp(ks: readonly SideAccess[], ds: readonly SideAccess[], labels: readonly { label: string; kernelStart: boolean }[],
  kernelBdfs: ReadonlySet<string | null>, deviceBdfs: ReadonlySet<string | null>): OpResult {
  const kSeg = bySegment(ks);
  const dSeg = bySegment(ds.filter((d) => !d.firmware));
  // Each matched access's counterpart, both ways.
  const partner = new Map<SideAccess, SideAccess>();
  const segments: SegmentSummary[] = labels.map(({ label, kernelStart }, s) => {
    const k = kSeg.get(s) ?? [];
    const d = dSeg.get(s) ?? [];
    for (const [i, j] of alignPhase(k, d)) { partner.set(d[j]!, k[i]!); partner.set(k[i]!, d[j]!); }
    const counts = new Map<string, DeviceCounts>();
    const at = (bdf: string): DeviceCounts => counts.get(bdf) ?? counts.set(bdf, { bdf, kernel: 0, device: 0, matched: 0 }).get(bdf)!;
    for (const w of k) { const c = at(w.bdf ?? '?'); c.kernel++; if (partner.has(w)) c.matched++; }
    for (const w of d) at(w.bdf ?? '?').device++;
    return { index: s, label, kernelStart, devices: [...counts.values()].sort((a, b) => a.bdf.localeCompare(b.bdf)) };
  });

  const differences: Difference[] = [];
  // Device side, in order: the nearest matched accesses before and after a device-only one tell
  // whether (and which) kernel was tracing then.
  const matchedAt = ds.flatMap((d, j) => (partner.has(d) ? [j] : []));
  let m = 0;
  ds.forEach((d, j) => {
    while (m < matchedAt.length && matchedAt[m]! < j) m++;
    if (partner.has(d)) return;
    const prev = m > 0 ? partner.get(ds[matchedAt[m - 1]!]!)! : undefined;
    const next = m < matchedAt.length ? partner.get(ds[matchedAt[m]!]!)! : undefined;
    differences.push({ side: 'device', access: d, reason: deviceOnlyReason(d, prev, next, kernelBdfs) });
  });
  for (const k of ks) {
    if (partner.has(k)) continue;
    const reason: DifferenceReason = !k.record.known ? 'no-target' : deviceBdfs.has(k.bdf) ? 'unexplained' : 'device-not-in-emulator';
    differences.push({ side: 'kernel', access: k, reason });
  }
  const pairs = matchedAt.map((j): [AccessRecord, AccessRecord] => [partner.get(ds[j]!)!.record, ds[j]!.record]);
  return { segments, matched: partner.size / 2, kernel: ks.length, device: ds.length, differences, pairs };
}

function deviceOnlyReason(d: SideAccess, prev: SideAccess | undefined, next: SideAccess | undefined, kernelBdfs: ReadonlySet<string | null>): DifferenceReason {
  if (d.firmware) return 'firmware';
  if (!kernelBdfs.has(d.bdf)) return 'device-not-in-kernel';
  if (!prev) return 'before-probes';
  if (!next) return 'after-trace';
  if (prev.trace !== next.trace) return 'between-kernels';
  if (prev.early) return 'untraced-raw';
  return 'unexplained';
}
