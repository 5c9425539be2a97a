// `luo-busmaster`: only bus mastering, the first state the preservation series kept: skipping
// pci_clear_master in pci_device_shutdown, do_pci_disable_device and __pci_set_master for a
// preserved device and every bridge up to its root port.

import type { PolicyFile } from '../policy-file.js';

export const LUO_BUSMASTER: PolicyFile = {
  'cfgscope-policy': 1,
  name: 'luo-busmaster',
  description: 'Bus Master stays set on preserved devices and every bridge above them.',
  rules: [
    {
      id: 'bus-master', kind: 'preserve', register: 'COMMAND', field: 'MASTER', appliesTo: 'preserved+depended',
      why: 'Clearing Bus Master stops the DMA the preserved device keeps doing across kexec (for a VM through '
        + 'vfio-pci); on a bridge it stops forwarding that DMA upstream. The series skip pci_clear_master '
        + '(pci_device_shutdown), do_pci_disable_device and __pci_set_master for these devices.',
    },
  ],
};
