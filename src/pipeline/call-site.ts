// The responsible call site of a config access: the first stack frame that is not part of the
// config accessor machinery. Those layers only forward the access; the frame above them is the
// code a reviewer must read (e.g. __pci_read_base, pci_enable_bridge, pci_msix_init).

import { frameFunction } from '../parsers/accessors.js';

// drivers/pci/access.c and the x86 backends (arch/x86/pci/{common,direct,mmconfig_64}.c), ACPI's
// osl.c, and the capability helpers that wrap a read-modify-write of one register.
const ACCESSOR_FN = /^(pci_bus_(read|write)_config_|pci_user_(read|write)_config_|pci_(read|write)_config_(byte|word|dword)$|pcie_capability_|pci_generic_config_|pci_conf1_|pci_mmcfg_|raw_pci_|pci_read$|pci_write$|acpi_os_(read|write)_pci_configuration|(read|write)_pci_config)/;

export function isAccessorFrame(fn: string): boolean {
  return ACCESSOR_FN.test(fn);
}

/** Index of the responsible frame in an innermost-first stack, or -1 if every frame is an accessor. */
export function callSiteIndex(frames: readonly string[]): number {
  for (let i = 0; i < frames.length; i++) {
    if (!isAccessorFrame(frameFunction(frames[i]!))) return i;
  }
  return -1;
}

export function callSite(frames: readonly string[] | null): string | null {
  if (!frames) return null;
  const i = callSiteIndex(frames);
  return i === -1 ? null : frames[i]!;
}

/** What stands for the call site of an access without a stack: the device-side writes that
 * `import --attribute` adds (the old kernel's shutdown before kexec, raw ACPI) have no kernel
 * stack by nature, and saying so beats a bare "(no stack)" in a reviewer's note. */
export function stacklessSite(deviceOnly: boolean): string {
  return deviceOnly ? '(no kernel stack: seen by the device only)' : '(no stack)';
}
