// Why a config write can be seen on one side of a run only. Each reason is a fact about how the
// run was traced, not a guess about the write: `crosscheck` tells which one applies from where the
// write sits (which phase, which trace, before or after the kernel's probes existed, which device).

export type DifferenceReason =
  | 'firmware'
  | 'before-probes'
  | 'untraced-raw'
  | 'between-kernels'
  | 'after-trace'
  | 'device-not-in-kernel'
  | 'device-not-in-emulator'
  | 'no-target'
  | 'unexplained';

export const REASON_TEXT: Record<DifferenceReason, string> = {
  'firmware': 'firmware (SeaBIOS), before the kernel ran',
  'before-probes': 'early boot, before the kernel side\'s first traced access of this kind (its probes did not exist yet)',
  'untraced-raw': 'while only the function tracer on pci_bus_write_config_* ran: a raw write it cannot see (raw_pci_write: ACPI AML, quirks)',
  'between-kernels': 'after one kernel\'s trace was read out and before the next kernel traced anything (the old kernel\'s shutdown before kexec, the new kernel\'s earliest boot)',
  'after-trace': 'after the kernel\'s trace was read out (shutdown, power-off)',
  'device-not-in-kernel': 'a device the kernel side never accessed',
  'device-not-in-emulator': 'a device the emulator lacks (no device-side access to it at all)',
  'no-target': 'an early write the function tracer saw without a target, and no device write was left to pair it with',
  'unexplained': 'UNEXPLAINED',
};

export const isExplained = (r: DifferenceReason): boolean => r !== 'unexplained' && r !== 'no-target';
