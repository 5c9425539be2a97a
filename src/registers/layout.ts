// Names accesses the way setpci does, for one device: header registers by name (`COMMAND`),
// capability registers relative to their capability (`CAP_EXP+0x8`, `ECAP_ACS+0x6`), `@n` for
// the n-th instance of a repeated capability (0-based, as setpci counts: `CAP_VNDR+0x4@1` is the
// second vendor capability; setpci's own syntax puts `@n` last, after the width: `CAP_VNDR+0x4.w@1`).
// A capability setpci has no name for is named in the numeric form setpci parses: `CAP0x15+0x4`,
// `ECAP0x002e+0x8`. Anything else is a plain hex offset (`0x44`). compileLayout does the
// per-device work once; its `name()` is then a table lookup, memoised per (offset, size) inside
// the returned object.

import type { CapabilityEntry } from '../model/records.js';
import { extCap, stdCap, type IndexedCap } from './cap-table.js';
import { findReg } from './reg-index.js';
import { headerKind, headerTable, type HeaderKind, type HeaderTable } from './header.js';
import type { RegisterName, Space } from './types.js';

export interface DeviceLayout {
  /** HEADER_TYPE byte; low 7 bits: 0 endpoint, 1 bridge, 2 CardBus. undefined = unknown. */
  headerType?: number;
  caps?: readonly CapabilityEntry[];
  ecaps?: readonly CapabilityEntry[];
}

export interface CompiledLayout {
  readonly headerKind: HeaderKind;
  /** The name of an access of `size` bytes at `off`. The same object is returned for the same pair. */
  name(off: number, size: number): RegisterName;
}

interface Region {
  start: number;
  end: number;
  cap: IndexedCap;
  instance: number;
}

/** Where the standard (PCI-compatible) config space ends and the extended space starts. */
export const STD_END = 0x100;
const EXT_END = 0x1000;
const hex = (n: number): string => `0x${n.toString(16)}`;
const WIDTH_SUFFIX: Readonly<Record<number, string>> = { 1: '.b', 2: '.w', 4: '.l' };
const widthSuffix = (size: number): string => WIDTH_SUFFIX[size] ?? '';

/** Regions [start, end) per capability: to its fixed size when known, else to the next capability. */
function regions(entries: readonly CapabilityEntry[], lookup: (id: number) => IndexedCap, min: number, max: number): Region[] {
  const seen = new Map<number, number>();
  const out: Region[] = [];
  for (const e of entries) {
    // Instances count in list order, the order setpci's `@n` follows.
    const instance = seen.get(e.id) ?? 0;
    seen.set(e.id, instance + 1);
    if (e.off < min || e.off >= max) continue;
    out.push({ start: e.off, end: max, cap: lookup(e.id), instance });
  }
  out.sort((a, b) => a.start - b.start);
  out.forEach((r, i) => {
    const next = out[i + 1]?.start ?? max;
    const size = r.cap.def.size;
    r.end = size !== undefined ? Math.min(next, r.start + size) : next;
  });
  return out;
}

function headerName(t: HeaderTable, off: number, size: number): RegisterName | undefined {
  if (off >= t.size) return undefined;
  const hit = findReg(t.index, off, size);
  if (!hit) return undefined;
  const rel = off - hit.reg.off;
  const name = rel ? `${hit.reg.name}+${hex(rel)}` : hit.reg.name;
  return {
    name, base: hit.reg.name, rel, instance: 0, mnemonic: hit.reg.mnemonic, exact: hit.exact,
    setpci: hit.exact ? name : `${name}${widthSuffix(size)}`, space: 'header', capId: -1, off, size,
  };
}

function capRegionName(r: Region, off: number, size: number): RegisterName {
  const rel = off - r.start;
  const hit = findReg(r.cap.index, rel, size);
  const at = r.instance ? `@${r.instance}` : '';
  const base = r.cap.def.name;
  const space: Space = r.cap.space;
  return {
    name: `${base}+${hex(rel)}${at}`, base, rel, instance: r.instance, mnemonic: hit?.reg.mnemonic,
    // An access running past the capability's end is not one register, whatever the table says.
    exact: (hit?.exact ?? false) && off + size <= r.end,
    setpci: `${base}+${hex(rel)}${widthSuffix(size)}${at}`, space, capId: r.cap.def.id, off, size,
  };
}

const rawName = (off: number, size: number): RegisterName => ({
  name: hex(off), base: '', rel: off, instance: 0, mnemonic: undefined, exact: false,
  setpci: `${hex(off)}${widthSuffix(size)}`, space: 'unknown', capId: -1, off, size,
});

/** Memo rows past the standard space are kept in chunks of this many offsets, made on first use:
 *  a layout whose trace names a few extended registers keeps a few small chunks, not 3840 slots
 *  per access width (a scan may keep thousands of layouts). */
const CHUNK_SHIFT = 6;
const CHUNK_MASK = (1 << CHUNK_SHIFT) - 1;
/** The standard space's memo (offset * 4 + width - 1): most accesses fall there, and one slot
 *  read is cheaper than a row and a chunk (1,024 slots, 8 KiB per layout). */
const STD_SLOTS = STD_END * 4;

export function compileLayout(layout: DeviceLayout): CompiledLayout {
  const kind = headerKind(layout.headerType);
  const header = headerTable(kind);
  const std = regions(layout.caps ?? [], stdCap, header.size, STD_END);
  const ext = regions(layout.ecaps ?? [], extCap, STD_END, EXT_END);
  const all = [...std, ...ext];
  const memo = new Map<number, RegisterName>();
  const stdNames = new Array<RegisterName | undefined>(STD_SLOTS);
  /** The memo of the common widths (1, 2, 4 bytes) in extended space as chunked arrays indexed
   *  by offset: two array reads per access instead of a hashed lookup. */
  const bySize: (RegisterName | undefined)[][][] = [];

  const compute = (off: number, size: number): RegisterName => {
    const h = headerName(header, off, size);
    if (h) return h;
    // Regions do not overlap (each ends where the next starts); once per (off, size): memoized.
    const r = off >= 0 && off < EXT_END ? all.find((x) => off >= x.start && off < x.end) : undefined;
    return r ? capRegionName(r, off, size) : rawName(off, size);
  };

  return Object.freeze({
    headerKind: kind,
    name(off: number, size: number): RegisterName {
      if ((size === 1 || size === 2 || size === 4) && (off | 0) === off && off >= 0 && off < STD_END) {
        const slot = off * 4 + size - 1;
        let n = stdNames[slot];
        if (n === undefined) {
          n = Object.freeze(compute(off, size));
          stdNames[slot] = n;
        }
        return n;
      }
      if ((size === 1 || size === 2 || size === 4) && (off | 0) === off && off >= 0 && off < EXT_END) {
        const row = bySize[size] ??= [];
        const chunk = row[off >>> CHUNK_SHIFT] ??= new Array<RegisterName | undefined>(CHUNK_MASK + 1);
        let n = chunk[off & CHUNK_MASK];
        if (n === undefined) {
          n = Object.freeze(compute(off, size));
          chunk[off & CHUNK_MASK] = n;
        }
        return n;
      }
      const key = off * 8 + size;
      let n = memo.get(key);
      if (n === undefined) {
        n = Object.freeze(compute(off, size));
        memo.set(key, n);
      }
      return n;
    },
  });
}

/** One-off naming; compiles the layout on every call, so hot paths should keep a compileLayout(). */
export const nameRegister = (layout: DeviceLayout, off: number, size: number): RegisterName =>
  compileLayout(layout).name(off, size);
