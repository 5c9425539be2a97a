// What the enricher does to the device model per access with a value: a read stores the bytes it
// saw, a write stores what the device holds after it (registers/write-semantics.ts applyWrite:
// read-only bits kept, RW1C cleared, BAR size bits, resets), and a secondary bus reset resets
// every function below the bridge. Keeps the per-run caches that make this cheap per access.

import type { DeviceState, Inventory } from '../identity/inventory.js';
import { RunCache } from '../model/run-cache.js';
import { ByteSource } from '../model/shadow-config.js';
import type { HeaderKind } from '../registers/header.js';
import { STD_END, type CompiledLayout } from '../registers/layout.js';
import type { RegisterName } from '../registers/types.js';
import { applyPlanned, attributesOf, BarFloors, functionReset, resetsBelow, writePlan, type Attributes, type WritePlan } from '../registers/write-semantics.js';

export class DeviceWrites {
  /** Per register name (layouts keep one object per offset and width), its bits' attributes. */
  private readonly attributes = new WeakMap<RegisterName, Attributes>();
  /** Per device, per BAR, the lowest bit known to be read-write (applyWrite's BarFacts). */
  private readonly barFloors = new RunCache<DeviceState, BarFloors>(() => new BarFloors());
  /** Per device, a bit per config byte ever known: a byte a write or reset made unknown again
   *  (BAR sizing, FLR) that a read brings back is no news for the identity or layout. */
  private readonly seen = new RunCache<DeviceState, Uint8Array>(() => new Uint8Array(512));

  constructor(private readonly inventory: Inventory) {}

  /** Whether a read brings bytes never known before (bounded: 4096 per device). */
  firstSight(d: DeviceState, off: number, size: number): boolean {
    const bits = this.seen.get(d);
    let news = false;
    for (let b = off; b < off + size && b < 4096; b++) {
      const m = 1 << (b & 7);
      if ((bits[b >> 3]! & m) === 0) { bits[b >> 3]! |= m; news = true; }
    }
    return news;
  }

  /** A known write of `val` at `reg` (`mayCover`: bytes past `size` a device-side write of
   *  unlogged width may also have covered). `epoch` counts unattributed writes so far. */
  write(dev: DeviceState, layout: CompiledLayout, reg: RegisterName, val: number, mayCover: number, epoch: number): void {
    const off = reg.off;
    const size = reg.size;
    applyPlanned(dev.shadow, layout, reg, this.planFor(reg, layout), off, size, val, ByteSource.Written, epoch, this.barFloors.get(dev), this.keepOf);
    // A wider write would have put 0 there (the value has no bits there): a byte known to be 0
    // stays known, any other may have changed.
    for (let i = size; i < size + mayCover; i++) if (dev.shadow.byte(off + i) !== 0) dev.shadow.forget(off + i, 1);
    if (resetsBelow(layout, off, size, val)) this.resetBelow(dev);
  }

  /** Per layout, per access in the standard space (offset * 4 + width - 1), its plan: what
   *  applyWrite would work out again on every write to that register. An array slot, not a
   *  lookup keyed by the register name: writes alternate between registers (BAR sizing,
   *  COMMAND): WeakMap lookups cost 244M instructions of the 10M packed check (cachegrind).
   *  The standard space only, 1,024 slots (8 KiB) per layout written: a scan may keep thousands
   *  of layouts, and a row for all of config space was 128 KiB each. Made whole (holey, fast
   *  elements): slots filled one by one far apart would turn it into a dictionary. */
  private readonly stdPlans = new RunCache<CompiledLayout, (WritePlan | undefined)[]>(() => new Array<WritePlan | undefined>(STD_END * 4));
  /** Plans of extended-space registers (AER, SR-IOV: few writes), by register name. */
  private readonly extPlans = new WeakMap<RegisterName, WritePlan>();

  private planFor(reg: RegisterName, layout: CompiledLayout): WritePlan {
    // A layout names every access by one object per offset and width (1, 2, 4).
    if (reg.off < STD_END) return this.stdPlans.get(layout)[reg.off * 4 + reg.size - 1] ??= this.newPlan(reg, layout);
    let plan = this.extPlans.get(reg);
    if (plan === undefined) {
      plan = this.newPlan(reg, layout);
      this.extPlans.set(reg, plan);
    }
    return plan;
  }

  private newPlan(reg: RegisterName, layout: CompiledLayout): WritePlan {
    return writePlan(layout, reg, this.attributesFor(reg, layout.headerKind), reg.off, reg.size);
  }

  /** Secondary bus reset: every function on the buses below the bridge is reset (all of them
   *  when the bridge's bus range is unknown). */
  private resetBelow(bridge: DeviceState): void {
    const sec = bridge.shadow.byte(0x19);
    const sub = bridge.shadow.byte(0x1a);
    for (const d of this.inventory.all()) {
      if (d === bridge) continue;
      if (sec === undefined || sub === undefined || (d.seg === bridge.seg && d.bus >= sec && d.bus <= sub)) {
        functionReset(d.shadow, d.namer(), this.keepOf);
        d.shadowChanged();
      }
    }
  }

  /** Per layout, per config byte: 1 when a reset leaves it known (read-only as a whole), 0 when
   *  not, -1 not asked yet. A reset asks for every known byte of the function, and the bus reset
   *  of the bundled lab's resets run for every function below the bridge. */
  private readonly readOnly = new RunCache<CompiledLayout, Int8Array>(() => new Int8Array(4096).fill(-1));

  /** Whether a reset leaves a byte known: read-only as a whole, by the cached attributes. */
  private readonly keepOf = (l: CompiledLayout, off: number): boolean => {
    const bytes = this.readOnly.get(l);
    if (bytes[off] === -1) bytes[off] = this.attributesFor(l.name(off, 1), l.headerKind).ro === 0xff ? 1 : 0;
    return bytes[off] === 1;
  };

  private attributesFor(reg: RegisterName, kind: HeaderKind): Attributes {
    let at = this.attributes.get(reg);
    if (at === undefined) {
      at = attributesOf(reg, reg.size, kind);
      this.attributes.set(reg, at);
    }
    return at;
  }
}
