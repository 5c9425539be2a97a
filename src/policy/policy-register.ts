// Register names in a policy: setpci's syntax (pciutils setpci.c), the same names
// src/registers/layout.ts gives accesses: `NAME[+OFF][.W][@N]`, OFF always hex
// (`CAP_PM+4` is 0x4, as setpci reads it), `.b/.w/.l` an explicit width, `@n` the n-th (0-based)
// instance of a repeated capability. The width otherwise comes from the register table; a
// register that no table has at that offset needs the explicit width.

import { capByName, fieldView, headerRegisterByName, headerTable } from '../registers/index.js';
import { findReg } from '../registers/reg-index.js';
import type { RegisterRef } from './policy-types.js';
import { hex } from './policy-problems.js';

/** A resolved register: the contract's reference plus the name fieldView() knows it by. */
export interface ResolvedRegister {
  ref: RegisterRef;
  /** `COMMAND`, `CAP_EXP+0x8`: the key of the bit-field tables; `*` for the wildcard. */
  key: string;
}

export const WILDCARD = '*';

const NAME_RE = /^([A-Za-z][A-Za-z0-9_]*)(?:\+(?:0[xX])?([0-9a-fA-F]+))?(?:\.([bwlBWL]))?(?:@(\d+))?$/;
const WIDTHS: Readonly<Record<string, 1 | 2 | 4>> = { b: 1, w: 2, l: 4 };
// Bytes a capability can span when its size is not fixed: up to the end of its config space.
const STD_CAP_ROOM = 0x100 - 0x40;
const EXT_CAP_ROOM = 0x1000 - 0x100;

const widthMask = (width: number): number => (width >= 4 ? 0xffffffff : (1 << (width * 8)) - 1);

/** Resolves a register name; a string result is the reason it could not be. */
export function resolveRegister(text: string): ResolvedRegister | string {
  if (text === WILDCARD) {
    return { ref: { text, base: WILDCARD, rel: 0, instance: 0, width: 4, space: 'any' }, key: WILDCARD };
  }
  const m = NAME_RE.exec(text);
  if (!m) return `"${text}" is not a setpci register name (NAME, NAME+0xOFF, optional .b/.w/.l and @n)`;
  const name = m[1]!;
  const rel = m[2] !== undefined ? parseInt(m[2], 16) : 0;
  const given = m[3] !== undefined ? WIDTHS[m[3].toLowerCase()] : undefined;
  const instance = m[4] !== undefined ? parseInt(m[4], 10) : 0;

  const cap = capByName(name);
  if (cap) {
    const base = cap.def.name;
    const hit = findReg(cap.index, rel, given ?? 0);
    const width = given ?? (hit && hit.reg.off === rel ? hit.reg.width : undefined);
    if (width === undefined) return `${base} has no register at +${hex(rel)}; give its width (${base}+${hex(rel)}.w)`;
    const room = cap.def.size ?? (cap.space === 'cap' ? STD_CAP_ROOM : EXT_CAP_ROOM);
    if (rel + width > room) return `+${hex(rel)} (${width} bytes) is past the end of ${base} (${hex(room)} bytes)`;
    const key = `${base}+${hex(rel)}`;
    return { ref: { text, base, rel, instance, width, space: cap.space }, key };
  }

  const hdr = headerRegisterByName(name);
  if (!hdr) return `unknown register "${name}": not a header register nor a capability setpci names`;
  if (m[4] !== undefined) return `header registers have no instances (@${instance})`;
  const table = headerTable(hdr.kind);
  const off = hdr.reg.off + rel;
  const hit = findReg(table.index, off, given ?? 0);
  const exact = hit !== undefined && hit.reg.off === off;
  const width = given ?? (exact ? hit.reg.width : undefined);
  if (width === undefined) return `no header register starts at ${hex(off)} (${text}); give its width (.b/.w/.l)`;
  if (off + width > table.size) return `${text} runs past the end of the header (${hex(table.size)} bytes)`;
  // `BASE_ADDRESS_0+0x4` is BASE_ADDRESS_1: name the register by what it is.
  const base = exact ? hit.reg.name : hdr.reg.name;
  // Header registers: `rel` is the offset from the header start (policy-types.ts).
  return { ref: { text, base, rel: off, instance: 0, width, space: 'header' }, key: exact ? base : `${hdr.reg.name}+${hex(rel)}` };
}

export type MaskResult = { mask: number; fields: string[] } | { error: string; index?: number };

/** The mask of the named fields (their union), through the register's bit-field table. */
export function fieldMask(reg: ResolvedRegister, names: readonly string[]): MaskResult {
  if (reg.key === WILDCARD) return { error: 'the wildcard register "*" has no fields' };
  const view = fieldView(reg.key, reg.ref.width);
  if (!view) return { error: `${reg.key} has no bit-field table; use "bits" to give the mask` };
  let mask = 0;
  const fields: string[] = [];
  for (const [index, name] of names.entries()) {
    // Case-insensitive, reported in the table's spelling, so reports quote one name per field.
    const f = view.fields.find((x) => x.name.toUpperCase() === name.toUpperCase());
    if (!f) return { error: `${reg.key} has no field "${name}"; its fields: ${view.fields.map((x) => x.name).join(', ')}`, index };
    mask = (mask | f.mask) >>> 0;
    fields.push(f.name);
  }
  return { mask, fields };
}

/** All bits of the register. */
export const wholeMask = (reg: ResolvedRegister): number => widthMask(reg.ref.width);
