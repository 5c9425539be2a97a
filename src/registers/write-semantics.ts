// What a device holds after a config write: the written value shaped by each bit's attribute
// (types.ts BitAccess: read-only bits keep their value, RW1C bits written 1 clear, RW1S bits
// written 1 set, self-clearing bits read back 0), by the BARs' size-dependent read-only bits, and
// by the bridge windows' upper halves that exist only when the window's low nibble says so. The
// pipeline applies every write through applyWrite, so the shadow config holds what the device
// would return to a read; a byte that depends on something unknown becomes unknown, never a guess.
// The judge asks judgedAfter for the same attributes seen from the write's side (an action
// started by a self-clearing bit counts as a change there).

import { ATTRIBUTE_REGISTERS, CAP_HEADER_MNEMONICS } from './attribute-table.js';
import { CAP_FIELDS } from './fields-caps.js';
import { HEADER_FIELDS } from './fields-header.js';
import { PCIE_FIELDS } from './fields-pcie.js';
import { fieldViewWith, type FieldLookup } from './fields.js';
import { num, register } from './field-def.js';
import type { HeaderKind } from './header.js';
import type { CompiledLayout } from './layout.js';
import type { FieldRegister, RegisterName } from './types.js';

/** Bits of an access (in its own bit positions) per attribute; the rest are read-write. */
export interface Attributes {
  readonly ro: number;
  readonly rw1c: number;
  readonly rw1s: number;
  readonly sc: number;
}

export const NO_ATTRIBUTES: Attributes = Object.freeze({ ro: 0, rw1c: 0, rw1s: 0, sc: 0 });

const ALL = new Map<string, FieldRegister>();
for (const r of [...HEADER_FIELDS, ...PCIE_FIELDS, ...CAP_FIELDS, ...ATTRIBUTE_REGISTERS]) {
  const had = ALL.get(r.key);
  ALL.set(r.key, had ? register(r.key, r.width, [...had.fields, ...r.fields]) : r);
}
const CAP_HEADER_RO = new Map<number, FieldRegister>([1, 2, 4].map((w) => [w, register('HEADER', w as 1 | 2 | 4, [num('HEADER', w === 4 ? 0xffffffff : (1 << (8 * w)) - 1, 'ro')])]));

const lookup: FieldLookup = (key, reg) =>
  ALL.get(key) ?? (CAP_HEADER_MNEMONICS.has(reg.mnemonic) && key.includes('CAP') ? CAP_HEADER_RO.get(reg.width) : undefined);

/** DEVCTL bit 15: Initiate Function Level Reset on an endpoint (self-clearing, PCIe Base spec
 *  7.5.3.4), Bridge Configuration Retry Enable on a bridge (read-write). */
const FLR_BIT = 0x8000;
const EXP_REL = /^CAP_EXP\+0x([0-9a-f]+)(?:@\d+)?$/i;

/** The attributes of an access named `reg` by a layout; `kind` decides DEVCTL bit 15. */
export function attributesOf(reg: string | RegisterName, size?: number, kind: HeaderKind = 'unknown'): Attributes {
  const v = fieldViewWith(lookup, reg, size);
  if (!v) return NO_ATTRIBUTES;
  let sc = v.sc;
  const exp = kind === 'type0' ? EXP_REL.exec(typeof reg === 'string' ? reg : reg.name) : null;
  if (exp) {
    const rel = parseInt(exp[1]!, 16);
    if (rel <= 0x9 && rel + v.size > 0x9) sc = (sc | ((FLR_BIT * 2 ** (8 * (0x8 - rel))) % 2 ** (8 * v.size))) >>> 0;
  }
  if (v.ro === 0 && v.rw1c === 0 && v.rw1s === 0 && sc === 0) return NO_ATTRIBUTES;
  return Object.freeze({ ro: v.ro, rw1c: v.rw1c, rw1s: v.rw1s, sc });
}

