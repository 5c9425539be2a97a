// Bit fields of an access, by register name: what a value means (`describeFields`), what a write
// changed (`diffFields`: `MASTER 1->0`, `PS D0->D3hot`, `STU 0->5`), and which bits are RW1C
// (`rw1cMask`: writing 1 there clears, it never sets). Names are the ones layout.ts produces,
// so an access that starts inside a register (`COMMAND+0x1`) or spans two (`COMMAND.l` covers
// COMMAND and STATUS) is handled: masks are moved into the access's own bit positions, and field
// names get their register as prefix (`STATUS.PARITY`) when the access covers more than one.

import { capByName } from './cap-table.js';
import { CAP_FIELDS } from './fields-caps.js';
import { HEADER_FIELDS } from './fields-header.js';
import { PCIE_FIELDS } from './fields-pcie.js';
import { headerRegisterByName, headerTable } from './header.js';
import { findReg, type RegIndex } from './reg-index.js';
import type { BitAccess, FieldDef, FieldKind, FieldRegister, RegisterDef, RegisterName } from './types.js';

const BY_KEY = new Map<string, FieldRegister>(
  [...HEADER_FIELDS, ...PCIE_FIELDS, ...CAP_FIELDS].map((r) => [r.key, r]),
);

/** Finds the field table of one register: its key (`COMMAND`, `CAP_EXP+0x10`) and definition. */
export type FieldLookup = (key: string, reg: RegisterDef) => FieldRegister | undefined;

const namedFields: FieldLookup = (key) => BY_KEY.get(key);

/** A field placed in the access value: a FieldDef whose `mask` is in the access's bit positions
 *  (and whose name may carry its register's prefix), not its register's. */
export type PlacedField = FieldDef;

/** The fields an access of `size` bytes covers, resolved once and reusable for many values. */
export interface FieldView {
  readonly size: number;
  readonly fields: readonly PlacedField[];
  /** Bits of the access covered by some field. */
  readonly covered: number;
  readonly rw1c: number;
  /** Bits of the access per attribute other than read-write (types.ts BitAccess). */
  readonly ro: number;
  readonly rw1s: number;
  readonly sc: number;
}

export interface FieldValue {
  readonly name: string;
  readonly kind: FieldKind;
  readonly rw1c: boolean;
  readonly value: number;
  /** `MASTER`, `PS=D3hot`, `STU=5`. */
  readonly text: string;
}

export interface FieldChange {
  readonly name: string;
  readonly kind: FieldKind;
  readonly rw1c: boolean;
  readonly old: number;
  readonly new: number;
  /** `MASTER 1->0`, `PS D0->D3hot`, `STU 0->5`; `OTHER 0x0->0x8000` for bits no field names. */
  readonly text: string;
}

const NAME_RE = /^([A-Za-z0-9_]+?)(?:\+(?:0x)?([0-9a-fA-F]+))?(?:\.([bwlBWL]))?(?:@\d+)?$/;
const SUFFIX_SIZE: Readonly<Record<string, number>> = { b: 1, w: 2, l: 4 };
const sizeMask = (size: number): number => (size >= 4 ? 0xffffffff : (1 << (size * 8)) - 1);

interface Target { index: RegIndex; start: number; key: (reg: RegisterDef) => string; label: (reg: RegisterDef) => string }

/** Where a name points: a register table and the offset of the access's first byte in it. */
function target(base: string, rel: number): Target | undefined {
  const cap = capByName(base);
  if (cap) {
    const name = cap.def.name;
    return { index: cap.index, start: rel, key: (r) => `${name}+0x${r.off.toString(16)}`, label: (r) => r.mnemonic };
  }
  const hdr = headerRegisterByName(base);
  if (!hdr) return undefined;
  return { index: headerTable(hdr.kind).index, start: hdr.reg.off + rel, key: (r) => r.name, label: (r) => r.name };
}

function place(f: FieldDef, byteShift: number, access: number, prefix: string): PlacedField | undefined {
  const moved = byteShift >= 0 ? f.mask * 2 ** (8 * byteShift) : Math.floor(f.mask / 2 ** (-8 * byteShift));
  const mask = (moved & access) >>> 0;
  if (mask === 0) return undefined;
  return { name: prefix + f.name, mask, kind: f.kind, access: f.access, rw1c: f.rw1c, ...(f.values ? { values: f.values } : {}) };
}

/** Resolves a register name (and access size) to its fields; undefined when no table knows it. */
export const fieldView = (reg: string | RegisterName, size?: number): FieldView | undefined => fieldViewWith(namedFields, reg, size);

const maskOf = (fields: readonly PlacedField[], access: BitAccess): number =>
  fields.reduce((a, f) => (f.access === access ? (a | f.mask) >>> 0 : a), 0);

