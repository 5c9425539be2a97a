// Function symbols of a 64-bit little-endian ELF file (a vmlinux or a module .ko) read with
// positional reads: a debug vmlinux is over 600 MB, only its section headers (elf-file.ts),
// .symtab/.strtab and a few bytes of data are needed. Also says whether DWARF is there
// (.debug_info + .debug_line), the kernel's linux_banner (vmlinux) and a module's vermagic
// (.modinfo).

import { closeSync, openSync } from 'node:fs';
import { CfgscopeError } from '../model/errors.js';
import { readElfSections, sectionBytes, SHT_NOBITS, SHT_SYMTAB, type ElfBytes, type ElfErrors, type ElfSection } from '../sources/elf-file.js';
import { readAt } from '../sources/small-file.js';

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

const STT_FUNC = 2;
const STT_OBJECT = 1;
const ERRORS: ElfErrors = { notElf: 'SYMBOLS_NOT_ELF', unsupported: 'SYMBOLS_NOT_ELF', wanted: 'a vmlinux or a .ko with debug info' };
/** A debug vmlinux's .symtab and .strtab are a few MB each; a forged size is refused, not allocated. */
const MAX_TABLE_BYTES = 256 << 20;
/** linux_banner is one line; .modinfo a few hundred bytes. */
const MAX_SMALL_SECTION_BYTES = 1 << 20;

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
  const src: ElfBytes = { read: (offset, length) => readAt(fd, offset, length) };
  const { relocatable, sections } = readElfSections(src, file, ERRORS);
  const byName = (n: string): ElfSection | undefined => sections.find((s) => s.name === n);
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) throw new CfgscopeError('SYMBOLS_NO_SYMTAB', 'no symbol table (.symtab): a stripped file cannot map function+offset to an address', { file });
  const strtab = sections[symtab.link];
  if (!strtab) throw new CfgscopeError('SYMBOLS_NOT_ELF', `the symbol table links to section ${symtab.link} of ${sections.length}`, { file });
  const syms = sectionBytes(src, symtab, file, ERRORS, MAX_TABLE_BYTES);
  const strs = sectionBytes(src, strtab, file, ERRORS, MAX_TABLE_BYTES);
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
    banner = cstring(readAt(fd, at, Math.min(bannerSym.size || 512, 512)), 0).trim();
  }
  let vermagic: string | null = null;
  let moduleName: string | null = null;
  const modinfo = byName('.modinfo');
  if (modinfo) {
    for (const kv of sectionBytes(src, modinfo, file, ERRORS, MAX_SMALL_SECTION_BYTES).toString('latin1').split('\0')) {
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
