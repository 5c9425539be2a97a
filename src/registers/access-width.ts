// The width of an access whose source does not log it (QEMU's pci_cfg_* lines carry offset and
// value only). A capture marks such an access `sizeGuessed`, and its `size` is then a lower bound:
// the value needs that many bytes (0x8004 cannot be one byte), or evidence raised it. The upper
// bound is the offset's natural alignment: Linux's config accessors refuse an access that is not
// aligned to its width (PCI_OP_READ / PCI_OP_WRITE in drivers/pci/access.c return
// PCIBIOS_BAD_REGISTER_NUMBER for `pos & (len - 1)`). Between the two the width is unknown, and
// so are the old values of the bytes the access may cover; it is never inferred from the value.

import type { CompiledLayout } from './layout.js';

/** The widest aligned access at `off`: 4 at a multiple of 4, 2 at another even offset, else 1. */
export const widestAt = (off: number): 1 | 2 | 4 => (off % 4 === 0 ? 4 : off % 2 === 0 ? 2 : 1);

/** The least width a value needs: 4 above 0xffff, 2 above 0xff, else 1. */
export const leastFor = (val: number): 1 | 2 | 4 => (val > 0xffff ? 4 : val > 0xff ? 2 : 1);

/**
 * The width the device's register layout gives an access of unknown width: the narrowest width
 * from `least` to the alignment's limit at which the access is exactly one known register (a
 * write at MSI-X Message Control is two bytes, at a BAR four, at CACHE_LINE_SIZE one). undefined
 * when no register starts there with such a width: the width stays unknown.
 */
export function layoutWidth(layout: CompiledLayout, off: number, least: number): 1 | 2 | 4 | undefined {
  const most = widestAt(off);
  // 1, 2, 4 up to the alignment's limit: no array made per call (every device-side write).
  for (let w = 1; w <= most; w *= 2) if (w >= least && layout.name(off, w).exact) return w as 1 | 2 | 4;
  return undefined;
}
