// Standard capabilities (8-bit id, linked from 0x34): setpci's names for them and the registers
// inside each, at offsets relative to the capability header. Ids and offsets: pci_regs.h
// (PCI_CAP_ID_*, PCI_PM_*, PCI_MSI_*, PCI_EXP_*...); names: `setpci --dumpregs`, where the kernel
// differs (SHPC is CAP_HOTPLUG, SECDEV is CAP_SECURE) setpci's name is used.

import type { CapDef, RegisterDef, Width } from './types.js';

export const reg = (off: number, width: Width, mnemonic: string): RegisterDef =>
  Object.freeze({ off, width, name: mnemonic, mnemonic });

/** Every standard capability starts with its id byte and the next pointer (PCI_CAP_LIST_ID/NEXT). */
const HDR: readonly RegisterDef[] = [reg(0, 1, 'LIST_ID'), reg(1, 1, 'LIST_NEXT')];

const cap = (id: number, name: string, kernel: string, size: number | undefined, regs: RegisterDef[]): CapDef =>
  Object.freeze({ id, name, setpci: true, kernel, ...(size !== undefined ? { size } : {}), regs: Object.freeze([...HDR, ...regs]) });

// PCI Express capability, pci_regs.h PCI_EXP_*; the "2" registers exist only in version 2.
const EXP: RegisterDef[] = [
  reg(0x02, 2, 'FLAGS'), reg(0x04, 4, 'DEVCAP'), reg(0x08, 2, 'DEVCTL'), reg(0x0a, 2, 'DEVSTA'),
  reg(0x0c, 4, 'LNKCAP'), reg(0x10, 2, 'LNKCTL'), reg(0x12, 2, 'LNKSTA'), reg(0x14, 4, 'SLTCAP'),
  reg(0x18, 2, 'SLTCTL'), reg(0x1a, 2, 'SLTSTA'), reg(0x1c, 2, 'RTCTL'), reg(0x1e, 2, 'RTCAP'),
  reg(0x20, 4, 'RTSTA'), reg(0x24, 4, 'DEVCAP2'), reg(0x28, 2, 'DEVCTL2'), reg(0x2a, 2, 'DEVSTA2'),
  reg(0x2c, 4, 'LNKCAP2'), reg(0x30, 2, 'LNKCTL2'), reg(0x32, 2, 'LNKSTA2'), reg(0x34, 4, 'SLTCAP2'),
  reg(0x38, 2, 'SLTCTL2'), reg(0x3a, 2, 'SLTSTA2'),
];

// MSI: the layout after ADDRESS_LO depends on FLAGS.64BIT, which a layout does not know; the
// access width picks the reading (a dword at +0x8 is ADDRESS_HI, a word DATA_32). Where both
// readings have the same width the mnemonic names both.
const MSI: RegisterDef[] = [
  reg(0x02, 2, 'FLAGS'), reg(0x04, 4, 'ADDRESS_LO'),
  reg(0x08, 4, 'ADDRESS_HI'), reg(0x08, 2, 'DATA_32'),
  reg(0x0c, 2, 'DATA_64'), reg(0x0c, 4, 'MASK_32'),
  reg(0x10, 4, 'MASK_64/PENDING_32'), reg(0x14, 4, 'PENDING_64'),
];

export const STD_CAPS: readonly CapDef[] = Object.freeze([
  cap(0x01, 'CAP_PM', 'PM', 8, [
    reg(2, 2, 'PMC'), reg(4, 2, 'CTRL'), reg(6, 1, 'PPB_EXTENSIONS'), reg(7, 1, 'DATA_REGISTER')]),
  cap(0x02, 'CAP_AGP', 'AGP', 12, [
    reg(2, 1, 'VERSION'), reg(3, 1, 'RFU'), reg(4, 4, 'STATUS'), reg(8, 4, 'COMMAND')]),
  cap(0x03, 'CAP_VPD', 'VPD', 8, [reg(2, 2, 'ADDR'), reg(4, 4, 'DATA')]),
  cap(0x04, 'CAP_SLOTID', 'SLOTID', 4, [reg(2, 1, 'ESR'), reg(3, 1, 'CHASSIS_NR')]),
  cap(0x05, 'CAP_MSI', 'MSI', 0x18, MSI),
  cap(0x06, 'CAP_CHSWP', 'CHSWP', 4, [reg(2, 1, 'CSR')]),
  // PCI-X: bridges put SSTATUS/STATUS where devices have CMD/STATUS; the device reading is given.
  cap(0x07, 'CAP_PCIX', 'PCIX', undefined, [reg(2, 2, 'X_CMD'), reg(4, 4, 'X_STATUS'), reg(8, 4, 'X_ECC_CSR')]),
  cap(0x08, 'CAP_HT', 'HT', undefined, [reg(2, 2, 'HT_FLAGS')]),
  // Vendor-specific: byte +2 is the capability length (PCI spec 6.8.1.x), the rest is the vendor's.
  cap(0x09, 'CAP_VNDR', 'VNDR', undefined, [reg(2, 1, 'LEN')]),
  cap(0x0a, 'CAP_DBG', 'DBG', undefined, []),
  cap(0x0b, 'CAP_CCRC', 'CCRC', undefined, []),
  cap(0x0c, 'CAP_HOTPLUG', 'SHPC', undefined, [reg(2, 1, 'DWORD_SELECT'), reg(4, 4, 'DWORD_DATA')]),
  cap(0x0d, 'CAP_SSVID', 'SSVID', 8, [reg(4, 2, 'SSVID_VENDOR_ID'), reg(6, 2, 'SSVID_DEVICE_ID')]),
  cap(0x0e, 'CAP_AGP3', 'AGP3', undefined, []),
  cap(0x0f, 'CAP_SECURE', 'SECDEV', undefined, []),
  cap(0x10, 'CAP_EXP', 'EXP', 0x3c, EXP),
  cap(0x11, 'CAP_MSIX', 'MSIX', 12, [reg(2, 2, 'FLAGS'), reg(4, 4, 'TABLE'), reg(8, 4, 'PBA')]),
  cap(0x12, 'CAP_SATA', 'SATA', undefined, [reg(2, 2, 'SATA_CR0'), reg(4, 4, 'REGS')]),
  cap(0x13, 'CAP_AF', 'AF', 6, [
    reg(2, 1, 'LENGTH'), reg(3, 1, 'CAP'), reg(4, 1, 'CTRL'), reg(5, 1, 'STATUS')]),
  cap(0x14, 'CAP_EA', 'EA', undefined, [reg(2, 1, 'NUM_ENT'), reg(4, 4, 'FIRST_ENT')]),
]);

/** A standard capability id setpci does not name: `CAP0x15`, which setpci itself parses. */
export const unknownCapName = (id: number): string => `CAP0x${id.toString(16).padStart(2, '0')}`;

/** The generic shape of a capability nobody names: just the id and next pointer. */
export const unknownStdCap = (id: number): CapDef =>
  Object.freeze({ id, name: unknownCapName(id), setpci: false, kernel: '', regs: Object.freeze([...HDR]) });
