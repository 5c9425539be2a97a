// Shapes shared by the register tables (header, capabilities) and the bit-field tables.
// Offsets and widths come from the kernel's include/uapi/linux/pci_regs.h; names from
// `setpci --dumpregs` (pciutils), which is the test oracle for every name in these tables.

export type Width = 1 | 2 | 4;

/** One register: `off` is absolute for the header, relative to the capability for capabilities. */
export interface RegisterDef {
  readonly off: number;
  readonly width: Width;
  /** setpci's name (header registers only; capability registers are named `CAP_X+0xN`). */
  readonly name: string;
  /** pci_regs.h mnemonic without the `PCI_` and capability prefix: `DEVCTL`, `CTRL`, `ROM_ADDRESS1`. */
  readonly mnemonic: string;
}

/** A capability type: standard (8-bit id, list at 0x34) or extended (16-bit id, list at 0x100). */
export interface CapDef {
  readonly id: number;
  /** `CAP_EXP`, `ECAP_ACS`: setpci's name, or the numeric form when setpci has none. */
  readonly name: string;
  /** true when `name` is one of setpci's names (checked against `setpci --dumpregs`). */
  readonly setpci: boolean;
  /** The pci_regs.h name (`PCI_CAP_ID_xxx` / `PCI_EXT_CAP_ID_xxx` suffix), when it differs or setpci has none. */
  readonly kernel: string;
  /** Fixed length in bytes, when the capability has one; otherwise it extends to the next capability. */
  readonly size?: number;
  readonly regs: readonly RegisterDef[];
}

export type Space = 'header' | 'cap' | 'ecap' | 'unknown';

/** The name of one access (offset, size) on one device. */
export interface RegisterName {
  /** `COMMAND`, `BASE_ADDRESS_0+0x2`, `CAP_EXP+0x8`, `CAP_VNDR+0x4@1`, `ECAP_ACS+0x6`, `0x44`. */
  readonly name: string;
  /** `COMMAND`, `CAP_EXP`, `ECAP0x002e`; empty for a plain hex offset. */
  readonly base: string;
  /** Offset relative to `base` (0 for an exact header register). */
  readonly rel: number;
  /** 0-based instance of a capability present more than once (setpci's `@n`); 0 otherwise. */
  readonly instance: number;
  /** pci_regs.h mnemonic of the register that contains the first byte, if any is known. */
  readonly mnemonic: string | undefined;
  /** true when the access is exactly one known register: same start, same width. */
  readonly exact: boolean;
  /** A register expression setpci itself accepts: `COMMAND`, `CAP_EXP+0x8.w`, `CAP_VNDR+0x4.w@1`. */
  readonly setpci: string;
  readonly space: Space;
  /** Capability id in `space` ('cap' / 'ecap'); -1 in the header or outside any capability. */
  readonly capId: number;
  readonly off: number;
  readonly size: number;
}

export type FieldKind = 'flag' | 'enum' | 'number';

/**
 * What a write does to a field's bits, as the PCI Express Base Specification (section 7.4,
 * "Configuration Register Types") defines the attributes:
 * - `rw`: holds what was written.
 * - `ro`: read-only; a write leaves it alone. Also HwInit (set by hardware or firmware, read-only
 *   to software) and RsvdP / RsvdZ (reserved: read-only, read 0; software preserves / writes 0).
 * - `rw1c`: write 1 to clear; writing 0 leaves it alone.
 * - `rw1s`: write 1 to set; writing 0 leaves it alone.
 * - `sc`: self-clearing: writing 1 starts an action (retrain the link, a function level reset);
 *   the bit always reads 0, so the device never holds a 1 there.
 */
export type BitAccess = 'rw' | 'ro' | 'rw1c' | 'rw1s' | 'sc';

/** One bit field of a register. */
export interface FieldDef {
  readonly name: string;
  readonly mask: number;
  readonly kind: FieldKind;
  readonly access: BitAccess;
  /** access === 'rw1c' (kept for the readers that ask only this). */
  readonly rw1c: boolean;
  /** enum: names indexed by the field value (already shifted down). */
  readonly values?: readonly string[];
}

/** The fields of one register, keyed by its canonical name (`COMMAND`, `CAP_EXP+0x8`). */
export interface FieldRegister {
  readonly key: string;
  readonly width: Width;
  readonly fields: readonly FieldDef[];
}
