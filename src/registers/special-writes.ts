// Writes whose read-only bits depend on more than the register's attributes: a BAR's address
// bits below its size (unknown size: a 1 written there is unknown; a bit the device held as 1 is
// read-write, and every bit above it), the expansion ROM's reserved bits, and a bridge window's
// upper half, read-write only when the window's low nibble says so. applyWrite
// (write-semantics.ts) hands such a write here.

import type { HeaderKind } from './header.js';
import type { CompiledLayout } from './layout.js';
import type { RegisterName } from './types.js';
import { BYTE_WEIGHT, byteOf, heldByte, type Attributes, type HeldBytes } from './write-bytes.js';

/** Header byte ranges whose read-only bits depend on the device (BARs) or on another register. */
interface Special { readonly start: number; readonly kind: 'bar' | 'rom' | 'io-upper' | 'pref-upper'; readonly first?: number }

function headerSpecial(kind: HeaderKind, off: number): Special | undefined {
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

/** The header's ranges by offset, made once: every BAR write asks (sizing writes are many). The
 *  array is readonly by its type only: V8 reads a frozen array's elements through a generic IC
 *  call, not inline (1.6M such calls on the 10M packed check). */
const headerSpecials = (kind: HeaderKind): readonly (Special | undefined)[] =>
  Array.from({ length: 0x40 }, (_, off) => headerSpecial(kind, off)).map((x) => x && Object.freeze(x));
const TYPE0_SPECIALS = headerSpecials('type0');
const TYPE1_SPECIALS = headerSpecials('type1');

export function specialAt(kind: HeaderKind, reg: RegisterName, off: number): Special | undefined {
  if (reg.base === 'ECAP_SRIOV' && reg.rel >= 0x24 && reg.rel < 0x3c) {
    const start = off - ((reg.rel - 0x24) % 4);
    return { start, kind: 'bar', first: start - (reg.rel - 0x24 - ((reg.rel - 0x24) % 4)) };
  }
  if (off >= 0x40) return undefined;
  // Two comparisons, not a lookup keyed by the kind's name (a generic keyed load, every write).
  return kind === 'type0' ? TYPE0_SPECIALS[off] : kind === 'type1' ? TYPE1_SPECIALS[off] : undefined;
}

/** What a device's BAR showed of itself, kept across writes that make its value unknown (a BAR's
 *  size and type never change): the lowest address bit known read-write, and byte 0's read-only
 *  low bits (-1: not known). */
export interface BarFacts { readonly rwFrom: number; readonly low: number }

/** One device's BarFacts, per BAR dword, and barDword's answer (kept by the caller per device, so
 *  that the write path allocates nothing: BAR sizing writes are a third of a boot's writes). */
export class BarFloors {
  /** By the BAR's offset / 4: an array slot, not a Map lookup, on every BAR write. */
  private readonly facts: (BarFacts | undefined)[] = [];
  /** barDword's answer: the dword's value (bytes not covered or unknown are 0)... */
  value = 0;
  /** ...and the byte mask of its unknown bytes. */
  unknown = 0;

  get(start: number): BarFacts | undefined {
    return this.facts[start >>> 2];
  }

  set(start: number, f: BarFacts): void {
    this.facts[start >>> 2] = f;
  }
}

/** Trailing zero bits of a 32-bit value (32 for 0). */
const tz = (v: number): number => (v === 0 ? 32 : 31 - Math.clz32((v & -v) >>> 0));

/** Which bytes of a 32-bit value are not 0, as a byte mask (bit i: byte i). */
const nonZeroBytes = (v: number): number =>
  ((v & 0xff) !== 0 ? 1 : 0) | ((v & 0xff00) !== 0 ? 2 : 0) | ((v & 0xff0000) !== 0 ? 4 : 0) | ((v & 0xff000000) !== 0 ? 8 : 0);

/**
 * A BAR dword after a write of `w` to the bytes in `covered` (a byte mask of the dword): the
 * address bits below the BAR's size read 0 whatever is written, and the size is not known; but
 * a bit the device held as 1 is read-write, and so is every bit above it. A 0 written reads 0
 * either way; a 1 written below the lowest bit known to be read-write is unknown. Byte by byte
 * that is: unknown when a 1 was written below that bit, or when the byte has read-only bits and
 * its old value is unknown; else the written bits over the held read-only ones. Computed on the
 * whole dword at once (BAR sizing writes are a third of a boot's writes). The answer goes to
 * `floors.value` and `floors.unknown`.
 */
function barDword(h: HeldBytes, sp: Special, w: number, covered: number, floors: BarFloors): void {
  const facts = floors.get(sp.start);
  const b0 = h.byte(sp.start);
  const b1 = h.byte(sp.start + 1);
  const b2 = h.byte(sp.start + 2);
  const b3 = h.byte(sp.start + 3);
  // Byte 0's read-only bits are remembered when the byte itself is unknown (after sizing).
  const low = b0 ?? (facts !== undefined && facts.low >= 0 ? facts.low : undefined);
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
      floors.value = 0;
      floors.unknown = covered;
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
  const rwFrom = Math.min(known ? tz((held & addrMask) >>> 0) : 32, facts === undefined ? 32 : facts.rwFrom);
  if (facts === undefined || facts.rwFrom !== rwFrom || (low !== undefined && roMask !== 0 && facts.low !== (low & roMask))) {
    floors.set(sp.start, { rwFrom, low: low !== undefined && roMask !== 0 ? low & roMask : -1 });
  }
  const below = rwFrom >= 32 ? 0xffffffff : ((1 << rwFrom) >>> 0) - 1;
  const unsure = (w & addrMask & below) >>> 0;
  // The old dword as far as known (byte 0 from its remembered read-only bits when unknown).
  const oldKnown = (low !== undefined ? 1 : 0) | (b1 !== undefined ? 2 : 0) | (b2 !== undefined ? 4 : 0) | (b3 !== undefined ? 8 : 0);
  const old = ((low ?? 0) | ((b1 ?? 0) << 8) | ((b2 ?? 0) << 16) | ((b3 ?? 0) << 24)) >>> 0;
  const unknown = covered & (nonZeroBytes(unsure) | (nonZeroBytes(roMask) & ~oldKnown));
  const keep = covered & ~unknown;
  const bytes = (keep & 1 ? 0xff : 0) | (keep & 2 ? 0xff00 : 0) | (keep & 4 ? 0xff0000 : 0) | (keep & 8 ? 0xff000000 : 0);
  floors.value = (((w & ~roMask) | (old & roMask)) & ~zero & bytes) >>> 0;
  floors.unknown = unknown;
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

/** Whether a byte after the first of an access is in a special range. Only an SR-IOV BAR needs
 *  the byte's own name (its offset in the capability); a header range is told by offset alone,
 *  and an access that starts outside ECAP_SRIOV cannot reach its BARs. */
export function specialPast(layout: CompiledLayout, reg: RegisterName, off: number, size: number): boolean {
  const named = reg.base === 'ECAP_SRIOV';
  for (let i = 1; i < size; i++) if (specialAt(layout.headerKind, named ? layout.name(off + i, 1) : reg, off + i) !== undefined) return true;
  return false;
}

/** A write with a byte in a special range (a BAR, the expansion ROM, a window's upper half).
 *  `floors`: the device's (a fresh one forgets what its BARs showed before). */
export function specialWrite(h: HeldBytes, layout: CompiledLayout, reg: RegisterName, attrs: Attributes,
  off: number, size: number, val: number, how: number, epoch: number, floors: BarFloors = new BarFloors()): void {
  const first = specialAt(layout.headerKind, reg, off);
  if (first !== undefined && first.kind !== 'io-upper' && first.kind !== 'pref-upper' && off === first.start && size === 4) {
    // A whole BAR or ROM dword (sizing, restores: nearly every such write): no byte arrays.
    barDword(h, first, val, 0xf, floors);
    return storeBytes(h, off, 4, floors.value, floors.unknown, how, epoch);
  }
  const out: (number | undefined)[] = new Array<number | undefined>(size);
  // Byte by byte: an access may straddle a BAR and its neighbour. A byte in a special range is
  // answered by its range; any other by its attributes.
  const named = reg.base === 'ECAP_SRIOV';
  for (let i = 0; i < size;) {
    const s = specialAt(layout.headerKind, i === 0 || !named ? reg : layout.name(off + i, 1), off + i);
    if (!s) {
      out[i] = heldByte(h.byte(off + i), byteOf(val, i), byteOf(attrs.ro, i), byteOf(attrs.rw1c, i), byteOf(attrs.rw1s, i), byteOf(attrs.sc, i));
      i++;
      continue;
    }
    const span = s.kind === 'io-upper' ? 2 : 4;
    const end = Math.min(size, s.start + span - off);
    if (s.kind === 'bar' || s.kind === 'rom') {
      let covered = 0;
      let w = 0;
      for (let j = i; j < end; j++) { covered |= 1 << (off + j - s.start); w += byteOf(val, j) * BYTE_WEIGHT[off + j - s.start]!; }
      barDword(h, s, w, covered, floors);
      const value = floors.value;
      const unknown = floors.unknown;
      for (let j = i; j < end; j++) {
        const b = off + j - s.start;
        out[j] = unknown & (1 << b) ? undefined : byteOf(value, b);
      }
    } else {
      const part: (number | undefined)[] = [];
      upperBytes(h, s, off + i, end - i, Math.floor(val / BYTE_WEIGHT[i]!), part);
      for (let j = i; j < end; j++) out[j] = part[j - i];
    }
    i = end;
  }
  let all = 0;
  let unknown = 0;
  for (let i = 0; i < size; i++) {
    const b = out[i];
    if (b === undefined) unknown |= 1 << i;
    else all += b * BYTE_WEIGHT[i]!;
  }
  storeBytes(h, off, size, all, unknown, how, epoch);
}

/** Stores `size` bytes of `value` at `off`, forgetting the bytes in the `unknown` byte mask. Every
 *  byte known (the usual case): one store of the whole value, as the bytes one by one. */
function storeBytes(h: HeldBytes, off: number, size: number, value: number, unknown: number, how: number, epoch: number): void {
  if (unknown === 0) return h.set(off, size, value, how, epoch);
  for (let i = 0; i < size; i++) {
    if (unknown & (1 << i)) h.forget(off + i, 1);
    else h.set(off + i, 1, byteOf(value, i), how, epoch);
  }
}