/**
 * The register's bits after a write as the judge sees them: read-only bits keep `old`, RW1C bits
 * written 1 clear, RW1S bits written 1 set; a self-clearing bit counts as what was written (a 1
 * is the action it starts: a link retrain, a reset), though the device reads it back as 0.
 */
export const judgedAfter = (a: Attributes, old: number, written: number): number =>
  ((written & ~a.ro & ~a.rw1c & ~a.rw1s) | (old & a.ro) | (old & a.rw1c & ~written) | ((old | written) & a.rw1s)) >>> 0;

/**
 * Bits whose value after the write depends on the old value (read-only, and RW1C/RW1S written
 * 0) or on nothing at all (self-clearing written 0: it read 0 before and after): with the old
 * value unknown, only the other bits may have moved.
 */
export const unmovable = (a: Attributes, written: number): number =>
  (a.ro | (a.rw1c & ~written) | (a.rw1s & ~written) | (a.sc & ~written)) >>> 0;

/** The shadow config as applyWrite sees it: a byte or undefined when unknown. */
export interface HeldBytes {
  byte(off: number): number | undefined;
  set(off: number, size: number, value: number, how: number, epoch?: number): void;
  forget(off: number, size: number): void;
}

/** Byte `i` of a value of up to 4 bytes (access values and masks are 32-bit). */
const byteOf = (v: number, i: number): number => (v >>> (8 * i)) & 0xff;

/** One byte of the device after the write: `w` written over `old` (undefined: unknown), with the
 *  byte's attribute masks. undefined when the result depends on an unknown old value. */
function heldByte(old: number | undefined, w: number, ro: number, rw1c: number, rw1s: number, sc: number): number | undefined {
  const keep = ro | (rw1c & ~w) | (rw1s & ~w);
  if (old === undefined && (keep & 0xff) !== 0) return undefined;
  const o = old ?? 0;
  const rw = ~(ro | rw1c | rw1s | sc);
  return ((w & rw) | (o & ro) | (o & rw1c & ~w) | ((o | w) & rw1s)) & 0xff;
}

/** Header byte ranges whose read-only bits depend on the device (BARs) or on another register. */
interface Special { start: number; kind: 'bar' | 'rom' | 'io-upper' | 'pref-upper'; first?: number }

function specialAt(kind: HeaderKind, reg: RegisterName, off: number): Special | undefined {
  if (reg.base === 'ECAP_SRIOV' && reg.rel >= 0x24 && reg.rel < 0x3c) {
    const start = off - ((reg.rel - 0x24) % 4);
    return { start, kind: 'bar', first: start - (reg.rel - 0x24 - ((reg.rel - 0x24) % 4)) };
  }
  if (off >= 0x40) return undefined;
  if (kind === 'type0') {
    if (off >= 0x10 && off < 0x28) return { start: off & ~3, kind: 'bar', first: 0x10 };
    if (off >= 0x30 && off < 0x34) return { start: 0x30, kind: 'rom' };
  } else if (kind === 'type1') {
    if (off >= 0x10 && off < 0x18) return { start: off & ~3, kind: 'bar', first: 0x10 };
    if (off >= 0x38 && off < 0x3c) return { start: 0x38, kind: 'rom' };
    if (off >= 0x30 && off < 0x34) return { start: off & ~1, kind: 'io-upper' };
    if (off >= 0x28 && off < 0x30) return { start: off & ~3, kind: 'pref-upper' };
  }
  return undefined;
}

/** What a device's BAR showed of itself, kept across writes that make its value unknown (a BAR's
 *  size and type never change): the lowest address bit known read-write, its read-only low bits. */
export interface BarFacts { rwFrom: number; low?: number }

/** Trailing zero bits of a 32-bit value (32 for 0). */
const tz = (v: number): number => (v === 0 ? 32 : 31 - Math.clz32((v & -v) >>> 0));

/**
 * A BAR dword after a write of `w` to the bytes in `covered` (a byte mask of the dword): the
 * address bits below the BAR's size read 0 whatever is written, and the size is not known; but
 * a bit the device held as 1 is read-write, and so is every bit above it. A 0 written reads 0
 * either way; a 1 written below the lowest bit known to be read-write is unknown.
 */
