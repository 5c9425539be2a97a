// Small constructors for bit-field tables, so each table reads like the pci_regs.h block it
// comes from: one line per field, mask in hex, RW1C marked where the PCI/PCIe spec says so.

import type { FieldDef, FieldRegister, Width } from './types.js';

export const RW1C = true;

export const flag = (name: string, mask: number, rw1c = false): FieldDef => Object.freeze({ name, mask, kind: 'flag', rw1c });

export const num = (name: string, mask: number, rw1c = false): FieldDef => Object.freeze({ name, mask, kind: 'number', rw1c });

export const enm = (name: string, mask: number, values: readonly string[]): FieldDef =>
  Object.freeze({ name, mask, kind: 'enum', rw1c: false, values: Object.freeze([...values]) });

export const register = (key: string, width: Width, fields: readonly FieldDef[]): FieldRegister =>
  Object.freeze({ key, width, fields: Object.freeze([...fields]) });

/** Same fields under another register (AER mask/severity share the status layout), minus RW1C. */
export const sameBits = (key: string, from: FieldRegister): FieldRegister =>
  register(key, from.width, from.fields.map((f) => Object.freeze({ ...f, rw1c: false })));
