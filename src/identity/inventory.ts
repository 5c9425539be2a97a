// Every device a stream has mentioned: its identity (from device records, or rebuilt from the
// trace's own reads), its shadow config space and a register namer for its capability layout.
// One inventory per pipeline run: replay and live never share one.

import { bdfFromKey, bdfKey, parseBdf } from '../model/bdf.js';
import type { DeviceRecord } from '../model/records.js';
import { ShadowConfig } from '../model/shadow-config.js';
import { compileLayout, type CompiledLayout } from '../registers/layout.js';
import { identityFromShadow } from './trace-identity.js';

export class DeviceState {
  readonly shadow = new ShadowConfig();
  /** Identity given by a device record (sysfs, a device-side capture, the capture itself). */
  given: DeviceRecord | null = null;
  private merged: DeviceRecord | null = null;
  private layout: CompiledLayout | null = null;
  /** A read changed bytes the identity is built from; recompute before the next use. */
  private stale = true;
  /** The stream has been told who this device is (by a device record or by announce()). */
  announced = false;

  constructor(readonly bdf: string) {}

  give(rec: DeviceRecord): void {
    this.announced = true;
    this.given = this.given ? mergeIdentity(this.given, rec) : rec;
    if (rec.config) this.shadow.loadHex(rec.config);
    this.stale = true;
  }

  /** Called when a read brought new bytes into the shadow. */
  touched(): void {
    this.stale = true;
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
    this.layout = compileLayout({ headerType: id.headerType, caps: id.caps, ecaps: id.ecaps });
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

export class Inventory {
  private readonly devices = new Map<number, DeviceState>();
  /** all()'s answer, kept while no device is added (devices are never removed). */
  private sorted: DeviceState[] | null = null;

  state(seg: number, bus: number, devfn: number): DeviceState {
    const key = bdfKey(seg, bus, devfn);
    let s = this.devices.get(key);
    if (!s) {
      s = new DeviceState(bdfFromKey(key));
      this.devices.set(key, s);
      this.sorted = null;
    }
    return s;
  }

  give(rec: DeviceRecord): DeviceState | null {
    const b = parseBdf(rec.bdf);
    if (!b) return null;
    const s = this.state(b.seg, b.bus, b.devfn);
    s.give(rec);
    return s;
  }

  /** Every device, by segment, bus and devfn. The same array until a device is added: do not modify it. */
  all(): readonly DeviceState[] {
    this.sorted ??= [...this.devices.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
    return this.sorted;
  }
}
