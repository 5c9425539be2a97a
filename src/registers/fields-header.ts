// Bit fields of the header registers that matter for Live Update: COMMAND (bus master, memory and
// I/O decode), STATUS and SEC_STATUS (error bits are RW1C: writing 0xffff clears them), and
// BRIDGE_CONTROL (secondary bus reset). Bits: pci_regs.h PCI_COMMAND_*, PCI_STATUS_*,
// PCI_BRIDGE_CTL_*; RW1C marks and the bridge bits pci_regs.h lacks: PCI-to-PCI Bridge spec 1.2.
// Read-only status bits (capability list, 66 MHz, fast back-to-back, DEVSEL timing, interrupt
// status, immediate readiness): PCI Local Bus spec 3.0 6.2.3 and PCIe Base spec 7.5.1.1.4.

import { enm, flag, register, RO, RSVD, RW1C } from './field-def.js';
import type { FieldRegister } from './types.js';

const DEVSEL = enm('DEVSEL', 0x0600, ['FAST', 'MEDIUM', 'SLOW', 'RESERVED'], RO);

export const HEADER_FIELDS: readonly FieldRegister[] = [
  register('COMMAND', 2, [
    flag('IO', 0x0001), flag('MEMORY', 0x0002), flag('MASTER', 0x0004), flag('SPECIAL', 0x0008),
    flag('INVALIDATE', 0x0010), flag('VGA_PALETTE', 0x0020), flag('PARITY', 0x0040), flag('WAIT', 0x0080),
    flag('SERR', 0x0100), flag('FAST_BACK', 0x0200), flag('INTX_DISABLE', 0x0400),
  ]),
  register('STATUS', 2, [
    flag('IMM_READY', 0x0001, RO), flag('INTERRUPT', 0x0008, RO), flag('CAP_LIST', 0x0010, RO), flag('66MHZ', 0x0020, RO),
    flag('UDF', 0x0040, RSVD), flag('FAST_BACK', 0x0080, RO), flag('PARITY', 0x0100, RW1C), DEVSEL,
    flag('SIG_TARGET_ABORT', 0x0800, RW1C), flag('REC_TARGET_ABORT', 0x1000, RW1C),
    flag('REC_MASTER_ABORT', 0x2000, RW1C), flag('SIG_SYSTEM_ERROR', 0x4000, RW1C),
    flag('DETECTED_PARITY', 0x8000, RW1C),
  ]),
  // Secondary status: STATUS's layout for the secondary bus; bit 14 is a received (not signalled) SERR.
  register('SEC_STATUS', 2, [
    flag('66MHZ', 0x0020, RO), flag('FAST_BACK', 0x0080, RO), flag('PARITY', 0x0100, RW1C), DEVSEL,
    flag('SIG_TARGET_ABORT', 0x0800, RW1C), flag('REC_TARGET_ABORT', 0x1000, RW1C),
    flag('REC_MASTER_ABORT', 0x2000, RW1C), flag('REC_SYSTEM_ERROR', 0x4000, RW1C),
    flag('DETECTED_PARITY', 0x8000, RW1C),
  ]),
  register('BRIDGE_CONTROL', 2, [
    flag('PARITY', 0x0001), flag('SERR', 0x0002), flag('ISA', 0x0004), flag('VGA', 0x0008),
    flag('VGA_16BIT', 0x0010), flag('MASTER_ABORT', 0x0020), flag('BUS_RESET', 0x0040),
    flag('FAST_BACK', 0x0080), flag('PRI_DISCARD_TIMER', 0x0100), flag('SEC_DISCARD_TIMER', 0x0200),
    flag('DISCARD_TIMER_STATUS', 0x0400, RW1C), flag('DISCARD_TIMER_SERR', 0x0800),
  ]),
];
