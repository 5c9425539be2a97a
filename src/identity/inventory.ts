// Every device a stream has mentioned: its identity (from device records, or rebuilt from the
// trace's own reads), its shadow config space and a register namer for its capability layout.
// One inventory per pipeline run: replay and live never share one.

import { bdfFromKey, bdfKey, parseBdf } from '../model/bdf.js';
import type { DeviceContext, OldOrigin } from '../model/events.js';
import type { DeviceRecord } from '../model/records.js';
import { ShadowConfig } from '../model/shadow-config.js';
import { compileLayout, type CompiledLayout } from '../registers/layout.js';
import { DeviceChanges } from './device-changes.js';
import { identityFromShadow } from './trace-identity.js';

/** What the devices of one inventory share: layouts to reuse, the change log to write to. */
interface Shared {
  layouts: LayoutCache;
  changes: DeviceChanges<DeviceState>;
}

export class DeviceState implements DeviceContext {
  readonly shadow = new ShadowConfig();
  readonly seg: number;
  readonly bus: number;
  readonly devfn: number;
  /** `0000:01:00.0`, made once here: for display and for the records that name devices. */
  readonly bdf: string;
  /** Identity given by a device record (sysfs, a device-side capture, the capture itself). */
  given: DeviceRecord | null = null;
  private merged: DeviceRecord | null = null;
  private layout: CompiledLayout | null = null;
  /** A read changed bytes the identity is built from; recompute before the next use. */
  private stale = true;
  /** The stream has been told who this device is (by a device record or by announce()). */
  announced = false;

  /** See DeviceChanges.note. */
  noted = -1;

  constructor(readonly key: number, private readonly shared: Shared = { layouts: new LayoutCache(), changes: new DeviceChanges() }) {
    this.seg = Math.floor(key / 65536);
    this.bus = (key >> 8) & 0xff;
    this.devfn = key & 0xff;
    this.bdf = bdfFromKey(key);
  }

  give(rec: DeviceRecord): void {
    this.announced = true;
    this.given = this.given ? mergeIdentity(this.given, rec) : rec;
    if (rec.config) this.shadow.loadHex(rec.config);
    this.stale = true;
    this.shared.changes.note(this);
  }

  /** Called when a read brought new bytes into the shadow. */
  touched(): void {
    this.stale = true;
    this.shared.changes.note(this);
  }

  /** Called when an access stored a value in the shadow: without new bytes the identity stays,
   *  but bus numbers and SR-IOV settings, which device roles are derived from, may have moved. */
  shadowChanged(): void {
    this.shared.changes.note(this);
  }

  /** Identity: the given record, completed by what the trace's own reads tell. */
  identity(): DeviceRecord {
    this.refresh();
    return this.merged!;
  }

  /**
   * The identity rebuilt from the trace's own reads, once enumeration has read the vendor and
   * device id, class and header type; null before that, or once already announced. A function
   * that answers 0xffff is an empty slot, not a device.
   */
  announce(): DeviceRecord | null {
    if (this.announced) return null;
    const sh = this.shadow;
    const vendor = sh.get(0x00, 2);
    if (vendor === null || vendor === 0xffff || sh.get(0x02, 2) === null || sh.get(0x09, 3) === null || sh.get(0x0e, 1) === null) return null;
    this.announced = true;
    return this.identity();
  }

  namer(): CompiledLayout {
    this.refresh();
    return this.layout!;
  }

  private refresh(): void {
    if (!this.stale) return;
    this.stale = false;
    const traced = identityFromShadow(this.bdf, this.shadow);
    const id = this.given ? mergeIdentity(this.given, traced) : traced;
    this.merged = id;
    this.layout = this.shared.layouts.get(id);
  }
}

/** Fields of `a` win; `b` fills what `a` lacks (a sysfs record beats a partial trace walk). */
export function mergeIdentity(a: DeviceRecord, b: DeviceRecord): DeviceRecord {
  const out: DeviceRecord = { ...b, ...stripUndefined(a) };
  if (!a.caps && b.caps) out.caps = b.caps;
  if (!a.ecaps && b.ecaps) out.ecaps = b.ecaps;
  out.from = a.from === b.from ? a.from : `${a.from}+${b.from}`;
  return out;
}

function stripUndefined(r: DeviceRecord): Partial<DeviceRecord> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Partial<DeviceRecord>;
}

/**
 * Compiled layouts shared by the devices that have the same header type and capability offsets
 * (a machine has a few kinds of device, a scan may name 300k of them). At most MAX_LAYOUTS are
 * kept for sharing; past that the cache starts again: a device keeps the layout it was given.
 */
export class LayoutCache {
  private readonly byShape = new Map<string, CompiledLayout>();

  get(id: DeviceRecord): CompiledLayout {
    const shape = `${id.headerType ?? ''}|${entries(id.caps)}|${entries(id.ecaps)}`;
    let l = this.byShape.get(shape);
    if (!l) {
      if (this.byShape.size >= MAX_LAYOUTS) this.byShape.clear();
      l = compileLayout({ headerType: id.headerType, caps: id.caps, ecaps: id.ecaps });
      this.byShape.set(shape, l);
    }
    return l;
  }
}

const MAX_LAYOUTS = 4096;
const entries = (caps: DeviceRecord['caps']): string => (caps ?? []).map((c) => `${c.id}@${c.off}`).join(',');

/** What the devices of a run carry over from the previous kernel's capture
 *  (`--previous-capture`, pipeline/previous-capture.ts): where a carried old value was seen, and
 *  what happens when this capture says the device at that address is another one. */
export interface CarriedState {
  originOf(dev: DeviceState, off: number, size: number): OldOrigin;
  /** A device record of this capture names the device (before it is given). */
  named(dev: DeviceState, rec: DeviceRecord): void;
  /** A read of the vendor or device id that carried bytes also hold (`was`: their value). */
  idRead(dev: DeviceState, off: number, size: number, was: number, now: number, line: number | null): void;
}

export class Inventory {
  /** Set when the devices start from the previous kernel's last known state. */
  carried: CarriedState | null = null;
  private readonly devices = new Map<number, DeviceState>();
  private readonly shared: Shared = { layouts: new LayoutCache(), changes: new DeviceChanges<DeviceState>() };
  /** all()'s answer, kept while no device is added (devices are never removed). */
  private sorted: DeviceState[] | null = null;

  state(seg: number, bus: number, devfn: number): DeviceState {
    const key = bdfKey(seg, bus, devfn);
    let s = this.devices.get(key);
    if (!s) {
      s = new DeviceState(key, this.shared);
      this.shared.changes.note(s);
      this.devices.set(key, s);
      this.sorted = null;
    }
    return s;
  }

  give(rec: DeviceRecord): DeviceState | null {
    const b = parseBdf(rec.bdf);
    if (!b) return null;
    const s = this.state(b.seg, b.bus, b.devfn);
    if (this.carried !== null) this.carried.named(s, rec);
    s.give(rec);
    return s;
  }

  /** A reader of device changes (DeviceChanges.watch): told of every device so far, then of
   *  each device added or changed. */
  watchChanges(): { changed: () => DeviceState[] } {
    const set = this.shared.changes.watch(this.devices.values());
    return { changed: () => this.shared.changes.drain(set) };
  }

  /** How many devices the stream has named so far. */
  get size(): number {
    return this.devices.size;
  }

  /** Every device, by segment, bus and devfn. The same array until a device is added: do not modify it. */
  all(): readonly DeviceState[] {
    this.sorted ??= [...this.devices.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    return this.sorted;
  }
}
