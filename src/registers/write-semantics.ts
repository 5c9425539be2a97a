// What a device holds after a config write: the written value shaped by each bit's attribute
// (types.ts BitAccess: read-only bits keep their value, RW1C bits written 1 clear, RW1S bits
// written 1 set, self-clearing bits read back 0), by the BARs' size-dependent read-only bits, and
// by the bridge windows' upper halves that exist only when the window's low nibble says so (those
// two in special-writes.ts; the per-byte rule both use in write-bytes.ts). The
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
import { specialAt, specialPast, specialWrite, type BarFloors } from './special-writes.js';
import { BYTE_WEIGHT, byteOf, heldByte, NO_ATTRIBUTES, type Attributes, type HeldBytes } from './write-bytes.js';

export { NO_ATTRIBUTES, type Attributes, type HeldBytes } from './write-bytes.js';
export { BarFloors, type BarFacts } from './special-writes.js';

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

/** What applyWrite asks of a register before it looks at the value: the same for every write
 *  to it, so a caller that applies many writes keeps one per register of a layout. */
export interface WritePlan {
  readonly attrs: Attributes;
  /** Some byte is in a BAR, the expansion ROM or a window's upper half (special-writes.ts). */
  readonly special: boolean;
  /** The write may reset the function, depending on its value: PMCSR (D3hot -> D0), DEVCTL of
   *  an endpoint (Initiate FLR). */
  readonly mayReset: boolean;
  /** None of the above: the device holds what was written. */
  readonly verbatim: boolean;
}

/** The plan of writes of `size` bytes at `off`, named `reg` by `layout`, whose attributes are `attrs`. */
export function writePlan(layout: CompiledLayout, reg: RegisterName, attrs: Attributes, off: number, size: number): WritePlan {
  const special = specialAt(layout.headerKind, reg, off) !== undefined || specialPast(layout, reg, off, size);
  const mayReset = (reg.base === 'CAP_PM' && reg.rel <= 0x4 && reg.rel + size > 0x4)
    || (layout.headerKind === 'type0' && reg.base === 'CAP_EXP' && reg.rel <= 0x9 && reg.rel + size > 0x9);
  return Object.freeze({ attrs, special, mayReset, verbatim: !special && !mayReset && attrs === NO_ATTRIBUTES });
}

/**
 * Applies a write of `size` bytes of `val` at `off` to `h` as the device would hold it. `how` and
 * `epoch` are the shadow's bookkeeping for the bytes it sets. Returns nothing: the shadow is the
 * answer. `attrs` is attributesOf(layout.name(off, size), ...), which callers may cache. `floors`
 * (one per device, kept by the caller) remembers per BAR the lowest bit known to be read-write.
 */
export function applyWrite(h: HeldBytes, layout: CompiledLayout, reg: RegisterName, attrs: Attributes,
  off: number, size: number, val: number, how: number, epoch: number, floors?: BarFloors, keep?: ReadOnlyBytes): void {
  applyPlanned(h, layout, reg, writePlan(layout, reg, attrs, off, size), off, size, val, how, epoch, floors, keep);
}

/** applyWrite with the register's plan made already (writePlan: the caller's cache). */
export function applyPlanned(h: HeldBytes, layout: CompiledLayout, reg: RegisterName, plan: WritePlan,
  off: number, size: number, val: number, how: number, epoch: number, floors?: BarFloors, keep?: ReadOnlyBytes): void {
  if (plan.verbatim) {
    h.set(off, size, val, how, epoch);
    return;
  }
  // Before the write changes it: a PMCSR write from D3hot to D0 without No_Soft_Reset resets the
  // function (PCI PM spec 1.2 5.4.1, D3hot -> D0 is D0 Uninitialized).
  const pmReset = plan.mayReset && reg.base === 'CAP_PM' && (byteOf(val, 0x4 - reg.rel) & 0x3) === 0
    && ((h.byte(off + 0x4 - reg.rel) ?? 0) & 0xb) === 0x3 && h.byte(off + 0x4 - reg.rel) !== undefined;
  if (!plan.special) plainWrite(h, plan.attrs, off, size, val, how, epoch);
  else specialWrite(h, layout, reg, plan.attrs, off, size, val, how, epoch, floors);
  if (pmReset || (plan.mayReset && reg.base === 'CAP_EXP' && byteOf(val, 0x9 - reg.rel) & 0x80)) {
    functionReset(h, layout, keep);
  }
}

/** A write no byte of which is in a special range (the usual one: COMMAND, a capability's
 *  control register): each byte by its attributes; every byte known is one store of the value. */
function plainWrite(h: HeldBytes, attrs: Attributes, off: number, size: number, val: number, how: number, epoch: number): void {
  const old = h.get(off, size);
  if (old !== null) {
    // Every byte known: heldByte's rule on the whole value at once (the masks are the access's).
    const rw = ~(attrs.ro | attrs.rw1c | attrs.rw1s | attrs.sc);
    h.set(off, size, ((val & rw) | (old & attrs.ro) | (old & attrs.rw1c & ~val) | ((old | val) & attrs.rw1s)) >>> 0, how, epoch);
    return;
  }
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
    all += b * BYTE_WEIGHT[i]!;
  }
  h.set(off, size, all, how, epoch);
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
  h.forEachKnown((off) => { if (!keep(layout, off)) h.forget(off, 1); });
}
