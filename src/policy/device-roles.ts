// Which devices a policy protects: the preserved ones (matched by selectors) and the ones they
// depend on, derived: every bridge whose bus range holds a preserved device (all bridges up to
// its root port), and the PF of a preserved VF. Recomputed only when identity or bus numbers change.

import type { Inventory, DeviceState } from '../identity/inventory.js';
import { parseBdf, type Bdf } from '../model/bdf.js';
import type { DeviceRecord } from '../model/records.js';
import type { DeviceSelector } from './policy-types.js';

export type Role = 'preserved' | 'depended' | 'other';

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

export class RoleMap {
  private roles: Map<string, Role> | null = null;
  /** Counts refresh(): a caller that keeps a device's role may keep it while this stays the same. */
  generation = 0;
  /** Parsed addresses by BDF text: derive() runs on every bridge bus-number change. */
  private readonly addresses = new Map<string, Bdf>();

  constructor(private readonly inventory: Inventory, private readonly preserved: readonly DeviceSelector[]) {}

  /**
   * Identity or bus numbers changed: derive again, now. Eagerly, so a write that renumbers a
   * bridge is judged by the roles in force before it (the caller refreshes after judging it).
   */
  refresh(): void {
    this.roles = this.derive();
    this.generation++;
  }

  role(bdf: string): Role {
    this.roles ??= this.derive();
    return this.roles.get(bdf) ?? 'other';
  }

  private derive(): Map<string, Role> {
    const out = new Map<string, Role>();
    const devices = this.inventory.all();
    const ids = new Map(devices.map((s) => [s.bdf, s.identity()]));
    const preserved = devices.filter((s) => this.preserved.some((sel) => matchesSelector(sel, ids.get(s.bdf)!)));
    for (const p of preserved) out.set(p.bdf, 'preserved');
    for (const p of preserved) {
      const at = this.address(p.bdf);
      for (const b of devices) {
        if (out.get(b.bdf) === 'preserved' || !isBridge(ids.get(b.bdf)!)) continue;
        const range = busRange(b);
        if (range && this.address(b.bdf).seg === at.seg && at.bus >= range[0] && at.bus <= range[1]) out.set(b.bdf, 'depended');
      }
      const pf = physicalFunctionOf(p, devices);
      if (pf && out.get(pf.bdf) !== 'preserved') out.set(pf.bdf, 'depended');
    }
    return out;
  }

  private address(bdf: string): Bdf {
    let a = this.addresses.get(bdf);
    if (!a) {
      a = parseBdf(bdf)!;
      this.addresses.set(bdf, a);
    }
    return a;
  }
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
  const v = parseBdf(vf.bdf)!;
  const rid = (v.bus << 8) | v.devfn;
  for (const pf of devices) {
    const cap = pf.identity().ecaps?.find((c) => c.id === SRIOV);
    if (!cap || pf === vf) continue;
    const num = pf.shadow.get(cap.off + 0x10, 2);
    const first = pf.shadow.get(cap.off + 0x14, 2);
    const stride = pf.shadow.get(cap.off + 0x16, 2);
    if (num === null || first === null || stride === null || num === 0) continue;
    const p = parseBdf(pf.bdf)!;
    if (p.seg !== v.seg) continue;
    const base = ((p.bus << 8) | p.devfn) + first;
    const k = stride === 0 ? (rid === base ? 0 : -1) : (rid - base) / stride;
    if (Number.isInteger(k) && k >= 0 && k < num) return pf;
  }
  return null;
}
