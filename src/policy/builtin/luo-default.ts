// `luo-default`: what the Live Update preservation series protect today, one rule per register
// and reason (facts: the domain primer the project was started from, "What the preservation series actually
// preserve"), plus the writes reviewers call expected: MSI/MSI-X disabled at init and set up
// again by the new driver, and RW1C status clears, which change no state. Field names are the
// ones in src/registers/fields-*.ts; the RW1C field lists are taken from those tables, so they
// cannot drift from what the engine treats as write-1-to-clear.

import { fieldView } from '../../registers/index.js';
import type { PolicyFile, RuleJson } from '../policy-file.js';

/** The RW1C fields of a register, by name, from its bit-field table. */
const rw1cFields = (reg: string): string[] => (fieldView(reg)?.fields ?? []).filter((f) => f.rw1c).map((f) => f.name);

const BAR_SIZING = 'BAR sizing (__pci_read_base from pci_read_bases) writes 0xffffffff to the BAR and then restores it: '
  + 'meanwhile the BAR does not decode its address, so MMIO and peer-to-peer DMA in flight to the device are lost.';

const bars: RuleJson[] = [0, 1, 2, 3, 4, 5].map((n) => ({
  id: `bar-${n}`, kind: 'preserve', register: `BASE_ADDRESS_${n}`, appliesTo: 'preserved', why: BAR_SIZING,
}));

const WINDOW = 'A bridge forwards MMIO and I/O to the devices below it only inside its windows; rewriting them '
  + '(pci_setup_bridge_io, pci_setup_bridge_mmio, pci_setup_bridge_mmio_pref; even transiently, as the '
  + 'IO_BASE_UPPER16 = 0xffff step does) moves or closes the path to the preserved device\'s BARs.';

const windows: RuleJson[] = [
  'IO_BASE', 'IO_LIMIT', 'IO_BASE_UPPER16', 'IO_LIMIT_UPPER16', 'MEMORY_BASE', 'MEMORY_LIMIT',
  'PREF_MEMORY_BASE', 'PREF_MEMORY_LIMIT', 'PREF_BASE_UPPER32', 'PREF_LIMIT_UPPER32',
].map((reg) => ({ id: `window-${reg.toLowerCase().replace(/_/g, '-')}`, kind: 'preserve', register: reg, appliesTo: 'depended', why: WINDOW }));

const BUS_NUMBERS = 'The bus numbers of the bridges above a preserved device make up the Requester ID its DMA carries and '
  + 'the IOMMU translates by: renumbering (pci_scan_bridge_extend, even with pci=assign-busses) sends in-flight '
  + 'DMA to the wrong IOMMU context. The series keep them.';

const busNumbers: RuleJson[] = ['PRIMARY_BUS', 'SECONDARY_BUS', 'SUBORDINATE_BUS'].map((reg) => ({
  id: `bus-number-${reg.split('_')[0]!.toLowerCase()}`, kind: 'preserve', register: reg, appliesTo: 'depended', why: BUS_NUMBERS,
}));

const RW1C_CLEAR = 'Write-1-to-clear status bits: writing 1 clears a latched error indication and sets nothing, so the '
  + 'device\'s state and DMA are untouched; clearing stale errors at enumeration is what the new kernel should do.';

const clear = (id: string, register: string, callSites: string[], detail: string): RuleJson => ({
  id, kind: 'expect', register, field: rw1cFields(register), callSites, why: `${RW1C_CLEAR} ${detail}`,
});

const resetAndLink: RuleJson[] = [
  {
    id: 'power-state', kind: 'preserve', register: 'CAP_PM+0x4', field: 'PS', appliesTo: 'preserved+depended',
    why: 'Moving the device, or a bridge above it, out of D0 (pci_pm_reset, pci_set_low_power_state to D3hot) '
      + 'resets or cuts off the function: its state and DMA are lost.',
  },
  {
    id: 'flr', kind: 'preserve', register: 'CAP_EXP+0x8', field: 'BCR_FLR', appliesTo: 'preserved',
    why: 'Initiate Function Level Reset (pci_try_reset_function, called by vfio_pci_core_enable when vfio-pci '
      + 'takes the device) resets the function. Preserved devices only: on a bridge the bit is Bridge '
      + 'Configuration Retry Enable, not a reset.',
  },
  {
    id: 'secondary-bus-reset', kind: 'preserve', register: 'BRIDGE_CONTROL', field: 'BUS_RESET', appliesTo: 'depended',
    why: 'Secondary Bus Reset on a bridge above the preserved device (pci_reset_secondary_bus) resets every device below it.',
  },
  {
    id: 'link-control', kind: 'preserve', register: 'CAP_EXP+0x10', field: ['LD', 'RL', 'CCC'], appliesTo: 'preserved+depended',
    why: 'pcie_aspm_configure_common_clock sets Common Clock Configuration and retrains the link; Link Disable '
      + 'takes it down: either interrupts the link the preserved device\'s DMA travels on.',
  },
  {
    id: 'mps-mrrs', kind: 'preserve', register: 'CAP_EXP+0x8', field: ['PAYLOAD', 'READRQ'], appliesTo: 'preserved+depended',
    why: 'pcie_set_mps and pcie_set_readrq rewrite Max Payload Size and Max Read Request Size, which the old kernel '
      + 'set consistently along the path: changed under in-flight DMA, a payload size the link partner does not '
      + 'accept makes TLPs malformed.',
  },
];

