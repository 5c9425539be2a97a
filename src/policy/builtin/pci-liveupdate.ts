// `pci-liveupdate`: what David Matlack's upstream series "PCI: liveupdate: PCI core support for Live
// Update" (v9, September 2026, in the liveupdate tree) promises for a preserved device, one rule per
// promise with the patch that makes it and the function that gates it; and what the series does not
// cover yet, as `info` rules, so a check on a kernel with the series says whether it keeps its
// promises (errors) and, apart from that, what still changes in the areas it leaves open (info).
//
// Patch titles are those the series carried on the kexec and linux-kernel lists in its v4-v6
// postings (April-June 2026); v9 keeps the same scope. The gating functions are the series' names
// (pci_liveupdate_*). Sources: the series' cover letter and patches; docs/policy.md lists them.
// Everything here is data: register and field names are setpci's and src/registers' tables.

import type { PolicyFile, RuleJson } from '../policy-file.js';

const SERIES = 'PCI: liveupdate: PCI core support for Live Update';

/** `(patch "<title>", gated by <fn>)`: how a rule's reason names where the promise is kept. */
const madeBy = (title: string, gate: string): string => `Promised by "${title}" of the ${SERIES} series, gated by ${gate}.`;

const promises: RuleJson[] = [
  {
    id: 'lu-bus-master', kind: 'preserve', register: 'COMMAND', field: 'MASTER', appliesTo: 'preserved+depended', severity: 'critical',
    why: 'Bus Master stays set on an outgoing preserved device and on the bridges above it (preserved automatically): '
      + 'pci_device_shutdown() no longer calls pci_clear_master() for them, so their DMA goes on through kexec. '
      + madeBy('PCI: liveupdate: Do not disable bus mastering on preserved devices during kexec', 'pci_liveupdate_is_outgoing() in pci_device_shutdown()'),
  },
  // Secondary and subordinate: the numbers the patch says are inherited (a bridge's primary bus is its
  // parent's secondary, kept by the same rule one level up).
  ...['SECONDARY_BUS', 'SUBORDINATE_BUS'].map((reg): RuleJson => ({
    id: `lu-bus-numbers-${reg.split('_')[0]!.toLowerCase()}`, kind: 'preserve', register: reg, appliesTo: 'any',
    why: 'Bus numbers are inherited on every bridge, not only those above a preserved device, while any device is '
      + 'preserved: the preserved device keeps its BDF, so its Requester ID and IOMMU context stay valid, and no '
      + 'bridge gets a window overlapping a preserved device below another one. '
      + madeBy('PCI: liveupdate: Keep bus numbers constant during Live Update', 'pci_liveupdate_scan_bridge_end() in the bridge scan (probe.c)'),
  })),
  {
    id: 'lu-acs-control', kind: 'preserve', register: 'ECAP_ACS+0x6', appliesTo: 'preserved+depended',
    why: 'ACS Control is inherited on incoming preserved devices and the bridges up to the root port, and kept '
      + 'across pci_restore_state(): routing does not change under DMA in flight and IOMMU groups stay as they were. '
      + 'Writing the inherited value back passes. '
      + madeBy('PCI: liveupdate: Inherit ACS flags in incoming preserved devices', 'pci_liveupdate_init_acs()/pci_liveupdate_enable_acs() in pci_enable_acs()'),
  },
  {
    id: 'lu-ari-forwarding', kind: 'preserve', register: 'CAP_EXP+0x28', field: 'ARI', appliesTo: 'depended',
    why: 'ARI Forwarding Enable is inherited on the preserved bridges, so preserved functions above 7 on their '
      + 'secondary bus stay addressable with the same function number. '
      + madeBy('PCI: liveupdate: Inherit ARI Forwarding Enable on preserved bridges', 'pci_liveupdate_configure_ari() in pci_configure_ari()'),
  },
];

const NOT_COVERED = `Not covered by the ${SERIES} series yet (v9):`;

const BARS = `${NOT_COVERED} BARs and bridge windows are future work (for peer-to-peer DMA); the new kernel still sizes `
  + 'BARs (__pci_read_base writes 0xffffffff and restores) and may rewrite bridge windows. Noted, not a broken promise.';

const uncovered: RuleJson[] = [
  ...[0, 1, 2, 3, 4, 5].map((n): RuleJson => ({
    id: `lu-uncovered-bar-${n}`, kind: 'preserve', register: `BASE_ADDRESS_${n}`, appliesTo: 'preserved', severity: 'info', why: BARS,
  })),
  { id: 'lu-uncovered-rom-bar', kind: 'preserve', register: 'ROM_ADDRESS', appliesTo: 'preserved', severity: 'info', why: BARS },
  ...['MEMORY_BASE', 'MEMORY_LIMIT', 'PREF_MEMORY_BASE', 'PREF_MEMORY_LIMIT', 'PREF_BASE_UPPER32', 'PREF_LIMIT_UPPER32', 'IO_BASE', 'IO_LIMIT']
    .map((reg): RuleJson => ({
      id: `lu-uncovered-window-${reg.toLowerCase().replace(/_/g, '-')}`, kind: 'preserve', register: reg, appliesTo: 'depended', severity: 'info', why: BARS,
    })),
  {
    id: 'lu-uncovered-msi', kind: 'preserve', register: 'CAP_MSI+0x2', field: 'ENABLE', appliesTo: 'preserved', severity: 'info',
    why: `${NOT_COVERED} MSI is not preserved: the new kernel disables and sets up interrupts again, and the series `
      + 'injects a spurious interrupt after the update instead. Noted, not a broken promise.',
  },
  {
    id: 'lu-uncovered-msix', kind: 'preserve', register: 'CAP_MSIX+0x2', field: ['ENABLE', 'MASKALL'], appliesTo: 'preserved', severity: 'info',
    why: `${NOT_COVERED} MSI-X is not preserved: the new kernel disables and sets up interrupts again, and the series `
      + 'injects a spurious interrupt after the update instead. Noted, not a broken promise.',
  },
  {
    id: 'lu-uncovered-sriov', kind: 'preserve', register: 'ECAP_SRIOV+0x8', field: ['VFE', 'MSE'], appliesTo: 'preserved+depended', severity: 'info',
    why: `${NOT_COVERED} VFs cannot be preserved (pci_liveupdate_preserve() returns -EINVAL for a VF), so SR-IOV `
      + 'Control is not kept for them. Noted, not a broken promise.',
  },
];

export const PCI_LIVEUPDATE: PolicyFile = {
  'cfgscope-policy': 1,
  name: 'pci-liveupdate',
  description: `What the upstream ${SERIES} series (v9) promises for a preserved device (errors), and the areas it does `
    + 'not cover yet (info).',
  rules: [...promises, ...uncovered],
};