function barBytes(h: HeldBytes, sp: Special, w: number, covered: number, out: (number | undefined)[], floors?: Map<number, BarFacts>): void {
  const facts = floors?.get(sp.start);
  const b0 = h.byte(sp.start);
  const b1 = h.byte(sp.start + 1);
  const b2 = h.byte(sp.start + 2);
  const b3 = h.byte(sp.start + 3);
  // Byte 0's read-only bits are remembered when the byte itself is unknown (after sizing).
  const low = b0 ?? facts?.low;
  let roMask: number;
  let addrMask: number;
  /** Bits that always read 0. */
  let zero = 0;
  if (sp.kind === 'rom') {
    // Bit 0 enables decoding (read-write); bits 1-10 are reserved and read 0 (PCI Local Bus spec
    // 3.0 6.2.5.2; PCI_ROM_ADDRESS_MASK is ~0x7ff).
    roMask = 0;
    zero = 0x7fe;
    addrMask = 0xfffff800;
  } else {
    const upper = upperHalf(h, sp);
    if (upper === undefined || (!upper && low === undefined)) {
      for (let i = 0; i < 4; i++) if (covered & (1 << i)) out[i] = undefined;
      return;
    }
    // The upper dword of a 64-bit memory BAR is all address; a lower one has its type bits:
    // I/O, bit 0 set and bit 1 reserved; memory, the type and prefetchable bits 0-3 (pci_regs.h).
    roMask = upper ? 0 : low! & 1 ? 0x3 : 0xf;
    addrMask = ~roMask >>> 0;
  }
  const known = b0 !== undefined && b1 !== undefined && b2 !== undefined && b3 !== undefined;
  const held = known ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0 : 0;
  // The lowest bit known to be read-write: from the value held now, or remembered from an
  // earlier one (a BAR's size does not change; sizing makes the held value unknown meanwhile).
  const rwFrom = Math.min(known ? tz((held & addrMask) >>> 0) : 32, facts?.rwFrom ?? 32);
  if (floors && (facts === undefined || facts.rwFrom !== rwFrom || (low !== undefined && roMask !== 0 && facts.low !== (low & roMask)))) {
    floors.set(sp.start, { rwFrom, ...(low !== undefined && roMask !== 0 ? { low: low & roMask } : {}) });
  }
  const below = rwFrom >= 32 ? 0xffffffff : ((1 << rwFrom) >>> 0) - 1;
  const unsure = (w & addrMask & below) >>> 0;
  for (let i = 0; i < 4; i++) {
    if (!(covered & (1 << i))) continue;
    const ro = byteOf(roMask, i);
    const old = i === 0 ? low : i === 1 ? b1 : i === 2 ? b2 : b3;
    if (byteOf(unsure, i) !== 0 || (ro !== 0 && old === undefined)) { out[i] = undefined; continue; }
    out[i] = ((byteOf(w, i) & ~ro) | ((old ?? 0) & ro)) & ~byteOf(zero, i) & 0xff;
  }
}

/** Whether a BAR dword is the upper half of a 64-bit memory BAR: the BARs from the first are
 *  walked, a 64-bit one (type bits 10b) taking two dwords. undefined when a type is unknown. */
function upperHalf(h: HeldBytes, sp: Special): boolean | undefined {
  for (let at = sp.first!; at < sp.start;) {
    const t = h.byte(at);
    if (t === undefined) return undefined;
    const wide = (t & 0x7) === 0x4;
    if (wide && at + 4 === sp.start) return true;
    at += wide ? 8 : 4;
  }
  return false;
}

/** A window's upper half: read-write when the window's low nibble says 32-bit I/O / 64-bit
 *  prefetchable memory (1), else read-only and reads 0 (PCI-to-PCI Bridge spec 1.2 3.2.5.6,
 *  3.2.5.10). */
