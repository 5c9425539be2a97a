// The section headers of a 64-bit little-endian ELF file (an x86_64 vmlinux or module .ko), read
// with positional reads: a -dbg vmlinux is over 600 MB of DWARF, and its readers (boot-args'
// .BTF, the symbolizer's .symtab) need a few sections of it. Layout from the kernel's
// include/uapi/linux/elf.h: Elf64_Ehdr (e_type at 0x10, e_shoff 0x28, e_shentsize 0x3a, e_shnum
// 0x3c, e_shstrndx 0x3e) and Elf64_Shdr, 64 bytes (sh_name +0, sh_type +4, sh_addr +0x10,
// sh_offset +0x18, sh_size +0x20, sh_link +0x28).

import { CfgscopeError } from '../model/errors.js';
import { tooLarge } from './small-file.js';

/** Where the bytes come from: an open file (small-file.ts OpenFile, or a descriptor and readAt). */
export interface ElfBytes {
  /** `length` bytes at `offset`; fewer only at the end. */
  read(offset: number, length: number): Buffer;
}

export interface ElfSection { name: string; type: number; addr: bigint; offset: number; size: number; link: number }

export interface ElfFile {
  /** ET_REL: a module, whose symbol values are section-relative. */
  relocatable: boolean;
  sections: ElfSection[];
}

/** Each reader's own codes, so that `boot-args --kernel` and `--vmlinux` keep theirs. */
export interface ElfErrors {
  /** Not ELF at all. */
  notElf: string;
  /** ELF of another kind than 64-bit little-endian, or whose headers cannot be read as they say
   *  (cut short, forged). */
  unsupported: string;
  /** What the file was wanted as, for the message: `a vmlinux`. */
  wanted: string;
}

export const SHT_SYMTAB = 2;
export const SHT_NOBITS = 8;
const EHDR_SIZE = 64;
/** Elf64_Shdr; e_shnum is 16 bits, so the table is at most 4 MB. */
const SHDR_SIZE = 64;
const ET_REL = 1;
/** The section-name table of a vmlinux is a few hundred bytes. */
export const MAX_SHSTRTAB_BYTES = 1 << 20;

const cstring = (buf: Buffer, at: number): string => {
  const end = buf.indexOf(0, at);
  return at >= buf.length ? '' : buf.toString('latin1', at, end < 0 ? buf.length : end);
};

/** The ELF header and every section header, with its name. */
export function readElfSections(src: ElfBytes, file: string, errors: ElfErrors): ElfFile {
  const eh = src.read(0, EHDR_SIZE);
  if (eh.length < EHDR_SIZE || eh.readUInt32BE(0) !== 0x7f454c46) throw new CfgscopeError(errors.notElf, `not an ELF file (want ${errors.wanted})`, { file });
  if (eh[4] !== 2 || eh[5] !== 1) throw new CfgscopeError(errors.unsupported, 'only 64-bit little-endian ELF (x86_64) is read', { file });
  const shoff = Number(eh.readBigUInt64LE(0x28));
  const shentsize = eh.readUInt16LE(0x3a);
  const shnum = eh.readUInt16LE(0x3c);
  const shstrndx = eh.readUInt16LE(0x3e);
  if (shentsize !== SHDR_SIZE || shstrndx >= shnum) {
    throw new CfgscopeError(errors.unsupported, `section headers of ${shentsize} bytes, name table ${shstrndx} of ${shnum}: not ${errors.wanted}`, { file });
  }
  const table = src.read(shoff, shnum * SHDR_SIZE);
  if (table.length < shnum * SHDR_SIZE) throw new CfgscopeError(errors.unsupported, 'the section headers are past the end of the file', { file });
  const headers = Array.from({ length: shnum }, (_, i) => {
    const h = i * SHDR_SIZE;
    return {
      nameAt: table.readUInt32LE(h), type: table.readUInt32LE(h + 4), addr: table.readBigUInt64LE(h + 0x10),
      offset: Number(table.readBigUInt64LE(h + 0x18)), size: Number(table.readBigUInt64LE(h + 0x20)), link: table.readUInt32LE(h + 0x28),
    };
  });
  const strtab = headers[shstrndx]!;
  if (strtab.size > MAX_SHSTRTAB_BYTES) throw tooLarge(file, 'the section-name table', strtab.size, MAX_SHSTRTAB_BYTES);
  const names = src.read(strtab.offset, strtab.size);
  return {
    relocatable: eh.readUInt16LE(0x10) === ET_REL,
    sections: headers.map((h) => ({ name: cstring(names, h.nameAt), type: h.type, addr: h.addr, offset: h.offset, size: h.size, link: h.link })),
  };
}

/** A section's bytes, whole: over `limit` is INPUT_TOO_LARGE, cut off by the end of the file is
 *  the reader's `unsupported`. A SHT_NOBITS section (.bss) has no bytes in the file. */
export function sectionBytes(src: ElfBytes, s: ElfSection, file: string, errors: ElfErrors, limit: number): Buffer {
  if (s.type === SHT_NOBITS) return Buffer.alloc(0);
  if (s.size > limit) throw tooLarge(file, `the ${s.name} section`, s.size, limit);
  const bytes = src.read(s.offset, s.size);
  if (bytes.length < s.size) throw new CfgscopeError(errors.unsupported, `the ${s.name} section is cut off by the end of the file`, { file });
  return bytes;
}
