// The value oracle: does the shadow config hold what the device held? For every read the device
// side saw (QEMU's log: the value the device returned), the kernel-side pipeline's shadow value of
// the same bytes just before that read is compared with it. The shadow is built from the kernel
// side only (its records, the handover's device-layer records, the device records' config
// snapshot at the capture's start), never from the device-side reads it is checked against.
// Device reads are put on the kernel side's timeline by crosscheck's write pairs: a read sits
// right after the kernel record paired with the device side's previous write (the handover's
// device-layer records pair with the device side's writes in order). Only writes change the
// kernel side's shadow (its read probes see no value), so where a read sits between two writes
// does not matter, and a read's own pair (by device and offset only, so ambiguous among repeated
// reads) is used for its width alone.

import { formatBdf } from '../model/bdf.js';
import type { AccessRecord, CaptureRecord } from '../model/records.js';
import { Inventory } from '../identity/inventory.js';
import { Enricher } from '../pipeline/enricher.js';
import { crosscheck } from './crosscheck-accesses.js';

export type Verdict = 'agree' | 'unknown' | 'disagree';

export interface OracleRead {
  device: AccessRecord;
  bdf: string;
  /** The width compared: the kernel twin's, else the device side's (a lower bound). */
  size: number;
  shadow: number | null;
  /** setpci name of the bytes, from the device's layout as the kernel side knows it then. */
  register: string;
  verdict: Verdict;
  /** The kernel record the read was placed before (null: after the kernel side's last record). */
  at: AccessRecord | null;
  /** A device-side write the kernel side has no record of (no kernel twin, not in the handover:
   *  the power-off after the trace was read out, a write the probes missed) last wrote some of
   *  these bytes: the shadow cannot know it, so a disagreement here is explained. */
  untracedWrite: boolean;
}

export interface OracleResult {
  agree: number;
  unknown: number;
  disagree: number;
  /** Reads in QEMU's firmware phase: before the kernel side's capture starts. */
  firmware: number;
  reads: OracleRead[];
}

const bdfOf = (a: AccessRecord): string => formatBdf(a.seg ?? 0, a.bus!, a.devfn!);
const mask = (size: number): number => (size >= 4 ? 0xffffffff : 256 ** size - 1);

/** Device-side reads (non-firmware), each with the kernel record it precedes. */
interface Placed { d: AccessRecord; k: AccessRecord | null; untraced: boolean }

function placeReads(kernel: readonly CaptureRecord[], device: readonly CaptureRecord[]): { placed: Map<CaptureRecord | null, Placed[]>; firmware: number } {
  const x = crosscheck(kernel, device);
  const twin = new Map<AccessRecord, AccessRecord>();
  for (const [k, d] of [...x.writes.pairs, ...x.reads.pairs]) twin.set(d, k);
  // The handover's device-layer records are copies of device-side writes, in the same order.
  const handover = kernel.filter((r): r is AccessRecord => r.t === 'access' && r.layer === 'device');
  let h = 0;
  const next = new Map<CaptureRecord, CaptureRecord | null>();
  let following: CaptureRecord | null = null;
  for (let i = kernel.length - 1; i >= 0; i--) {
    const r = kernel[i]!;
    if (r.t !== 'access') continue;
    next.set(r, following);
    following = r;
  }
  const placed = new Map<CaptureRecord | null, Placed[]>();
  const put = (at: CaptureRecord | null, p: Placed): void => {
    const list = placed.get(at);
    if (list) list.push(p); else placed.set(at, [p]);
  };
  /** `bdf@byte` last written by a device-side write the kernel side has no record of. */
  const untraced = new Set<string>();
  const bytesOf = (r: AccessRecord, size: number): string[] => Array.from({ length: size }, (_, i) => `${bdfOf(r)}@${r.off! + i}`);
  let after: CaptureRecord | null | undefined; // the kernel record the last anchor was; undefined: none yet
  let firmware = 0;
  let inFirmware = false;
  for (const r of device) {
    if (r.t === 'phase') inFirmware = r.label === 'firmware';
    if (r.t !== 'access' || !r.known || r.bus === null || r.devfn === null || r.off === null) continue;
    const k = twin.get(r);
    if (r.op === 'w') {
      if (inFirmware) continue;
      let seen: AccessRecord | undefined = k;
      if (!seen && h < handover.length) {
        const hv = handover[h]!;
        if (hv.bus === r.bus && hv.devfn === r.devfn && hv.off === r.off && hv.val === r.val) { seen = hv; h++; }
      }
      if (seen) {
        after = seen;
        for (const b of bytesOf(r, seen.size)) untraced.delete(b);
      } else for (const b of bytesOf(r, r.size)) untraced.add(b);
      continue;
    }
    if (inFirmware) { firmware++; continue; }
    const at = after === undefined ? kernel.find((n) => n.t === 'access') ?? null : after === null ? null : next.get(after) ?? null;
    put(at, { d: r, k: k ?? null, untraced: bytesOf(r, k ? k.size : r.size).some((b) => untraced.has(b)) });
  }
  return { placed, firmware };
}

/** Runs the kernel side through the pipeline's enricher and answers each placed device read. */
export function valueOracle(kernel: readonly CaptureRecord[], device: readonly CaptureRecord[]): OracleResult {
  const { placed, firmware } = placeReads(kernel, device);
  const inventory = new Inventory();
  const enricher = new Enricher({ inventory }, () => {});
  const out: OracleResult = { agree: 0, unknown: 0, disagree: 0, firmware, reads: [] };
  const answer = (at: CaptureRecord | null): void => {
    for (const { d, k, untraced } of placed.get(at) ?? []) {
      const size = k ? k.size : d.size;
      const state = inventory.state(d.seg ?? 0, d.bus!, d.devfn!);
      const shadow = state.shadow.get(d.off!, size);
      const seen = (d.val! & mask(size)) >>> 0;
      const verdict: Verdict = shadow === null ? 'unknown' : shadow === seen ? 'agree' : 'disagree';
      out[verdict]++;
      out.reads.push({ device: d, bdf: bdfOf(d), size, shadow, register: state.namer().name(d.off!, size).name, verdict, at: at as AccessRecord | null, untracedWrite: untraced });
    }
  };
  for (const r of kernel) {
    if (r.t === 'access') answer(r);
    enricher.next(r);
  }
  answer(null);
  enricher.complete();
  return out;
}
