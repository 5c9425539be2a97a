// Byte-indexed lookup over a register list, built once per table so that naming an access is an
// array read, not a scan. Several registers may start at the same offset with different widths
// (MSI: +0x8 is ADDRESS_HI as a dword on 64-bit devices, DATA_32 as a word on 32-bit ones); the
// access width picks among them.

import type { RegisterDef } from './types.js';

export interface RegIndex {
  readonly regs: readonly RegisterDef[];
  /** slot[b] = index in regs of the first register containing byte b, or -1. */
  readonly slot: Int16Array;
}

export function indexRegs(regs: readonly RegisterDef[]): RegIndex {
  const end = regs.reduce((m, x) => Math.max(m, x.off + x.width), 0);
  const slot = new Int16Array(end).fill(-1);
  regs.forEach((reg, i) => {
    for (let b = reg.off; b < reg.off + reg.width; b++) if (slot[b] === -1) slot[b] = i;
  });
  return Object.freeze({ regs: Object.freeze([...regs]), slot });
}

export interface RegHit {
  reg: RegisterDef;
  /** Access starts at the register and has its width. */
  exact: boolean;
}

/** The register an access of `size` bytes at relative offset `rel` falls in, preferring an exact match. */
export function findReg(index: RegIndex, rel: number, size: number): RegHit | undefined {
  const i = rel >= 0 && rel < index.slot.length ? index.slot[rel]! : -1;
  if (i < 0) return undefined;
  const first = index.regs[i]!;
  if (first.off === rel) {
    for (let j = i; j < index.regs.length && index.regs[j]!.off === rel; j++) {
      const reg = index.regs[j]!;
      if (reg.width === size) return { reg, exact: true };
    }
  }
  return { reg: first, exact: false };
}
