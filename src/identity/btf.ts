// Struct member offsets from BTF, the kernel's own type information (Documentation/bpf/btf.rst):
// the probes' fetch arguments (`+216(%di)` = pci_bus.number) differ per kernel build, so they are
// read from the kernel they will run on, never hard-coded. Reads raw BTF: /sys/kernel/btf/vmlinux,
// or a vmlinux's .BTF section (sources/kernel-btf-file.ts finds it).

import { CfgscopeError } from '../model/errors.js';

const BTF_MAGIC = 0xeb9f;
const KIND_STRUCT = 4;
const KIND_UNION = 5;

/** Bytes of kind-specific data after each 12-byte btf_type, by kind (vlen = member count). */
function trailing(kind: number, vlen: number): number {
  switch (kind) {
    case 1: case 14: case 17: return 4; // INT, VAR, DECL_TAG
    case 3: return 12; // ARRAY
    case 4: case 5: case 15: case 19: return 12 * vlen; // STRUCT, UNION, DATASEC, ENUM64
    case 6: case 13: return 8 * vlen; // ENUM, FUNC_PROTO
    default: return 0; // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
  }
}

export interface BtfStructs {
  /** Byte offset of `member` in `struct name`; undefined when either is absent. Bitfields excluded. */
  offset(name: string, member: string): number | undefined;
  /** Whether the BTF defines `struct name` (or a union of that name): a kernel-feature test. */
  hasStruct(name: string): boolean;
}

/** Parses raw BTF. */
export function readBtf(raw: Buffer, file: string): BtfStructs {
  if (raw.readUInt16LE(0) !== BTF_MAGIC) throw new CfgscopeError('BTF_BAD_MAGIC', 'no BTF here (not raw BTF, and the .BTF section has no BTF magic)', { file });
  const hdrLen = raw.readUInt32LE(4);
  const typeOff = hdrLen + raw.readUInt32LE(8);
  const typeLen = raw.readUInt32LE(12);
  const strOff = hdrLen + raw.readUInt32LE(16);
  const name = (off: number): string => {
    const end = raw.indexOf(0, strOff + off);
    return raw.toString('latin1', strOff + off, end);
  };
  // struct name -> member name -> byte offset; only structs, one pass over the type section.
  const structs = new Map<string, Map<string, number>>();
  for (let p = typeOff; p < typeOff + typeLen;) {
    const info = raw.readUInt32LE(p + 4);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31;
    if ((kind === KIND_STRUCT || kind === KIND_UNION) && raw.readUInt32LE(p) !== 0) {
      const members = new Map<string, number>();
      for (let i = 0; i < vlen; i++) {
        const m = p + 12 + i * 12;
        const bits = raw.readUInt32LE(m + 8);
        // With kind_flag set the offset word packs a bitfield size in its top byte.
        const bitOffset = kindFlag ? bits & 0xffffff : bits;
        if (bitOffset % 8 === 0 && (!kindFlag || bits >>> 24 === 0)) members.set(name(raw.readUInt32LE(m)), bitOffset / 8);
      }
      const n = name(raw.readUInt32LE(p));
      if (!structs.has(n)) structs.set(n, members);
    }
    p += 12 + trailing(kind, vlen);
  }
  return { offset: (s, m) => structs.get(s)?.get(m), hasStruct: (s) => structs.has(s) };
}
