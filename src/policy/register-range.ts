// Where a policy's register lives on one device: header registers at fixed offsets, capability
// registers relative to that device's own capability (the n-th instance for `@n`).

import type { DeviceRecord } from '../model/records.js';
import { capByName } from '../registers/cap-table.js';
import { headerKind, headerTable } from '../registers/header.js';
import type { RegisterRef } from './policy-types.js';

/** Absolute [start, end) of the register on this device; null when the device lacks the capability
 *  (or its layout is unknown); `any` for the `*` register. */
export function registerRange(ref: RegisterRef, id: DeviceRecord): [number, number] | 'any' | null {
  if (ref.space === 'any') return 'any';
  if (ref.space === 'header') {
    // A bridge-only register (SECONDARY_BUS) on an endpoint is another register (BASE_ADDRESS_2):
    // the rule does not apply to a device whose header has no register of that name.
    const kind = headerKind(id.headerType);
    if (kind !== 'unknown' && !headerTable(kind).index.regs.some((r) => r.name === ref.base.toUpperCase())) return null;
    return [ref.rel, ref.rel + ref.width];
  }
  const cap = capByName(ref.base);
  if (!cap) return null;
  const list = ref.space === 'cap' ? id.caps : id.ecaps;
  const hits = (list ?? []).filter((c) => c.id === cap.def.id);
  const at = hits[ref.instance];
  return at ? [at.off + ref.rel, at.off + ref.rel + ref.width] : null;
}

/**
 * The part of an access's value that falls inside [start, end), in the register's own bit
 * positions, and which of those bits the access covered. Accesses and registers are at most 4
 * bytes, so byte arithmetic stays within 32 bits.
 */
export function project(value: number, off: number, size: number, start: number, end: number): { value: number; covered: number } {
  if ((value >>> 0) === value && size <= 4 && end - start <= 4) {
    // The usual case, in 32-bit shifts: the same bytes as the arithmetic below.
    let v = 0;
    let covered = 0;
    for (let b = Math.max(off, start); b < Math.min(off + size, end); b++) {
      const shift = 8 * (b - start);
      v |= ((value >>> (8 * (b - off))) & 0xff) << shift;
      covered |= 0xff << shift;
    }
    return { value: v >>> 0, covered: covered >>> 0 };
  }
  let v = 0;
  let covered = 0;
  for (let b = Math.max(off, start); b < Math.min(off + size, end); b++) {
    const byte = Math.floor(value / 256 ** (b - off)) & 0xff;
    v += byte * 256 ** (b - start);
    covered += 0xff * 256 ** (b - start);
  }
  return { value: v >>> 0, covered: covered >>> 0 };
}
