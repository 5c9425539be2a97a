// Gives early-boot writes their target. The function tracer records each pci_bus_write_config_*
// call with its stack but without arguments; the device side of the same run (QEMU's log) records
// every write's target and value but no stack. Both see the kernel's writes in the same order, so
// the two sequences are aligned: writes the kernel probe did see (kprobe events) are anchors that
// must match exactly; between two anchors the unknown kernel writes are matched to the device
// writes by a gap-aware alignment (align-sequences.ts), where a pair matches only if the width the kernel
// used (from the accessor's name) fits the device-side offset and value. Device writes left over
// were made outside the traced accessors (raw ACPI, the old kernel's shutdown before a kexec); those
// among early writes (only the function tracer ran) are put in the capture as `device`-layer writes
// where the alignment places them, so the config values the kernel's later writes are compared with
// are not stale. Kernel writes left over stay unknown. Device writes after the kernel side's last
// write (power-off after the trace was read out) precede nothing and are left out.

import type { AccessRecord, CaptureRecord } from '../model/records.js';
import { legacyBootOf } from '../model/boots.js';
import { alignWithGapsLatest } from './align-sequences.js';

export interface DeviceWrite {
  seg: number;
  bus: number;
  devfn: number;
  off: number;
  val: number;
  /** The device side's lower bound on the width (its exact width when `exact`). */
  minSize: number;
  /** The device side established the width (capture-format.md, `sizeGuessed`). */
  exact: boolean;
  /** Device model name on the device side (QEMU's `e1000e`). */
  model?: string;
}

export interface AttributionStats {
  attributed: number;
  leftUnknown: number;
  anchors: number;
  /** Known kernel writes with no device-side twin (devices the emulator lacks). */
  kernelOnly: number;
  /** Device writes no kernel write accounts for (raw ACPI, after the trace ended...). */
  deviceOnly: number;
  /** Of those, how many were put in the capture as `device`-layer writes. */
  deviceRecords: number;
}

/** The record the ftrace parser starts each further trace dump of a console log with: a kernel's
 *  boot record (a `trace #N` phase in captures made before boot records). */
const startsKernel = (r: CaptureRecord): boolean =>
  (r.t === 'boot' && (r.segment === 'kernel' || r.side === 'kernel')) || (r.t === 'phase' && legacyBootOf(r) !== null);
/** How far ahead an anchor is looked for; beyond it a known write counts as kernel-only. */
const ANCHOR_WINDOW = 512;
/** Above this many cells (unknown writes x device writes between two anchors) the exact
 *  alignment would cost too much memory (3 x 8 bytes a cell); in-order first fit is used instead. */
const MAX_CELLS = 2_000_000;

/** The device side's kernel-era writes, in order. */
export function deviceWrites(records: Iterable<CaptureRecord>): DeviceWrite[] {
  const out: DeviceWrite[] = [];
  let firmware = false;
  for (const r of records) {
    if (r.t === 'phase') firmware = r.label === 'firmware';
    if (firmware || r.t !== 'access' || r.op !== 'w' || !r.known || r.val === null || r.bus === null || r.devfn === null || r.off === null) continue;
    out.push({ seg: r.seg ?? 0, bus: r.bus, devfn: r.devfn, off: r.off, val: r.val, minSize: r.size, exact: r.sizeGuessed !== true, ...(r.model ? { model: r.model } : {}) });
  }
  return out;
}

const fits = (k: AccessRecord, d: DeviceWrite): boolean =>
  (d.exact ? d.minSize === k.size : d.minSize <= k.size) && d.off % k.size === 0 && d.val < 256 ** k.size;

/** A fitting pair is worth 2; 3 when the device-side value needs exactly the kernel's width (a
 *  word write of 0x0107 is likelier a word accessor's than a dword's). */
const pairScore = (k: AccessRecord, d: DeviceWrite): number => (!fits(k, d) ? 0 : d.minSize === k.size ? 3 : 2);

const same = (k: AccessRecord, d: DeviceWrite): boolean =>
  k.bus === d.bus && k.devfn === d.devfn && (k.seg ?? 0) === d.seg && k.off === d.off && k.val === d.val;

export class WriteAttributor {
  /** Records held back while unknown writes wait for the next anchor. */
  private held: CaptureRecord[] = [];
  private unknown: AccessRecord[] = [];
  private next = 0;
  readonly stats: AttributionStats = { attributed: 0, leftUnknown: 0, anchors: 0, kernelOnly: 0, deviceOnly: 0, deviceRecords: 0 };

  constructor(private readonly device: readonly DeviceWrite[]) {}

  /** Feeds one record; returns the records that can be emitted now, in input order. */
  push(r: CaptureRecord): CaptureRecord[] {
    if (r.t === 'access' && r.op === 'w' && r.layer !== 'device') {
      if (!r.known) {
        this.unknown.push(r);
        this.held.push(r);
        return [];
      }
      // A known write resolves every unknown write held before it.
      this.anchor(r);
      this.held.push(r);
      return this.release();
    }
    // A new trace (a kexec'd kernel) is held too: the old kernel's shutdown writes go before it.
    if (this.held.length === 0 && !startsKernel(r)) return [r];
    this.held.push(r);
    return [];
  }

