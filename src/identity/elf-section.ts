// One section of a 64-bit little-endian ELF file (a vmlinux) by name: enough to reach .BTF
// without an ELF library.

import { CfgscopeError } from '../model/errors.js';

export function elfSection(buf: Buffer, wanted: string, file: string): Buffer {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new CfgscopeError('ELF_NOT_ELF', 'neither raw BTF nor an ELF file (a vmlinux)', { file });
  if (buf[4] !== 2 || buf[5] !== 1) throw new CfgscopeError('ELF_UNSUPPORTED', 'only 64-bit little-endian ELF (x86_64 vmlinux) is read', { file });
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const header = (i: number): { name: number; offset: number; size: number } => {
    const h = shoff + i * shentsize;
    return { name: buf.readUInt32LE(h), offset: Number(buf.readBigUInt64LE(h + 0x18)), size: Number(buf.readBigUInt64LE(h + 0x20)) };
  };
  const names = header(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    const start = names.offset + h.name;
    if (buf.toString('latin1', start, buf.indexOf(0, start)) === wanted) return buf.subarray(h.offset, h.offset + h.size);
  }
  throw new CfgscopeError('ELF_NO_SECTION', `no ${wanted} section (kernel built without CONFIG_DEBUG_INFO_BTF?)`, { file });
}
