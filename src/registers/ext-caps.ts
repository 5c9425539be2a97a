// Extended capabilities (16-bit id, linked from 0x100): setpci's names and the registers inside
// each, relative to the capability header. Ids and offsets: pci_regs.h (PCI_EXT_CAP_ID_*,
// PCI_ERR_*, PCI_ACS_*, PCI_SRIOV_*...) and, where pci_regs.h has no macro, the PCIe base spec.
// Names: `setpci --dumpregs` (the kernel's ERR is ECAP_AER, L1SS is ECAP_L1PM, DLF is ECAP_DLNK...).
// Ids the kernel knows and setpci does not (CAC, AMD_XXX, PL_32GT, DOE) get setpci's numeric form.

import { reg } from './std-caps.js';
import type { CapDef, RegisterDef } from './types.js';

/** The dword header: id (16), version (4), next pointer (12). */
const HDR: readonly RegisterDef[] = [reg(0, 4, 'HEADER')];

const ecap = (id: number, name: string | undefined, kernel: string, size: number | undefined, regs: RegisterDef[]): CapDef =>
  Object.freeze({
    id, name: name ?? unknownEcapName(id), setpci: name !== undefined, kernel,
    ...(size !== undefined ? { size } : {}), regs: Object.freeze([...HDR, ...regs]),
  });

const range = (n: number, f: (i: number) => RegisterDef[]): RegisterDef[] =>
  Array.from({ length: n }, (_, i) => f(i)).flat();

const AER: RegisterDef[] = [
  reg(0x04, 4, 'UNCOR_STATUS'), reg(0x08, 4, 'UNCOR_MASK'), reg(0x0c, 4, 'UNCOR_SEVER'),
  reg(0x10, 4, 'COR_STATUS'), reg(0x14, 4, 'COR_MASK'), reg(0x18, 4, 'CAP'),
  ...range(4, (i) => [reg(0x1c + 4 * i, 4, `HEADER_LOG${i}`)]),
  reg(0x2c, 4, 'ROOT_COMMAND'), reg(0x30, 4, 'ROOT_STATUS'), reg(0x34, 4, 'ROOT_ERR_SRC'),
  ...range(4, (i) => [reg(0x38 + 4 * i, 4, `TLP_PREFIX_LOG${i}`)]),
];

const VC: RegisterDef[] = [
  reg(0x04, 4, 'PORT_CAP1'), reg(0x08, 4, 'PORT_CAP2'), reg(0x0c, 2, 'PORT_CTRL'),
  reg(0x0e, 2, 'PORT_STATUS'), reg(0x10, 4, 'RES_CAP'), reg(0x14, 4, 'RES_CTRL'), reg(0x1a, 2, 'RES_STATUS'),
];

const SRIOV: RegisterDef[] = [
  reg(0x04, 4, 'CAP'), reg(0x08, 2, 'CTRL'), reg(0x0a, 2, 'STATUS'), reg(0x0c, 2, 'INITIAL_VF'),
  reg(0x0e, 2, 'TOTAL_VF'), reg(0x10, 2, 'NUM_VF'), reg(0x12, 1, 'FUNC_LINK'), reg(0x14, 2, 'VF_OFFSET'),
  reg(0x16, 2, 'VF_STRIDE'), reg(0x1a, 2, 'VF_DID'), reg(0x1c, 4, 'SUP_PGSIZE'), reg(0x20, 4, 'SYS_PGSIZE'),
  ...range(6, (i) => [reg(0x24 + 4 * i, 4, `BAR${i}`)]),
  reg(0x3c, 4, 'VFM'),
];

// Resizable BAR (and the VF variant): up to six (capability, control) pairs.
const REBAR: RegisterDef[] = range(6, (i) => [
  reg(0x04 + 8 * i, 4, i ? `CAP${i}` : 'CAP'), reg(0x08 + 8 * i, 4, i ? `CTRL${i}` : 'CTRL')]);

const DPC: RegisterDef[] = [
  reg(0x04, 2, 'CAP'), reg(0x06, 2, 'CTL'), reg(0x08, 2, 'STATUS'), reg(0x0a, 2, 'SOURCE_ID'),
  reg(0x0c, 4, 'RP_PIO_STATUS'), reg(0x10, 4, 'RP_PIO_MASK'), reg(0x14, 4, 'RP_PIO_SEVERITY'),
  reg(0x18, 4, 'RP_PIO_SYSERROR'), reg(0x1c, 4, 'RP_PIO_EXCEPTION'),
  ...range(4, (i) => [reg(0x20 + 4 * i, 4, `RP_PIO_HEADER_LOG${i}`)]),
  reg(0x30, 4, 'RP_PIO_IMPSPEC_LOG'), reg(0x34, 4, 'RP_PIO_TLPPREFIX_LOG'),
];

const CAP_CTRL_STATUS: RegisterDef[] = [reg(0x04, 4, 'CAP'), reg(0x08, 4, 'CTRL'), reg(0x0c, 4, 'STATUS')];

