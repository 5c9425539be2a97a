// The BTF of the kernel `boot-args` writes for: raw BTF (/sys/kernel/btf/vmlinux) or the .BTF
// section of a vmlinux. Only the BTF is read, never the whole vmlinux (a -dbg vmlinux is over
// 600 MB of DWARF): the ELF header, the section headers and their names, then that one section.
// Layout: the ELF-64 header (e_shoff at 0x28, e_shentsize 0x3a, e_shnum 0x3c, e_shstrndx 0x3e)
// and section headers (sh_name +0, sh_offset +0x18, sh_size +0x20), as elf-section.ts reads them.

import { CfgscopeError } from '../model/errors.js';
import { tooLarge, withRegularFile, type OpenFile } from './small-file.js';

/** Debian 6.1's vmlinux BTF is 5.5 MB; ten times that and more for the largest configurations. */
export const MAX_BTF_BYTES = 64 << 20;
/** Section headers: 64 bytes each, at most 65535 of them (e_shnum is 16 bits). */
const SHDR_SIZE = 64;
/** The section-name table of a vmlinux is a few hundred bytes. */
const MAX_SHSTRTAB_BYTES = 1 << 20;
const BTF_MAGIC = 0xeb9f;

/** The kernel's raw BTF, from a raw BTF file or a vmlinux's .BTF section. */
export function readKernelBtf(file: string): Buffer {
  return withRegularFile(file, (f) => {
    const head = f.read(0, 64);
    if (head.length >= 2 && head.readUInt16LE(0) === BTF_MAGIC) return whole(f);
    if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46) throw new CfgscopeError('ELF_NOT_ELF', 'neither raw BTF nor an ELF file (a vmlinux)', { file });
    if (head[4] !== 2 || head[5] !== 1) throw new CfgscopeError('ELF_UNSUPPORTED', 'only 64-bit little-endian ELF (x86_64 vmlinux) is read', { file });
    const shoff = Number(head.readBigUInt64LE(0x28));
    const shentsize = head.readUInt16LE(0x3a);
    const shnum = head.readUInt16LE(0x3c);
    const shstrndx = head.readUInt16LE(0x3e);
    if (shentsize !== SHDR_SIZE || shstrndx >= shnum) throw new CfgscopeError('ELF_UNSUPPORTED', `section headers of ${shentsize} bytes, name table ${shstrndx} of ${shnum}: not a vmlinux`, { file });
    const table = f.read(shoff, shnum * SHDR_SIZE);
    if (table.length < shnum * SHDR_SIZE) throw new CfgscopeError('ELF_UNSUPPORTED', 'the section headers are past the end of the file', { file });
    const header = (i: number): { name: number; offset: number; size: number } => ({
      name: table.readUInt32LE(i * SHDR_SIZE), offset: Number(table.readBigUInt64LE(i * SHDR_SIZE + 0x18)), size: Number(table.readBigUInt64LE(i * SHDR_SIZE + 0x20)),
    });
    const strtab = header(shstrndx);
    if (strtab.size > MAX_SHSTRTAB_BYTES) throw tooLarge(file, 'the section-name table', strtab.size, MAX_SHSTRTAB_BYTES);
    const names = f.read(strtab.offset, strtab.size);
    for (let i = 0; i < shnum; i++) {
      const h = header(i);
      const end = names.indexOf(0, h.name);
      if (h.name >= names.length || names.toString('latin1', h.name, end < 0 ? names.length : end) !== '.BTF') continue;
      if (h.size > MAX_BTF_BYTES) throw tooLarge(file, 'the .BTF section', h.size, MAX_BTF_BYTES);
      const btf = f.read(h.offset, h.size);
      if (btf.length < h.size) throw new CfgscopeError('ELF_UNSUPPORTED', 'the .BTF section is cut off by the end of the file', { file });
      return btf;
    }
    throw new CfgscopeError('ELF_NO_SECTION', 'no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)', { file });
  });
}

function whole(f: OpenFile): Buffer {
  if (f.size > MAX_BTF_BYTES) throw tooLarge(f.file, 'raw BTF', f.size, MAX_BTF_BYTES);
  const buf = f.read(0, MAX_BTF_BYTES + 1);
  if (buf.length > MAX_BTF_BYTES) throw tooLarge(f.file, 'raw BTF', buf.length, MAX_BTF_BYTES);
  return buf;
}