const msi: RuleJson[] = [
  {
    id: 'msi-init-disable', kind: 'expect', register: 'CAP_MSI+0x2', field: 'ENABLE', callSites: ['pci_msi_init'],
    why: 'pci_msi_init clears MSI Enable when the new kernel finds it set: the inherited vectors target interrupt '
      + 'setup the new kernel does not have. Reviewers of the series say the new kernel should do this; it does not stop DMA.',
  },
  {
    id: 'msix-init-disable', kind: 'expect', register: 'CAP_MSIX+0x2', field: 'ENABLE', callSites: ['pci_msix_init'],
    why: 'pci_msix_init clears MSI-X Enable when the new kernel finds it set: the inherited vectors target interrupt '
      + 'setup the new kernel does not have. Reviewers of the series say the new kernel should do this; it does not stop DMA.',
  },
  {
    id: 'msi-driver-setup', kind: 'expect', register: 'CAP_MSI+0x2', field: ['ENABLE', 'QSIZE'],
    callSites: ['__pci_enable_msi_range', 'msi_capability_init'],
    why: 'The driver that takes the device over in the new kernel enables MSI again with its own vectors, after '
      + 'pci_msi_init disabled the inherited ones; interrupt setup belongs to the new kernel and does not touch DMA.',
  },
  {
    id: 'msix-driver-setup', kind: 'expect', register: 'CAP_MSIX+0x2', field: ['ENABLE', 'MASKALL'],
    callSites: ['__pci_enable_msix_range', 'msix_capability_init'],
    why: 'The driver that takes the device over enables MSI-X again (Enable with Function Mask while the table is '
      + 'programmed, then unmasked), after pci_msix_init disabled the inherited vectors; interrupt setup belongs '
      + 'to the new kernel and does not touch DMA.',
  },
];

const clears: RuleJson[] = [
  clear('status-clear', 'STATUS', ['pci_status_get_and_clear_errors'], 'STATUS error bits, cleared at enumeration.'),
  clear('sec-status-clear', 'SEC_STATUS', ['pci_scan_bridge_extend'], 'A bridge\'s secondary status, written 0xffff while scanning it.'),
  clear('devsta-clear', 'CAP_EXP+0xa', ['pcie_clear_device_status', 'aer_enable_rootport'], 'PCIe Device Status error bits.'),
  clear('aer-uncor-clear', 'ECAP_AER+0x4', ['pci_aer_raw_clear_status', 'pci_aer_clear_nonfatal_status', 'pci_aer_clear_fatal_status', 'aer_enable_rootport'],
    'AER uncorrectable error status.'),
  clear('aer-cor-clear', 'ECAP_AER+0x10', ['pci_aer_raw_clear_status', 'aer_enable_rootport'], 'AER correctable error status.'),
  clear('aer-root-status-clear', 'ECAP_AER+0x30', ['pci_aer_raw_clear_status', 'aer_enable_rootport'], 'AER root error status of a root port.'),
  clear('pme-status-clear', 'CAP_EXP+0x20', ['pcie_clear_root_pme_status', 'pcie_pme_probe'], 'PME Status of a root port, cleared when the PME service starts.'),
];

export const LUO_DEFAULT: PolicyFile = {
  'cfgscope-policy': 1,
  name: 'luo-default',
  description: 'What the Live Update preservation series protect, with the reason for each, and the writes reviewers expect.',
  // Bus Master is luo-busmaster's rule, composed first.
  extends: ['luo-busmaster'],
  rules: [
    ...busNumbers,
    {
      id: 'acs-control', kind: 'preserve', register: 'ECAP_ACS+0x6', appliesTo: 'preserved+depended',
      why: 'ACS controls decide the IOMMU groups. pci_enable_acs (from pci_init_capabilities and pci_restore_state) '
        + 'may write the register, but only with the inherited value: the same value passes, another one regroups '
        + 'devices under a running VM.',
    },
    {
      id: 'ari-forwarding', kind: 'preserve', register: 'CAP_EXP+0x28', field: 'ARI', appliesTo: 'depended',
      why: 'ARI Forwarding Enable on the bridge routes requests to functions above 7 (the VFs of an ARI device); '
        + 'pci_configure_ari must read it, not write it, or a preserved VF becomes unreachable.',
    },
    {
      id: 'decode', kind: 'preserve', register: 'COMMAND', field: ['MEMORY', 'IO'], appliesTo: 'preserved+depended',
      why: 'BAR sizing clears Memory and I/O Space decode around its writes; while clear, the device (on a bridge: '
        + 'everything below it) stops answering MMIO, which breaks peer-to-peer DMA in flight.',
    },
    ...bars,
    { id: 'rom-bar', kind: 'preserve', register: 'ROM_ADDRESS', appliesTo: 'preserved', why: BAR_SIZING },
    ...windows,
    { id: 'bridge-rom-bar', kind: 'preserve', register: 'BRIDGE_ROM_ADDRESS', appliesTo: 'depended', why: BAR_SIZING },
    {
      id: 'sriov-vf-enable', kind: 'preserve', register: 'ECAP_SRIOV+0x8', field: ['VFE', 'MSE'], appliesTo: 'preserved+depended',
      why: 'sriov_init writes SR-IOV Control with VF Enable clear when it finds it set, which destroys every VF, a '
        + 'preserved VF and its DMA included; VF Memory Space Enable clear stops the VFs\' BARs decoding.',
    },
    ...resetAndLink,
    ...msi,
    ...clears,
  ],
};