export const EXT_CAPS: readonly CapDef[] = Object.freeze([
  ecap(0x01, 'ECAP_AER', 'ERR', 0x48, AER),
  ecap(0x02, 'ECAP_VC', 'VC', undefined, VC),
  ecap(0x03, 'ECAP_DSN', 'DSN', 12, [reg(0x04, 4, 'DSN_LO'), reg(0x08, 4, 'DSN_HI')]),
  ecap(0x04, 'ECAP_PB', 'PWR', 0x10, [reg(0x04, 1, 'DSR'), reg(0x08, 4, 'DATA'), reg(0x0c, 1, 'CAP')]),
  ecap(0x05, 'ECAP_RCLINK', 'RCLD', undefined, []),
  ecap(0x06, 'ECAP_RCILINK', 'RCILC', undefined, []),
  ecap(0x07, 'ECAP_RCEC', 'RCEC', undefined, [reg(0x04, 4, 'RCIEP_BITMAP'), reg(0x08, 4, 'BUSN')]),
  ecap(0x08, 'ECAP_MFVC', 'MFVC', undefined, []),
  ecap(0x09, 'ECAP_VC2', 'VC9', undefined, VC),
  ecap(0x0a, 'ECAP_RBCB', 'RCRB', undefined, []),
  ecap(0x0b, 'ECAP_VNDR', 'VNDR', undefined, [reg(0x04, 4, 'VNDR_HEADER')]),
  ecap(0x0c, undefined, 'CAC', undefined, []),
  ecap(0x0d, 'ECAP_ACS', 'ACS', undefined, [reg(0x04, 2, 'CAP'), reg(0x06, 2, 'CTRL'), reg(0x08, 4, 'EGRESS_CTL_V')]),
  ecap(0x0e, 'ECAP_ARI', 'ARI', 8, [reg(0x04, 2, 'CAP'), reg(0x06, 2, 'CTRL')]),
  ecap(0x0f, 'ECAP_ATS', 'ATS', 8, [reg(0x04, 2, 'CAP'), reg(0x06, 2, 'CTRL')]),
  ecap(0x10, 'ECAP_SRIOV', 'SRIOV', 0x40, SRIOV),
  ecap(0x11, 'ECAP_MRIOV', 'MRIOV', undefined, []),
  ecap(0x12, 'ECAP_MCAST', 'MCAST', 0x30, [reg(0x04, 2, 'CAP'), reg(0x06, 2, 'CTRL')]),
  ecap(0x13, 'ECAP_PRI', 'PRI', 0x10, [
    reg(0x04, 2, 'CTRL'), reg(0x06, 2, 'STATUS'), reg(0x08, 4, 'MAX_REQ'), reg(0x0c, 4, 'ALLOC_REQ')]),
  ecap(0x14, undefined, 'AMD_XXX', undefined, []),
  ecap(0x15, 'ECAP_REBAR', 'REBAR', undefined, REBAR),
  ecap(0x16, 'ECAP_DPA', 'DPA', undefined, [reg(0x04, 4, 'CAP')]),
  ecap(0x17, 'ECAP_TPH', 'TPH', undefined, [reg(0x04, 4, 'CAP'), reg(0x08, 4, 'CTRL')]),
  ecap(0x18, 'ECAP_LTR', 'LTR', 8, [reg(0x04, 2, 'MAX_SNOOP_LAT'), reg(0x06, 2, 'MAX_NOSNOOP_LAT')]),
  ecap(0x19, 'ECAP_SECPCI', 'SECPCI', undefined, [reg(0x04, 4, 'LNKCTL3'), reg(0x08, 4, 'LANE_ERR_STA')]),
  ecap(0x1a, 'ECAP_PMUX', 'PMUX', undefined, []),
  ecap(0x1b, 'ECAP_PASID', 'PASID', 8, [reg(0x04, 2, 'CAP'), reg(0x06, 2, 'CTRL')]),
  ecap(0x1c, 'ECAP_LNR', 'LNR', undefined, []),
  ecap(0x1d, 'ECAP_DPC', 'DPC', undefined, DPC),
  ecap(0x1e, 'ECAP_L1PM', 'L1SS', 0x10, [reg(0x04, 4, 'CAP'), reg(0x08, 4, 'CTL1'), reg(0x0c, 4, 'CTL2')]),
  ecap(0x1f, 'ECAP_PTM', 'PTM', 12, [reg(0x04, 4, 'CAP'), reg(0x08, 4, 'CTRL')]),
  ecap(0x20, 'ECAP_M_PCIE', 'MPCIE', undefined, []),
  ecap(0x21, 'ECAP_FRS', 'FRS', undefined, []),
  ecap(0x22, 'ECAP_RTR', 'RTR', undefined, []),
  ecap(0x23, 'ECAP_DVSEC', 'DVSEC', undefined, [reg(0x04, 4, 'DVSEC_HEADER1'), reg(0x08, 2, 'DVSEC_HEADER2')]),
  ecap(0x24, 'ECAP_VF_REBAR', 'VF_REBAR', undefined, REBAR),
  ecap(0x25, 'ECAP_DLNK', 'DLF', 12, [reg(0x04, 4, 'CAP'), reg(0x08, 4, 'STATUS')]),
  ecap(0x26, 'ECAP_16GT', 'PL_16GT', undefined, [...CAP_CTRL_STATUS, reg(0x20, 1, 'LE_CTRL')]),
  ecap(0x27, 'ECAP_LMR', 'LMR', undefined, []),
  ecap(0x28, 'ECAP_HIER_ID', 'HIER_ID', undefined, []),
  ecap(0x29, 'ECAP_NPEM', 'NPEM', 0x10, CAP_CTRL_STATUS),
  ecap(0x2a, undefined, 'PL_32GT', undefined, CAP_CTRL_STATUS),
  ecap(0x2e, undefined, 'DOE', 0x18, [...CAP_CTRL_STATUS, reg(0x10, 4, 'WRITE'), reg(0x14, 4, 'READ')]),
]);

/** An extended capability id setpci does not name: `ECAP0x002e`, which setpci itself parses. */
export function unknownEcapName(id: number): string {
  return `ECAP0x${id.toString(16).padStart(4, '0')}`;
}

export const unknownExtCap = (id: number): CapDef => ecap(id, undefined, '', undefined, []);
