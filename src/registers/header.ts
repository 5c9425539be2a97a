// The standard configuration header (first 64 bytes; 72 for CardBus), per header type.
// Offsets/widths: include/uapi/linux/pci_regs.h. Names: `setpci --dumpregs`, which lists the
// type 0 names, then the type 1 (bridge) names at overlapping offsets, then the `CB_` names.
// The test checks every name and width here against that output.

import { indexRegs, type RegIndex } from './reg-index.js';
import type { RegisterDef, Width } from './types.js';

export type HeaderKind = 'type0' | 'type1' | 'cardbus' | 'unknown';

const r = (off: number, width: Width, name: string, mnemonic: string = name): RegisterDef =>
  Object.freeze({ off, width, name, mnemonic });

/** 0x00-0x17: identical in type 0 and type 1 (CardBus shares only 0x00-0x0f). */
const FIRST16: readonly RegisterDef[] = [
  r(0x00, 2, 'VENDOR_ID'),
  r(0x02, 2, 'DEVICE_ID'),
  r(0x04, 2, 'COMMAND'),
  r(0x06, 2, 'STATUS'),
  r(0x08, 1, 'REVISION', 'REVISION_ID'),
  r(0x09, 1, 'CLASS_PROG'),
  r(0x0a, 2, 'CLASS_DEVICE'),
  r(0x0c, 1, 'CACHE_LINE_SIZE'),
  r(0x0d, 1, 'LATENCY_TIMER'),
  r(0x0e, 1, 'HEADER_TYPE'),
  r(0x0f, 1, 'BIST'),
];
const BARS01: readonly RegisterDef[] = [r(0x10, 4, 'BASE_ADDRESS_0'), r(0x14, 4, 'BASE_ADDRESS_1')];
const CAPPTR = r(0x34, 1, 'CAPABILITIES', 'CAPABILITY_LIST');
const INTX: readonly RegisterDef[] = [r(0x3c, 1, 'INTERRUPT_LINE'), r(0x3d, 1, 'INTERRUPT_PIN')];

const TYPE0: readonly RegisterDef[] = [
  ...FIRST16, ...BARS01,
  r(0x18, 4, 'BASE_ADDRESS_2'),
  r(0x1c, 4, 'BASE_ADDRESS_3'),
  r(0x20, 4, 'BASE_ADDRESS_4'),
  r(0x24, 4, 'BASE_ADDRESS_5'),
  r(0x28, 4, 'CARDBUS_CIS'),
  r(0x2c, 2, 'SUBSYSTEM_VENDOR_ID'),
  r(0x2e, 2, 'SUBSYSTEM_ID'),
  r(0x30, 4, 'ROM_ADDRESS'),
  CAPPTR, ...INTX,
  r(0x3e, 1, 'MIN_GNT'),
  r(0x3f, 1, 'MAX_LAT'),
];

const TYPE1: readonly RegisterDef[] = [
  ...FIRST16, ...BARS01,
  r(0x18, 1, 'PRIMARY_BUS'),
  r(0x19, 1, 'SECONDARY_BUS'),
  r(0x1a, 1, 'SUBORDINATE_BUS'),
  r(0x1b, 1, 'SEC_LATENCY_TIMER'),
  r(0x1c, 1, 'IO_BASE'),
  r(0x1d, 1, 'IO_LIMIT'),
  r(0x1e, 2, 'SEC_STATUS'),
  r(0x20, 2, 'MEMORY_BASE'),
  r(0x22, 2, 'MEMORY_LIMIT'),
  r(0x24, 2, 'PREF_MEMORY_BASE'),
  r(0x26, 2, 'PREF_MEMORY_LIMIT'),
  r(0x28, 4, 'PREF_BASE_UPPER32'),
  r(0x2c, 4, 'PREF_LIMIT_UPPER32'),
  r(0x30, 2, 'IO_BASE_UPPER16'),
  r(0x32, 2, 'IO_LIMIT_UPPER16'),
  CAPPTR,
  r(0x38, 4, 'BRIDGE_ROM_ADDRESS', 'ROM_ADDRESS1'),
  ...INTX,
  r(0x3e, 2, 'BRIDGE_CONTROL'),
];

