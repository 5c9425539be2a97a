// Gives early-boot writes their target. The function tracer records each pci_bus_write_config_*
// call with its stack but without arguments; the device side of the same run (QEMU's log) records
// every write's target and value but no stack. Both see the kernel's writes in the same order, so
// the two sequences are aligned: writes the kernel probe did see (kprobe events) are anchors that
// must match exactly; between two anchors the unknown kernel writes are matched to the device
// writes by a gap-aware alignment (align-sequences.ts), where a pair matches only if the width the kernel
// used (from the accessor's name) fits the device-side offset and value. Device writes left over
// were made outside the traced accessors (raw ACPI, firmware); kernel writes left over stay unknown.

import type { AccessRecord, CaptureRecord } from '../model/records.js';
import { alignWithGapsLatest } from './align-sequences.js';

export interface DeviceWrite {
  seg: number;
  bus: number;
  devfn: number;
  off: number;
  val: number;
  /** The device side's lower bound on the width. */
  minSize: number;
}

export interface AttributionStats {
  attributed: number;
  leftUnknown: number;
  anchors: number;
  /** Known kernel writes with no device-side twin (devices the emulator lacks). */
  kernelOnly: number;
  /** Device writes no kernel write accounts for (raw ACPI, after the trace ended...). */
  deviceOnly: number;
}

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
    out.push({ seg: r.seg ?? 0, bus: r.bus, devfn: r.devfn, off: r.off, val: r.val, minSize: r.size });
  }
  return out;
}

const fits = (k: AccessRecord, d: DeviceWrite): boolean =>
  d.minSize <= k.size && d.off % k.size === 0 && d.val < 256 ** k.size;

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
  readonly stats: AttributionStats = { attributed: 0, leftUnknown: 0, anchors: 0, kernelOnly: 0, deviceOnly: 0 };

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
    if (this.held.length === 0) return [r];
    this.held.push(r);
    return [];
  }

  /** End of input: align what is left against the rest of the device writes. */
  end(): CaptureRecord[] {
    this.align(this.device.length);
    this.stats.deviceOnly += this.device.length - this.next;
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

  /** Aligns the held unknown writes with device writes [next, end). */
  private align(end: number): void {
    const ks = this.unknown;
    const ds = this.device.slice(this.next, end);
    if (ks.length > 0 && ks.length * ds.length > MAX_CELLS) {
      // Too long for the exact alignment: match in order, first fit (still only compatible pairs).
      let j = 0;
      let matched = 0;
      for (const k of ks) {
        while (j < ds.length && !fits(k, ds[j]!)) j++;
        if (j === ds.length) break;
        this.assign(k, ds[j++]!);
        matched++;
      }
      this.stats.attributed += matched;
      this.stats.leftUnknown += ks.length - matched;
      this.stats.deviceOnly += ds.length - matched;
    } else if (ks.length > 0) {
      const pairs = alignWithGapsLatest(ks.length, ds.length, (i, j) => pairScore(ks[i]!, ds[j]!));
      for (const [i, j] of pairs) this.assign(ks[i]!, ds[j]!);
      this.stats.attributed += pairs.length;
      this.stats.leftUnknown += ks.length - pairs.length;
      this.stats.deviceOnly += ds.length - pairs.length;
    } else {
      this.stats.deviceOnly += ds.length;
    }
    this.unknown = [];
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