function upperBytes(h: HeldBytes, sp: Special, off: number, size: number, w: number, out: (number | undefined)[]): void {
  const cap = h.byte(sp.kind === 'io-upper' ? 0x1c : 0x24);
  for (let i = 0; i < size; i++) {
    if (cap === undefined) out[i] = undefined;
    else out[i] = (cap & 0xf) === 1 ? byteOf(w, i) : 0;
  }
}

/**
 * Applies a write of `size` bytes of `val` at `off` to `h` as the device would hold it. `how` and
 * `epoch` are the shadow's bookkeeping for the bytes it sets. Returns nothing: the shadow is the
 * answer. `attrs` is attributesOf(layout.name(off, size), ...), which callers may cache. `floors`
 * (one per device, kept by the caller) remembers per BAR the lowest bit known to be read-write.
 */
export function applyWrite(h: HeldBytes, layout: CompiledLayout, reg: RegisterName, attrs: Attributes,
  off: number, size: number, val: number, how: number, epoch: number, floors?: Map<number, BarFacts>, keep?: ReadOnlyBytes): void {
  const sp = specialAt(layout.headerKind, reg, off);
  if (sp === undefined && attrs === NO_ATTRIBUTES) {
    h.set(off, size, val, how, epoch);
    return;
  }
  // Before the write changes it: a PMCSR write from D3hot to D0 without No_Soft_Reset resets the
  // function (PCI PM spec 1.2 5.4.1, D3hot -> D0 is D0 Uninitialized).
  const pmReset = reg.base === 'CAP_PM' && reg.rel <= 0x4 && reg.rel + size > 0x4 && (byteOf(val, 0x4 - reg.rel) & 0x3) === 0
    && ((h.byte(off + 0x4 - reg.rel) ?? 0) & 0xb) === 0x3 && h.byte(off + 0x4 - reg.rel) !== undefined;
  if (sp === undefined && !specialPast(layout, reg, off, size)) plainWrite(h, attrs, off, size, val, how, epoch);
  else specialWrite(h, layout, reg, attrs, off, size, val, how, epoch, floors);
  if (pmReset || (layout.headerKind === 'type0' && reg.base === 'CAP_EXP' && reg.rel <= 0x9 && reg.rel + size > 0x9 && byteOf(val, 0x9 - reg.rel) & 0x80)) {
    functionReset(h, layout, keep);
  }
}

/** Whether a byte after the first of an access is in a special range. Only an SR-IOV BAR needs
 *  the byte's own name (its offset in the capability); a header range is told by offset alone,
 *  and an access that starts outside ECAP_SRIOV cannot reach its BARs. */
function specialPast(layout: CompiledLayout, reg: RegisterName, off: number, size: number): boolean {
  const named = reg.base === 'ECAP_SRIOV';
  for (let i = 1; i < size; i++) if (specialAt(layout.headerKind, named ? layout.name(off + i, 1) : reg, off + i) !== undefined) return true;
  return false;
}

/** A write no byte of which is in a special range (the usual one: COMMAND, a capability's
 *  control register): each byte by its attributes; every byte known is one store of the value. */
function plainWrite(h: HeldBytes, attrs: Attributes, off: number, size: number, val: number, how: number, epoch: number): void {
  let all = 0;
  for (let i = 0; i < size; i++) {
    const b = heldByte(h.byte(off + i), byteOf(val, i), byteOf(attrs.ro, i), byteOf(attrs.rw1c, i), byteOf(attrs.rw1s, i), byteOf(attrs.sc, i));
    if (b === undefined) {
      // A byte that depends on an unknown old value: byte by byte, as the general case does.
      for (let j = 0; j < size; j++) {
        const x = heldByte(h.byte(off + j), byteOf(val, j), byteOf(attrs.ro, j), byteOf(attrs.rw1c, j), byteOf(attrs.rw1s, j), byteOf(attrs.sc, j));
        if (x === undefined) h.forget(off + j, 1);
        else h.set(off + j, 1, x, how, epoch);
      }
      return;
    }
    all += b * 2 ** (8 * i);
  }
  h.set(off, size, all, how, epoch);
}

