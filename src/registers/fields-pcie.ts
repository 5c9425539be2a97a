// Bit fields of the PCI Express capability registers (CAP_EXP+...): device, link, slot and root
// control/status, and Device Control 2 (ARI forwarding, bit 5, must survive Live Update on the
// bridge above a preserved VF). Bits: pci_regs.h PCI_EXP_*; RW1C marks: PCIe base spec 7.5.3.
// Status bits that are RW1C there (DEVSTA error bits, LNKSTA bandwidth bits, SLTSTA events)
// are marked so that a write of 1 reads as the clear it is. Read-only status (link speed and
// width, training, presence) and the self-clearing Retrain Link: PCIe Base spec 7.5.3.
// Initiate Function Level Reset (DEVCTL bit 15 on an endpoint) is self-clearing too, but the same
// bit is Bridge Configuration Retry Enable (read-write) on a bridge: write-semantics.ts decides by
// the header type.

import { enm, flag, num, register, RO, RW1C, SC } from './field-def.js';
import type { FieldRegister } from './types.js';

const SIZES = ['128B', '256B', '512B', '1024B', '2048B', '4096B', 'RSVD6', 'RSVD7'];
const SPEEDS = ['0', '2.5GT/s', '5GT/s', '8GT/s', '16GT/s', '32GT/s', '64GT/s'];
const INDICATOR = ['RSVD', 'ON', 'BLINK', 'OFF'];

export const PCIE_FIELDS: readonly FieldRegister[] = [
  register('CAP_EXP+0x8', 2, [ // DEVCTL
    flag('CERE', 0x0001), flag('NFERE', 0x0002), flag('FERE', 0x0004), flag('URRE', 0x0008),
    flag('RELAX_EN', 0x0010), enm('PAYLOAD', 0x00e0, SIZES), flag('EXT_TAG', 0x0100),
    flag('PHANTOM', 0x0200), flag('AUX_PME', 0x0400), flag('NOSNOOP_EN', 0x0800),
    enm('READRQ', 0x7000, SIZES),
    // Bridge Configuration Retry Enable on bridges, Initiate Function Level Reset on endpoints.
    flag('BCR_FLR', 0x8000),
  ]),
  register('CAP_EXP+0xa', 2, [ // DEVSTA
    flag('CED', 0x0001, RW1C), flag('NFED', 0x0002, RW1C), flag('FED', 0x0004, RW1C),
    flag('URD', 0x0008, RW1C), flag('AUXPD', 0x0010, RO), flag('TRPND', 0x0020, RO),
  ]),
  register('CAP_EXP+0x10', 2, [ // LNKCTL
    enm('ASPMC', 0x0003, ['DISABLED', 'L0S', 'L1', 'L0S_L1']), flag('RCB', 0x0008), flag('LD', 0x0010),
    // Retrain Link: "reads of this bit always return 0b" (PCIe Base spec 7.5.3.7).
    flag('RL', 0x0020, SC), flag('CCC', 0x0040), flag('ES', 0x0080), flag('CLKREQ_EN', 0x0100),
    flag('HAWD', 0x0200), flag('LBMIE', 0x0400), flag('LABIE', 0x0800),
  ]),
  register('CAP_EXP+0x12', 2, [ // LNKSTA
    enm('CLS', 0x000f, SPEEDS, RO), num('NLW', 0x03f0, RO), flag('LT', 0x0800, RO), flag('SLC', 0x1000, RO),
    flag('DLLLA', 0x2000, RO), flag('LBMS', 0x4000, RW1C), flag('LABS', 0x8000, RW1C),
  ]),
  register('CAP_EXP+0x18', 2, [ // SLTCTL
    flag('ABPE', 0x0001), flag('PFDE', 0x0002), flag('MRLSCE', 0x0004), flag('PDCE', 0x0008),
    flag('CCIE', 0x0010), flag('HPIE', 0x0020), enm('AIC', 0x00c0, INDICATOR), enm('PIC', 0x0300, INDICATOR),
    // PCC set means "power off" (PCI_EXP_SLTCTL_PWR_OFF).
    flag('PCC', 0x0400), flag('EIC', 0x0800), flag('DLLSCE', 0x1000), flag('ASPL_DISABLE', 0x2000),
    flag('IBPD_DISABLE', 0x4000),
  ]),
  register('CAP_EXP+0x1a', 2, [ // SLTSTA
    flag('ABP', 0x0001, RW1C), flag('PFD', 0x0002, RW1C), flag('MRLSC', 0x0004, RW1C),
    flag('PDC', 0x0008, RW1C), flag('CC', 0x0010, RW1C), flag('MRLSS', 0x0020, RO), flag('PDS', 0x0040, RO),
    flag('EIS', 0x0080, RO), flag('DLLSC', 0x0100, RW1C),
  ]),
  register('CAP_EXP+0x1c', 2, [ // RTCTL
    flag('SECEE', 0x0001), flag('SENFEE', 0x0002), flag('SEFEE', 0x0004), flag('PMEIE', 0x0008),
    flag('CRSSVE', 0x0010),
  ]),
  register('CAP_EXP+0x20', 4, [ // RTSTA
    num('PME_RID', 0x0000ffff, RO), flag('PME', 0x00010000, RW1C), flag('PENDING', 0x00020000, RO),
  ]),
  register('CAP_EXP+0x28', 2, [ // DEVCTL2
    num('COMP_TIMEOUT', 0x000f), flag('COMP_TMOUT_DIS', 0x0010), flag('ARI', 0x0020),
    flag('ATOMIC_REQ', 0x0040), flag('ATOMIC_EGRESS_BLOCK', 0x0080), flag('IDO_REQ_EN', 0x0100),
    flag('IDO_CMP_EN', 0x0200), flag('LTR_EN', 0x0400), flag('10BIT_TAG_REQ_EN', 0x1000),
    enm('OBFF', 0x6000, ['DISABLED', 'MSGA', 'MSGB', 'WAKE']), flag('EE_PREFIX_BLOCK', 0x8000),
  ]),
  register('CAP_EXP+0x30', 2, [ // LNKCTL2
    enm('TLS', 0x000f, SPEEDS), flag('ENTER_COMP', 0x0010), flag('HASD', 0x0020),
    num('TX_MARGIN', 0x0380),
  ]),
];