/** fieldView over other field tables (write-semantics.ts adds the attribute-only ones). */
export function fieldViewWith(lookup: FieldLookup, reg: string | RegisterName, size?: number): FieldView | undefined {
  const m = NAME_RE.exec(typeof reg === 'string' ? reg : reg.name);
  if (!m) return undefined;
  const t = target(m[1]!, m[2] ? parseInt(m[2], 16) : 0);
  if (!t) return undefined;
  const first = findReg(t.index, t.start, 1);
  const sz = size ?? (typeof reg !== 'string' ? reg.size : undefined) ?? (m[3] ? SUFFIX_SIZE[m[3].toLowerCase()] : undefined)
    ?? (first ? first.reg.off + first.reg.width - t.start : 1);
  const access = sizeMask(sz);
  // Every register the access touches, in order.
  const regs: RegisterDef[] = [];
  for (let b = t.start; b < t.start + sz; b++) {
    const hit = findReg(t.index, b, 1);
    if (hit && !regs.includes(hit.reg)) regs.push(hit.reg);
  }
  const tables = regs.map((r) => ({ r, table: lookup(t.key(r), r) })).filter((x) => x.table !== undefined);
  if (tables.length === 0) return undefined;
  const many = regs.length > 1;
  const fields: PlacedField[] = [];
  for (const { r, table } of tables) {
    for (const f of table!.fields) {
      const p = place(f, r.off - t.start, access, many ? `${t.label(r)}.` : '');
      if (p) fields.push(p);
    }
  }
  const covered = fields.reduce((a, f) => (a | f.mask) >>> 0, 0);
  return { size: sz, fields, covered, rw1c: maskOf(fields, 'rw1c'), ro: maskOf(fields, 'ro'), rw1s: maskOf(fields, 'rw1s'), sc: maskOf(fields, 'sc') };
}

const view = (reg: string | RegisterName | FieldView, size?: number): FieldView | undefined =>
  typeof reg === 'object' && 'fields' in reg ? reg : fieldView(reg, size);

const lowBit = (mask: number): number => (mask & -mask) >>> 0;
const fieldValue = (f: PlacedField, v: number): number => ((v & f.mask) >>> 0) / lowBit(f.mask);
const show = (f: PlacedField, v: number): string => (f.kind === 'enum' ? f.values?.[v] ?? String(v) : String(v));

/** The fields of a value: flags that are set, and every enum and number field with its value. */
export function describeFields(reg: string | RegisterName | FieldView, value: number, size?: number): FieldValue[] {
  const fv = view(reg, size);
  if (!fv) return [];
  const out: FieldValue[] = [];
  for (const f of fv.fields) {
    const v = fieldValue(f, value);
    if (f.kind === 'flag' && v === 0) continue;
    out.push({ name: f.name, kind: f.kind, rw1c: f.rw1c, value: v, text: f.kind === 'flag' ? f.name : `${f.name}=${show(f, v)}` });
  }
  return out;
}

/** Fields whose value differs between two values of the register, in table order. */
export function diffFields(reg: string | RegisterName | FieldView, oldValue: number, newValue: number, size?: number): FieldChange[] {
  const fv = view(reg, size);
  if (!fv) return [];
  const out: FieldChange[] = [];
  for (const f of fv.fields) {
    const a = fieldValue(f, oldValue);
    const b = fieldValue(f, newValue);
    if (a !== b) out.push({ name: f.name, kind: f.kind, rw1c: f.rw1c, old: a, new: b, text: `${f.name} ${show(f, a)}->${show(f, b)}` });
  }
  const rest = ((oldValue ^ newValue) & ~fv.covered & sizeMask(fv.size)) >>> 0;
  if (rest !== 0) {
    const a = (oldValue & rest) >>> 0;
    const b = (newValue & rest) >>> 0;
    out.push({ name: 'OTHER', kind: 'number', rw1c: false, old: a, new: b, text: `OTHER 0x${a.toString(16)}->0x${b.toString(16)}` });
  }
  return out;
}

/** Bits of the access that are write-1-to-clear (0 when the register has no field table). */
export const rw1cMask = (reg: string | RegisterName | FieldView, size?: number): number => view(reg, size)?.rw1c ?? 0;

/**
 * The register's value after writing `written` over `old`, by the named fields' attributes: a 1
 * written to an RW1C bit clears it (a 0 leaves it), RW1S likewise sets, read-only bits keep
 * `old`. write-semantics.ts attributesOf / judgedAfter also know the registers without named
 * fields (identification, windows); the judge uses those.
 */
export function afterWrite(reg: string | RegisterName | FieldView, old: number, written: number, size?: number): number {
  const v = view(reg, size);
  if (!v) return written >>> 0;
  return ((written & ~v.ro & ~v.rw1c & ~v.rw1s) | (old & v.ro) | (old & v.rw1c & ~written) | ((old | written) & v.rw1s)) >>> 0;
}
