// Attributes of registers that have no named bit fields (fields-*.ts name the bits of the
// registers Live Update cares about): identification and capability registers, read-only as a
// whole, and the bridge windows' low nibbles. Keys are the field tables' keys (`VENDOR_ID`,
// `CAP_EXP+0xc`); write-semantics.ts joins these with the named fields' own attributes. Only the
// attribute matters here, so each register has one field named after it.
// Sources: include/uapi/linux/pci_regs.h for the offsets and masks; PCI Local Bus spec 3.0 6.2.1
// (identification: Vendor ID, Device ID, Revision ID, Class Code, Header Type, Subsystem ids,
// Interrupt Pin, Min_Gnt, Max_Lat, the Capabilities Pointer: read-only), PCI-to-PCI Bridge spec
// 1.2 3.2.5.6-3.2.5.9 (I/O and prefetchable window low nibbles: the addressing capability, read-
// only; the memory window's low nibble: reserved, reads 0), PCIe Base spec 7.5.3 (the PCI Express
// capability's Capabilities registers: read-only / HwInit), 7.7.2 (MSI-X Table / PBA offset and
// BIR: read-only), 7.8.3 / 9.3.3 (ACS and SR-IOV capability registers, VF offset, stride, device
// id, supported page sizes: read-only).

import { HWINIT, num, register, RO, RSVD } from './field-def.js';
import type { FieldRegister, Width } from './types.js';

const whole = (key: string, width: Width): FieldRegister =>
  register(key, width, [num(key, width === 4 ? 0xffffffff : (1 << (8 * width)) - 1, RO)]);

export const ATTRIBUTE_REGISTERS: readonly FieldRegister[] = [
  whole('VENDOR_ID', 2), whole('DEVICE_ID', 2), whole('REVISION', 1), whole('CLASS_PROG', 1),
  whole('CLASS_DEVICE', 2), whole('HEADER_TYPE', 1), whole('SUBSYSTEM_VENDOR_ID', 2), whole('SUBSYSTEM_ID', 2),
  whole('CAPABILITIES', 1), whole('INTERRUPT_PIN', 1), whole('MIN_GNT', 1), whole('MAX_LAT', 1),
  // PCI_IO_RANGE_TYPE_MASK, PCI_MEMORY_RANGE_TYPE_MASK, PCI_PREF_RANGE_TYPE_MASK: 0x0f.
  register('IO_BASE', 1, [num('IO_CAP', 0x0f, RO), num('BASE', 0xf0)]),
  register('IO_LIMIT', 1, [num('IO_CAP', 0x0f, RO), num('LIMIT', 0xf0)]),
  register('MEMORY_BASE', 2, [num('RSVD', 0x000f, RSVD), num('BASE', 0xfff0)]),
  register('MEMORY_LIMIT', 2, [num('RSVD', 0x000f, RSVD), num('LIMIT', 0xfff0)]),
  register('PREF_MEMORY_BASE', 2, [num('PREF_CAP', 0x000f, RO), num('BASE', 0xfff0)]),
  register('PREF_MEMORY_LIMIT', 2, [num('PREF_CAP', 0x000f, RO), num('LIMIT', 0xfff0)]),
  // PCI Express capability: Capabilities, Device/Link/Slot/Root Capabilities (and their 2s).
  whole('CAP_EXP+0x2', 2), whole('CAP_EXP+0x4', 4), whole('CAP_EXP+0xc', 4), whole('CAP_EXP+0x14', 4),
  whole('CAP_EXP+0x1e', 2), whole('CAP_EXP+0x24', 4), whole('CAP_EXP+0x2c', 4), whole('CAP_EXP+0x34', 4),
  register('CAP_PM+0x2', 2, [num('PMC', 0xffff, HWINIT)]),
  whole('CAP_MSIX+0x4', 4), whole('CAP_MSIX+0x8', 4),
  whole('ECAP_ACS+0x4', 2), whole('ECAP_ARI+0x4', 2), whole('ECAP_ATS+0x4', 2), whole('ECAP_DSN+0x4', 4), whole('ECAP_DSN+0x8', 4),
  whole('ECAP_SRIOV+0x4', 4), whole('ECAP_SRIOV+0xc', 2), whole('ECAP_SRIOV+0xe', 2), whole('ECAP_SRIOV+0x12', 1),
  whole('ECAP_SRIOV+0x14', 2), whole('ECAP_SRIOV+0x16', 2), whole('ECAP_SRIOV+0x1a', 2), whole('ECAP_SRIOV+0x1c', 4),
];

/** Every capability's header: the id and next pointer of a standard one (PCI_CAP_LIST_ID/NEXT),
 *  the id, version and next offset of an extended one (PCI_EXT_CAP_ID/VER/NEXT): read-only. */
export const CAP_HEADER_MNEMONICS: ReadonlySet<string> = new Set(['LIST_ID', 'LIST_NEXT', 'HEADER']);
