// Which devices a policy protects: the preserved ones (matched by selectors) and the ones they
// depend on, derived: every bridge whose bus range holds a preserved device (all bridges up to
// its root port), and the PF of a preserved VF. Recomputed only when identity or bus numbers change.

import type { Inventory, DeviceState } from '../identity/inventory.js';
import type { Role } from '../model/events.js';
import type { DeviceRecord } from '../model/records.js';
import type { DeviceSelector } from './policy-types.js';

export type { Role };

export function matchesSelector(sel: DeviceSelector, d: DeviceRecord): boolean {
  if (sel.bdf !== undefined && sel.bdf !== d.bdf) return false;
  if (sel.vendor !== undefined && sel.vendor !== d.vendor) return false;
  if (sel.device !== undefined && sel.device !== d.device) return false;
  if (sel.subvendor !== undefined && sel.subvendor !== d.subvendor) return false;
  if (sel.subdevice !== undefined && sel.subdevice !== d.subdevice) return false;
  if (sel.class !== undefined) {
    const mask = sel.classMask ?? 0xffffff;
    if (d.class === undefined || (d.class & mask) !== (sel.class & mask)) return false;
  }
  if (sel.driver !== undefined && sel.driver !== d.driver) return false;
  return true;
}

/** What a device's role can depend on, as last seen: compared to tell whether roles must move. */
interface Seen {
  seg: number;
  bus: number;
  preserved: boolean;
  /** A bridge's [secondary, subordinate], when it is a bridge and both are known. */
  range: [number, number] | null;
  /** An SR-IOV PF's capability offset and NumVFs, First VF Offset, VF Stride, or null. */
  sriov: string | null;
}

/**
 * Roles are kept up to date from the devices that changed since the last refresh (the
 * inventory's change log), not by walking every device: a scan naming 300k devices would make
 * that quadratic. A changed bridge range moves only that bridge's role; a change of which devices
 * are preserved or of a PF's VF settings derives every role again, from the few preserved
 * devices, bridges and PFs kept here. The roles are the ones a full walk would give.
 */
export class RoleMap {
  private readonly roles = new Map<DeviceState, Role>();
  private started = false;
  /** Counts changes of the roles: a caller that keeps a device's role may keep it while this stays the same. */
  generation = 0;
  private readonly changes: { changed: () => DeviceState[] };
  private readonly seen = new Map<DeviceState, Seen>();
  private readonly preservedDevices = new Set<DeviceState>();
  private readonly bridges = new Set<DeviceState>();
  private readonly pfs = new Set<DeviceState>();
  /** Per segment, how many preserved devices sit on each bus. */
  private readonly preservedBuses = new Map<number, Uint32Array>();
  /** PFs of preserved VFs (depended whatever their bus). */
  private pfDepended = new Set<DeviceState>();

  constructor(inventory: Inventory, private readonly preserved: readonly DeviceSelector[]) {
    this.changes = inventory.watchChanges();
  }

  /**
   * Identity or bus numbers changed: derive again, now. Eagerly, so a write that renumbers a
   * bridge is judged by the roles in force before it (the caller refreshes after judging it).
   */
  refresh(): void {
    this.started = true;
    let all = false;
    const moved: DeviceState[] = [];
    for (const dev of this.changes.changed()) {
      // A device not kept had no part in any role: as if seen neither preserved, bridge nor PF.
      const was = this.seen.get(dev) ?? NOTHING;
      const now = this.look(dev);
      if (sameSeen(was, now)) continue;
      if (was.preserved !== now.preserved || was.sriov !== now.sriov) all = true;
      this.keep(dev, now);
      moved.push(dev);
    }
    if (all) this.deriveAll();
    else for (const dev of moved) this.setRole(dev, this.roleOf(dev));
    if (all || moved.length > 0) this.generation++;
  }

  /** The device asked about last, its role and the generation it was asked in: accesses come in
   *  runs on one device, and a Map get per judged write was 1% of a check (--cpu-prof). */
  private lastDev: DeviceState | null = null;
  private lastRole: Role = 'other';
  private lastGeneration = -1;

  role(dev: DeviceState): Role {
    if (!this.started) this.refresh();
    if (dev === this.lastDev && this.generation === this.lastGeneration) return this.lastRole;
    const role = this.roles.get(dev) ?? 'other';
    this.lastDev = dev;
    this.lastRole = role;
    this.lastGeneration = this.generation;
    return role;
  }

