// Bit fields of the capability registers the Live Update series care about: power state (PM),
// interrupt enables (MSI, MSI-X), ACS/ATS/PASID/PRI controls owned by the IOMMU side, SR-IOV
// control (VF Enable), ARI control, and AER status (RW1C) with its mask/severity twins.
// Bits: pci_regs.h PCI_PM_CTRL_*, PCI_MSI_FLAGS_*, PCI_MSIX_FLAGS_*, PCI_ACS_*, PCI_ATS_CTRL_*,
// PCI_SRIOV_CTRL_*, PCI_ERR_*; RW1C marks: PCI PM spec 1.2 and PCIe base spec 7.8.4.
// Read-only: PMCSR No_Soft_Reset and Data_Scale (PCI PM spec 1.2 3.2.4), the MSI Multiple
// Message Capable, 64-bit and per-vector masking bits and the MSI-X Table Size (PCIe Base spec
// 7.7.1.2, 7.7.2.2), the AER Advanced Error Interrupt Message Number (7.8.4.10); self-clearing:
// the PRI Reset bit ("reads of this bit return 0b", 10.5.2.2).

import { enm, flag, num, register, RO, RW1C, SC, sameBits } from './field-def.js';
import type { FieldRegister } from './types.js';

const AER_UNCOR = register('ECAP_AER+0x4', 4, [ // UNCOR_STATUS
  flag('UND', 0x00000001), flag('DLP', 0x00000010, RW1C), flag('SURPDN', 0x00000020, RW1C),
  flag('POISON_TLP', 0x00001000, RW1C), flag('FCP', 0x00002000, RW1C), flag('COMP_TIME', 0x00004000, RW1C),
  flag('COMP_ABORT', 0x00008000, RW1C), flag('UNX_COMP', 0x00010000, RW1C), flag('RX_OVER', 0x00020000, RW1C),
  flag('MALF_TLP', 0x00040000, RW1C), flag('ECRC', 0x00080000, RW1C), flag('UNSUP', 0x00100000, RW1C),
  flag('ACSV', 0x00200000, RW1C), flag('INTN', 0x00400000, RW1C), flag('MCBTLP', 0x00800000, RW1C),
  flag('ATOMEG', 0x01000000, RW1C), flag('TLPPRE', 0x02000000, RW1C),
]);

const AER_COR = register('ECAP_AER+0x10', 4, [ // COR_STATUS
  flag('RCVR', 0x00000001, RW1C), flag('BAD_TLP', 0x00000040, RW1C), flag('BAD_DLLP', 0x00000080, RW1C),
  flag('REP_ROLL', 0x00000100, RW1C), flag('REP_TIMER', 0x00001000, RW1C), flag('ADV_NFAT', 0x00002000, RW1C),
  flag('INTERNAL', 0x00004000, RW1C), flag('LOG_OVER', 0x00008000, RW1C),
]);

export const CAP_FIELDS: readonly FieldRegister[] = [
  register('CAP_PM+0x4', 2, [ // CTRL (PMCSR)
    enm('PS', 0x0003, ['D0', 'D1', 'D2', 'D3hot']), flag('NO_SOFT_RESET', 0x0008, RO),
    flag('PME_ENABLE', 0x0100), num('DATA_SEL', 0x1e00), num('DATA_SCALE', 0x6000, RO),
    flag('PME_STATUS', 0x8000, RW1C),
  ]),
  register('CAP_MSI+0x2', 2, [ // FLAGS
    flag('ENABLE', 0x0001), num('QMASK', 0x000e, RO), num('QSIZE', 0x0070), flag('64BIT', 0x0080, RO),
    flag('MASKBIT', 0x0100, RO),
  ]),
  register('CAP_MSIX+0x2', 2, [ // FLAGS
    num('QSIZE', 0x07ff, RO), flag('MASKALL', 0x4000), flag('ENABLE', 0x8000),
  ]),
  register('ECAP_ACS+0x6', 2, [ // CTRL
    flag('SV', 0x0001), flag('TB', 0x0002), flag('RR', 0x0004), flag('CR', 0x0008), flag('UF', 0x0010),
    flag('EC', 0x0020), flag('DT', 0x0040),
  ]),
  register('ECAP_ATS+0x6', 2, [ // CTRL
    num('STU', 0x001f), flag('ENABLE', 0x8000),
  ]),
  register('ECAP_SRIOV+0x8', 2, [ // CTRL
    flag('VFE', 0x0001), flag('VFM', 0x0002), flag('INTR', 0x0004), flag('MSE', 0x0008), flag('ARI', 0x0010),
  ]),
  register('ECAP_ARI+0x6', 2, [ // CTRL
    flag('MFVC', 0x0001), flag('ACS', 0x0002), num('FG', 0x0070),
  ]),
  register('ECAP_PASID+0x6', 2, [ // CTRL
    flag('ENABLE', 0x0001), flag('EXEC', 0x0002), flag('PRIV', 0x0004),
  ]),
  register('ECAP_PRI+0x4', 2, [ // CTRL
    flag('ENABLE', 0x0001), flag('RESET', 0x0002, SC),
  ]),
  AER_UNCOR,
  sameBits('ECAP_AER+0x8', AER_UNCOR), // UNCOR_MASK
  sameBits('ECAP_AER+0xc', AER_UNCOR), // UNCOR_SEVER
  AER_COR,
  sameBits('ECAP_AER+0x14', AER_COR), // COR_MASK
  register('ECAP_AER+0x2c', 4, [ // ROOT_COMMAND
    flag('COR_EN', 0x00000001), flag('NONFATAL_EN', 0x00000002), flag('FATAL_EN', 0x00000004),
  ]),
  register('ECAP_AER+0x30', 4, [ // ROOT_STATUS
    flag('COR_RCV', 0x00000001, RW1C), flag('MULTI_COR_RCV', 0x00000002, RW1C),
    flag('UNCOR_RCV', 0x00000004, RW1C), flag('MULTI_UNCOR_RCV', 0x00000008, RW1C),
    flag('FIRST_FATAL', 0x00000010, RW1C), flag('NONFATAL_RCV', 0x00000020, RW1C),
    flag('FATAL_RCV', 0x00000040, RW1C), num('AER_IRQ', 0xf8000000, RO),
  ]),
];