/** A write with a byte in a special range (a BAR, the expansion ROM, a window's upper half). */
function specialWrite(h: HeldBytes, layout: CompiledLayout, reg: RegisterName, attrs: Attributes,
  off: number, size: number, val: number, how: number, epoch: number, floors?: Map<number, BarFacts>): void {
  const out: (number | undefined)[] = new Array<number | undefined>(size);
  for (let i = 0; i < size; i++) {
    out[i] = heldByte(h.byte(off + i), byteOf(val, i), byteOf(attrs.ro, i), byteOf(attrs.rw1c, i), byteOf(attrs.rw1s, i), byteOf(attrs.sc, i));
  }
  // Special ranges, byte by byte (an access may straddle a BAR and its neighbour).
  const named = reg.base === 'ECAP_SRIOV';
  for (let i = 0; i < size;) {
    const s = specialAt(layout.headerKind, i === 0 || !named ? reg : layout.name(off + i, 1), off + i);
    if (!s) { i++; continue; }
    const span = s.kind === 'io-upper' ? 2 : 4;
    const end = Math.min(size, s.start + span - off);
    if (s.kind === 'bar' || s.kind === 'rom') {
      let covered = 0;
      let w = 0;
      for (let j = i; j < end; j++) { covered |= 1 << (off + j - s.start); w += byteOf(val, j) * 2 ** (8 * (off + j - s.start)); }
      const dword: (number | undefined)[] = [];
      barBytes(h, s, w, covered, dword, floors);
      for (let j = i; j < end; j++) out[j] = dword[off + j - s.start];
    } else {
      const part: (number | undefined)[] = [];
      upperBytes(h, s, off + i, end - i, Math.floor(val / 2 ** (8 * i)), part);
      for (let j = i; j < end; j++) out[j] = part[j - i];
    }
    i = end;
  }
  let all = 0;
  let known = true;
  for (let i = 0; i < size; i++) {
    const b = out[i];
    if (b === undefined) known = false;
    else all += b * 2 ** (8 * i);
  }
  // Every byte known (the usual case): one store of the whole value, as the bytes one by one.
  if (known) h.set(off, size, all, how, epoch);
  else {
    for (let i = 0; i < size; i++) {
      const b = out[i];
      if (b === undefined) h.forget(off + i, 1);
      else h.set(off + i, 1, b, how, epoch);
    }
  }
}

/** Whether a byte of a layout is read-only as a whole (what a reset leaves known); a caller that
 *  applies many writes answers it from its cache of attributes. */
export type ReadOnlyBytes = (layout: CompiledLayout, off: number) => boolean;

export const readOnlyByte: ReadOnlyBytes = (layout, off) => attributesOf(layout.name(off, 1), 1, layout.headerKind).ro === 0xff;

/** A write to a bridge's BRIDGE_CONTROL that sets Secondary Bus Reset: every function below
 *  the bridge is reset (PCI-to-PCI Bridge spec 1.2 3.2.5.17); the caller resets them. */
export const resetsBelow = (layout: CompiledLayout, off: number, size: number, val: number): boolean =>
  layout.headerKind === 'type1' && off <= 0x3e && off + size > 0x3e && (byteOf(val, 0x3e - off) & 0x40) !== 0;

/**
 * A function reset (Initiate Function Level Reset, PCIe Base spec 6.6.2; a PM or secondary bus
 * reset): the function's registers return to their defaults, which cfgscope does not know; only
 * bytes read-only as a whole (identification, capability headers and capabilities registers)
 * keep their value.
 */
export function functionReset(h: HeldBytes, layout: CompiledLayout, keep: ReadOnlyBytes = readOnlyByte): void {
  for (let off = 0; off < 0x1000; off++) if (h.byte(off) !== undefined && !keep(layout, off)) h.forget(off, 1);
}
