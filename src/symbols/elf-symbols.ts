// Function symbols of a 64-bit little-endian ELF file (a vmlinux or a module .ko) read with
// positional reads: a debug vmlinux is over 600 MB, only its section headers, .symtab/.strtab and
// a few bytes of data are needed. Also says whether DWARF is there (.debug_info + .debug_line),
// the kernel's linux_banner (vmlinux) and a module's vermagic (.modinfo).

import { closeSync, openSync, readSync } from 'node:fs';
import { CfgscopeError } from '../model/errors.js';

export interface ElfSection { name: string; type: number; addr: bigint; offset: number; size: number; link: number }

export interface ElfFunction {
  name: string;
  /** Symbol value: the address in a vmlinux, the offset in its section in a relocatable .ko. */
  value: bigint;
  size: number;
  /** Name of the section the function lives in (`.text`, `.text.unlikely`). */
  section: string;
}

export interface ElfSymbols {
  file: string;
  /** ET_REL: a module, whose addresses are section-relative. */
  relocatable: boolean;
  hasDebugInfo: boolean;
  /** Every function symbol by name; a static function's name may occur more than once. */
  functions: Map<string, ElfFunction[]>;
  /** `Linux version 6.1.0-56-amd64 (...) #1 SMP ...` from a vmlinux; null when absent. */
  banner: string | null;
  /** From a module's .modinfo: `6.1.0-56-amd64 SMP preempt mod_unload modversions`. */
  vermagic: string | null;
  /** From a module's .modinfo `name=`. */
  moduleName: string | null;
}

const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;
const STT_FUNC = 2;
const STT_OBJECT = 1;

function read(fd: number, offset: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, done, size - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === size ? buf : buf.subarray(0, done);
}

const cstring = (buf: Buffer, at: number): string => buf.toString('latin1', at, Math.max(at, buf.indexOf(0, at)));

export function readElfSymbols(file: string): ElfSymbols {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new CfgscopeError('SYMBOLS_FILE_UNREADABLE', (e as Error).message, { file });
  }
  try {
    return readOpen(fd, file);
  } catch (e) {
    // A folder opens and fails on read (EISDIR); an I/O error part-way: coded, with the path.
    if (typeof (e as NodeJS.ErrnoException).syscall === 'string') throw new CfgscopeError('SYMBOLS_FILE_UNREADABLE', (e as Error).message, { file });
    throw e;
  } finally {
    closeSync(fd);
  }
}

function readOpen(fd: number, file: string): ElfSymbols {
  const eh = read(fd, 0, 64);
  if (eh.length < 64 || eh.readUInt32BE(0) !== 0x7f454c46) throw new CfgscopeError('SYMBOLS_NOT_ELF', 'not an ELF file (want a vmlinux or a .ko with debug info)', { file });
  if (eh[4] !== 2 || eh[5] !== 1) throw new CfgscopeError('SYMBOLS_NOT_ELF', 'only 64-bit little-endian ELF (x86_64) is read', { file });
  const relocatable = eh.readUInt16LE(0x10) === 1;
  const shoff = Number(eh.readBigUInt64LE(0x28));
  const shentsize = eh.readUInt16LE(0x3a);
  const shnum = eh.readUInt16LE(0x3c);
  const shstrndx = eh.readUInt16LE(0x3e);
  const raw = read(fd, shoff, shnum * shentsize);
  const headers = Array.from({ length: shnum }, (_, i) => {
    const h = i * shentsize;
    return {
      nameAt: raw.readUInt32LE(h), type: raw.readUInt32LE(h + 4), addr: raw.readBigUInt64LE(h + 0x10),
      offset: Number(raw.readBigUInt64LE(h + 0x18)), size: Number(raw.readBigUInt64LE(h + 0x20)), link: raw.readUInt32LE(h + 0x28),
    };
  });
  const shstr = headers[shstrndx];
  if (!shstr) throw new CfgscopeError('SYMBOLS_NOT_ELF', 'no section name table', { file });
  const names = read(fd, shstr.offset, shstr.size);
  const sections: ElfSection[] = headers.map((h) => ({ name: cstring(names, h.nameAt), type: h.type, addr: h.addr, offset: h.offset, size: h.size, link: h.link }));
  const byName = (n: string): ElfSection | undefined => sections.find((s) => s.name === n);
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) throw new CfgscopeError('SYMBOLS_NO_SYMTAB', 'no symbol table (.symtab): a stripped file cannot map function+offset to an address', { file });
  const strtab = sections[symtab.link]!;
  const syms = read(fd, symtab.offset, symtab.size);
  const strs = read(fd, strtab.offset, strtab.size);
  const functions = new Map<string, ElfFunction[]>();
  let bannerSym: { value: bigint; size: number; shndx: number } | null = null;
  for (let at = 0; at + 24 <= syms.length; at += 24) {
    const type = syms[at + 4]! & 0xf;
    const shndx = syms.readUInt16LE(at + 6);
    if (type !== STT_FUNC && type !== STT_OBJECT) continue;
    const name = cstring(strs, syms.readUInt32LE(at));
    const value = syms.readBigUInt64LE(at + 8);
    const size = Number(syms.readBigUInt64LE(at + 16));
    if (type === STT_OBJECT) {
      if (name === 'linux_banner') bannerSym = { value, size, shndx };
      continue;
    }
    if (shndx === 0 || shndx >= sections.length) continue;
    const fn: ElfFunction = { name, value, size, section: sections[shndx]!.name };
    const list = functions.get(name);
    if (list) list.push(fn);
    else functions.set(name, [fn]);
  }
  const hasDebugInfo = (byName('.debug_info')?.size ?? 0) > 0 && (byName('.debug_line')?.size ?? 0) > 0;
  let banner: string | null = null;
  const bannerSec = bannerSym ? sections[bannerSym.shndx] : undefined;
  if (bannerSym && bannerSec && bannerSec.type !== SHT_NOBITS) {
    const at = bannerSec.offset + Number(bannerSym.value - bannerSec.addr);
    banner = cstring(read(fd, at, Math.min(bannerSym.size || 512, 512)), 0).trim();
  }
  let vermagic: string | null = null;
  let moduleName: string | null = null;
  const modinfo = byName('.modinfo');
  if (modinfo) {
    for (const kv of read(fd, modinfo.offset, modinfo.size).toString('latin1').split('\0')) {
      if (kv.startsWith('vermagic=')) vermagic = kv.slice(9).trim();
      if (kv.startsWith('name=')) moduleName = kv.slice(5);
    }
  }
  return { file, relocatable, hasDebugInfo, functions, banner, vermagic, moduleName };
}

/** `6.1.0-56-amd64` from a banner (`Linux version 6.1.0-56-amd64 (...)`) or a vermagic. */
export function releaseOf(text: string | null): string | null {
  if (text === null) return null;
  const m = /^(?:Linux version )?(\S+)/.exec(text);
  return m ? m[1]! : null;
}