  private look(dev: DeviceState): Seen {
    const id = dev.identity();
    const cap = id.ecaps?.find((c) => c.id === SRIOV);
    const sh = dev.shadow;
    return {
      seg: dev.seg, bus: dev.bus,
      preserved: this.preserved.some((sel) => matchesSelector(sel, id)),
      range: isBridge(id) ? busRange(dev) : null,
      sriov: cap ? `${cap.off} ${sh.get(cap.off + 0x10, 2)} ${sh.get(cap.off + 0x14, 2)} ${sh.get(cap.off + 0x16, 2)}` : null,
    };
  }

  /** Records what was seen; a device that can matter to no role is not kept. */
  private keep(dev: DeviceState, s: Seen): void {
    const was = this.seen.get(dev);
    if (was?.preserved) this.busCount(was, -1);
    if (s.preserved) this.busCount(s, +1);
    const matters = s.preserved || s.range !== null || s.sriov !== null;
    if (matters) this.seen.set(dev, s); else this.seen.delete(dev);
    toggle(this.preservedDevices, dev, s.preserved);
    toggle(this.bridges, dev, s.range !== null);
    toggle(this.pfs, dev, s.sriov !== null);
  }

  private busCount(s: Seen, by: number): void {
    let buses = this.preservedBuses.get(s.seg);
    if (!buses) {
      buses = new Uint32Array(256);
      this.preservedBuses.set(s.seg, buses);
    }
    buses[s.bus] = buses[s.bus]! + by;
  }

  /** A device's role from what is kept: preserved; the PF of a preserved VF; a bridge whose bus
   *  range holds a preserved device (every bridge up to its root port); else other. */
  private roleOf(dev: DeviceState): Role {
    const s = this.seen.get(dev);
    if (s === undefined) return 'other';
    if (s.preserved) return 'preserved';
    if (this.pfDepended.has(dev)) return 'depended';
    if (s.range !== null) {
      const buses = this.preservedBuses.get(s.seg);
      if (buses) for (let b = s.range[0]; b <= s.range[1] && b < 256; b++) if (buses[b]! > 0) return 'depended';
    }
    return 'other';
  }

  private setRole(dev: DeviceState, role: Role): void {
    if (role === 'other') this.roles.delete(dev); else this.roles.set(dev, role);
  }

  private deriveAll(): void {
    const pfs = [...this.pfs].sort((a, b) => a.key - b.key);
    this.pfDepended = new Set();
    for (const p of this.preservedDevices) {
      const pf = physicalFunctionOf(p, pfs);
      if (pf) this.pfDepended.add(pf);
    }
    this.roles.clear();
    for (const dev of this.seen.keys()) this.setRole(dev, this.roleOf(dev));
    for (const dev of this.pfDepended) this.setRole(dev, this.roleOf(dev));
  }
}

const NOTHING: Seen = { seg: -1, bus: -1, preserved: false, range: null, sriov: null };

const sameSeen = (a: Seen, b: Seen): boolean =>
  a.preserved === b.preserved && a.sriov === b.sriov && a.range?.[0] === b.range?.[0] && a.range?.[1] === b.range?.[1];

function toggle<T>(set: Set<T>, t: T, on: boolean): void {
  if (on) set.add(t); else set.delete(t);
}

const isBridge = (d: DeviceRecord): boolean => d.headerType !== undefined && (d.headerType & 0x7f) === 1;

/** [secondary, subordinate] bus numbers from the bridge's config space, when known. */
function busRange(s: DeviceState): [number, number] | null {
  const sec = s.shadow.get(0x19, 1);
  const sub = s.shadow.get(0x1a, 1);
  return sec === null || sub === null ? null : [sec, sub];
}

const SRIOV = 0x10;

/**
 * The PF of a VF: a device with an SR-IOV capability whose VF routing ids (First VF Offset and
 * VF Stride at ECAP_SRIOV+0x14/+0x16, NumVFs at +0x10) include this function's routing id.
 */
function physicalFunctionOf(vf: DeviceState, devices: readonly DeviceState[]): DeviceState | null {
  const rid = (vf.bus << 8) | vf.devfn;
  for (const pf of devices) {
    const cap = pf.identity().ecaps?.find((c) => c.id === SRIOV);
    if (!cap || pf === vf) continue;
    const num = pf.shadow.get(cap.off + 0x10, 2);
    const first = pf.shadow.get(cap.off + 0x14, 2);
    const stride = pf.shadow.get(cap.off + 0x16, 2);
    if (num === null || first === null || stride === null || num === 0) continue;
    if (pf.seg !== vf.seg) continue;
    const base = ((pf.bus << 8) | pf.devfn) + first;
    const k = stride === 0 ? (rid === base ? 0 : -1) : (rid - base) / stride;
    if (Number.isInteger(k) && k >= 0 && k < num) return pf;
  }
  return null;
}
