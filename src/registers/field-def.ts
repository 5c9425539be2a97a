// Small constructors for bit-field tables, so each table reads like the pci_regs.h block it
// comes from: one line per field, mask in hex, and the field's attribute (types.ts BitAccess)
// where the PCI/PCIe spec makes it other than read-write: RW1C, RO (HwInit, RsvdP/RsvdZ too),
// RW1S, SC (self-clearing).

import type { BitAccess, FieldDef, FieldRegister, Width } from './types.js';

export const RW1C: BitAccess = 'rw1c';
export const RO: BitAccess = 'ro';
/** HwInit: set by hardware or firmware; read-only to software (PCIe Base spec 7.4). */
export const HWINIT: BitAccess = 'ro';
/** RsvdP / RsvdZ: reserved, read-only, read 0 (PCIe Base spec 7.4). */
export const RSVD: BitAccess = 'ro';
export const RW1S: BitAccess = 'rw1s';
export const SC: BitAccess = 'sc';

const def = (name: string, mask: number, kind: FieldDef['kind'], access: BitAccess, values?: readonly string[]): FieldDef =>
  Object.freeze({ name, mask, kind, access, rw1c: access === 'rw1c', ...(values ? { values: Object.freeze([...values]) } : {}) });

export const flag = (name: string, mask: number, access: BitAccess = 'rw'): FieldDef => def(name, mask, 'flag', access);

export const num = (name: string, mask: number, access: BitAccess = 'rw'): FieldDef => def(name, mask, 'number', access);

export const enm = (name: string, mask: number, values: readonly string[], access: BitAccess = 'rw'): FieldDef =>
  def(name, mask, 'enum', access, values);

export const register = (key: string, width: Width, fields: readonly FieldDef[]): FieldRegister =>
  Object.freeze({ key, width, fields: Object.freeze([...fields]) });

/** Same fields under another register (AER mask/severity share the status layout), read-write. */
export const sameBits = (key: string, from: FieldRegister): FieldRegister =>
  register(key, from.width, from.fields.map((f) => Object.freeze({ ...f, access: 'rw' as const, rw1c: false })));
