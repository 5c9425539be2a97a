// The BTF of the kernel `boot-args` writes for: raw BTF (/sys/kernel/btf/vmlinux) or the .BTF
// section of a vmlinux. Only the BTF is read, never the whole vmlinux (a -dbg vmlinux is over
// 600 MB of DWARF): the ELF header, the section headers and their names (elf-file.ts), then that
// one section.

import { CfgscopeError } from '../model/errors.js';
import { readElfSections, sectionBytes, type ElfErrors } from './elf-file.js';
import { tooLarge, withRegularFile, type OpenFile } from './small-file.js';

/** Debian 6.1's vmlinux BTF is 5.5 MB; ten times that and more for the largest configurations. */
export const MAX_BTF_BYTES = 64 << 20;
const BTF_MAGIC = 0xeb9f;
const ERRORS: ElfErrors = { notElf: 'ELF_NOT_ELF', unsupported: 'ELF_UNSUPPORTED', wanted: 'raw BTF or a vmlinux' };

/** The kernel's raw BTF, from a raw BTF file or a vmlinux's .BTF section. */
export function readKernelBtf(file: string): Buffer {
  return withRegularFile(file, (f) => {
    const head = f.read(0, 2);
    if (head.length >= 2 && head.readUInt16LE(0) === BTF_MAGIC) return whole(f);
    const btf = readElfSections(f, file, ERRORS).sections.find((s) => s.name === '.BTF');
    if (!btf) throw new CfgscopeError('ELF_NO_SECTION', 'no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)', { file });
    return sectionBytes(f, btf, file, ERRORS, MAX_BTF_BYTES);
  });
}

function whole(f: OpenFile): Buffer {
  if (f.size > MAX_BTF_BYTES) throw tooLarge(f.file, 'raw BTF', f.size, MAX_BTF_BYTES);
  const buf = f.read(0, MAX_BTF_BYTES + 1);
  if (buf.length > MAX_BTF_BYTES) throw tooLarge(f.file, 'raw BTF', buf.length, MAX_BTF_BYTES);
  return buf;
}