// CardBus: setpci gives the capability pointer at 0x14 a word width; pci_regs.h a byte. setpci wins
// for the name and width, the kernel for the mnemonic.
const CARDBUS: readonly RegisterDef[] = [
  ...FIRST16,
  r(0x10, 4, 'CB_CARDBUS_BASE', 'BASE_ADDRESS_0'),
  r(0x14, 2, 'CB_CAPABILITIES', 'CB_CAPABILITY_LIST'),
  r(0x16, 2, 'CB_SEC_STATUS'),
  r(0x18, 1, 'CB_BUS_NUMBER', 'CB_PRIMARY_BUS'),
  r(0x19, 1, 'CB_CARDBUS_NUMBER', 'CB_CARD_BUS'),
  r(0x1a, 1, 'CB_SUBORDINATE_BUS'),
  r(0x1b, 1, 'CB_CARDBUS_LATENCY', 'CB_LATENCY_TIMER'),
  r(0x1c, 4, 'CB_MEMORY_BASE_0'),
  r(0x20, 4, 'CB_MEMORY_LIMIT_0'),
  r(0x24, 4, 'CB_MEMORY_BASE_1'),
  r(0x28, 4, 'CB_MEMORY_LIMIT_1'),
  r(0x2c, 2, 'CB_IO_BASE_0'),
  r(0x2e, 2, 'CB_IO_BASE_0_HI'),
  r(0x30, 2, 'CB_IO_LIMIT_0'),
  r(0x32, 2, 'CB_IO_LIMIT_0_HI'),
  r(0x34, 2, 'CB_IO_BASE_1'),
  r(0x36, 2, 'CB_IO_BASE_1_HI'),
  r(0x38, 2, 'CB_IO_LIMIT_1'),
  r(0x3a, 2, 'CB_IO_LIMIT_1_HI'),
  ...INTX,
  r(0x3e, 2, 'BRIDGE_CONTROL', 'CB_BRIDGE_CONTROL'),
  r(0x40, 2, 'CB_SUBSYSTEM_VENDOR_ID'),
  r(0x42, 2, 'CB_SUBSYSTEM_ID'),
  r(0x44, 4, 'CB_LEGACY_MODE_BASE'),
];

/** Header type unknown: only what type 0 and type 1 agree on (CardBus, being rare, is ignored). */
const COMMON: readonly RegisterDef[] = [...FIRST16, ...BARS01, CAPPTR, ...INTX];

export interface HeaderTable {
  readonly kind: HeaderKind;
  /** Bytes the header covers: 0x40, or 0x48 for CardBus. */
  readonly size: number;
  readonly index: RegIndex;
}

const table = (kind: HeaderKind, size: number, regs: readonly RegisterDef[]): HeaderTable =>
  Object.freeze({ kind, size, index: indexRegs(regs) });

const TABLES: Readonly<Record<HeaderKind, HeaderTable>> = Object.freeze({
  type0: table('type0', 0x40, TYPE0),
  type1: table('type1', 0x40, TYPE1),
  cardbus: table('cardbus', 0x48, CARDBUS),
  unknown: table('unknown', 0x40, COMMON),
});

/** Header kind from the HEADER_TYPE byte (bit 7, multi-function, is ignored). */
export function headerKind(headerType: number | undefined): HeaderKind {
  if (headerType === undefined) return 'unknown';
  switch (headerType & 0x7f) {
    case 0: return 'type0';
    case 1: return 'type1';
    case 2: return 'cardbus';
    default: return 'unknown';
  }
}

export const headerTable = (kind: HeaderKind): HeaderTable => TABLES[kind];

/** A header register by its setpci name, searched in every header kind (names are unique per offset). */
export function headerRegisterByName(name: string): { reg: RegisterDef; kind: HeaderKind } | undefined {
  const upper = name.toUpperCase();
  for (const kind of ['type0', 'type1', 'cardbus'] as const) {
    const reg = TABLES[kind].index.regs.find((x) => x.name === upper);
    if (reg) return { reg, kind };
  }
  return undefined;
}