  /** End of input: align what is left against the rest of the device writes. */
  end(): CaptureRecord[] {
    this.align(this.device.length, false); // counts the device writes left over once
    this.next = this.device.length;
    return this.release();
  }

  /** Input stopped early (Ctrl-C): hand back what is held, unknown writes left unknown. */
  abandon(): CaptureRecord[] {
    this.stats.leftUnknown += this.unknown.length;
    this.unknown = [];
    return this.release();
  }

  private anchor(k: AccessRecord): void {
    const limit = Math.min(this.device.length, this.next + ANCHOR_WINDOW);
    for (let j = this.next; j < limit; j++) {
      if (!same(k, this.device[j]!)) continue;
      this.stats.anchors++;
      this.align(j);
      this.next = j + 1;
      return;
    }
    this.stats.kernelOnly++;
  }

  /** Aligns the held unknown writes with device writes [next, end); the device writes left over
   *  join the held records (`beforeAnchor`: a traced write follows them, else only those followed
   *  by a paired write do). */
  private align(end: number, beforeAnchor = true): void {
    const ks = this.unknown;
    const ds = this.device.slice(this.next, end);
    let pairs: [number, number][] = [];
    if (ks.length > 0 && ks.length * ds.length > MAX_CELLS) {
      // Too long for the exact alignment: match in order, first fit (still only compatible pairs).
      let j = 0;
      for (let i = 0; i < ks.length; i++) {
        while (j < ds.length && !fits(ks[i]!, ds[j]!)) j++;
        if (j === ds.length) break;
        pairs.push([i, j++]);
      }
    } else if (ks.length > 0) {
      pairs = alignWithGapsLatest(ks.length, ds.length, (i, j) => pairScore(ks[i]!, ds[j]!));
    }
    for (const [i, j] of pairs) this.assign(ks[i]!, ds[j]!);
    this.stats.attributed += pairs.length;
    this.stats.leftUnknown += ks.length - pairs.length;
    this.stats.deviceOnly += ds.length - pairs.length;
    // Only where the kernel side had just the function tracer (unknown writes to place): there a
    // device-only write is one the kernel could not trace. Between two traced writes it would be a
    // gap in the probes' coverage, which `crosscheck` reports; it is not papered over here.
    if (ks.length > 0) this.interleave(ks, ds, pairs, beforeAnchor);
    this.unknown = [];
  }

  /**
   * Puts the device writes no kernel write accounts for among the held records: before the kernel
   * write paired after them (or at the end, before the anchor); when a new kernel (a boot record: a
   * kexec'd kernel) starts between the paired writes around them, before it: they are the old
   * kernel's shutdown.
   */
  private interleave(ks: readonly AccessRecord[], ds: readonly DeviceWrite[], pairs: readonly [number, number][], beforeAnchor: boolean): void {
    if (pairs.length === ds.length) return;
    const index = new Map<CaptureRecord, number>(this.held.map((r, i) => [r, i]));
    const paired = new Set(pairs.map(([, j]) => j));
    const inserts = new Map<number, CaptureRecord[]>();
    let p = 0;
    for (let j = 0; j < ds.length; j++) {
      while (p < pairs.length && pairs[p]![1] < j) p++;
      if (paired.has(j)) continue;
      if (p === pairs.length && !beforeAnchor) break;
      const prev = p > 0 ? index.get(ks[pairs[p - 1]![0]]!)! : -1;
      let at = p < pairs.length ? index.get(ks[pairs[p]![0]]!)! : this.held.length;
      for (let h = prev + 1; h < at; h++) {
        const r = this.held[h]!;
        if (startsKernel(r)) { at = h; break; }
      }
      const d = ds[j]!;
      const rec: AccessRecord = {
        t: 'access', ts: null, cpu: null, pid: null, comm: null, op: 'w', seg: d.seg, bus: d.bus, devfn: d.devfn, off: d.off,
        size: d.minSize as AccessRecord['size'], val: d.val, ret: null, layer: 'device', fn: null, stack: null, known: true,
        sizeGuessed: !d.exact, ...(d.model ? { model: d.model } : {}),
      };
      const list = inserts.get(at);
      if (list) list.push(rec); else inserts.set(at, [rec]);
      this.stats.deviceRecords++;
    }
    if (inserts.size === 0) return;
    // Writes put just before a new kernel are the handover into it: the old kernel's shutdown, seen
    // by the device only. A boot record of their own says so (src/model/boots.ts).
    for (const [at, list] of inserts) {
      const r = this.held[at];
      if (r?.t === 'boot' && r.segment === 'kernel') list.unshift({ t: 'boot', kernel: r.kernel, segment: 'handover' });
    }
    this.held = this.held.flatMap((r, i) => [...(inserts.get(i) ?? []), r]).concat(inserts.get(this.held.length) ?? []);
  }

  private assign(k: AccessRecord, d: DeviceWrite): void {
    Object.assign(k, { seg: d.seg, bus: d.bus, devfn: d.devfn, off: d.off, val: d.val, known: true, attributed: 'device-log' });
  }

  private release(): CaptureRecord[] {
    const out = this.held;
    this.held = [];
    return out;
  }
}
