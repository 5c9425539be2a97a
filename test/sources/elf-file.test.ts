// The one ELF reader (src/sources/elf-file.ts) of boot-args' .BTF and the symbolizer's .symtab, on
// real ELF files: this machine's /usr/bin/true (an executable), an object file binutils' `as`
// makes (ET_REL, as a module .ko is), and the lab's vmlinux and modules when the lab cache holds
// them; binutils' readelf is the oracle. Broken files are real files cut or altered here.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readElfSections, type ElfErrors, type ElfSection } from '../../src/sources/elf-file.js';
import { withRegularFile } from '../../src/sources/small-file.js';

const ERRORS: ElfErrors = { notElf: 'TEST_NOT_ELF', unsupported: 'TEST_UNSUPPORTED', wanted: 'a test file' };
const TRUE = '/usr/bin/true';
const LAB_VMLINUX = new URL('../lab/.cache/vmlinux', import.meta.url).pathname;
const LAB_MODULES = new URL('../lab/.cache/debug/modules/', import.meta.url).pathname;
const NO_LAB = 'the lab cache (test/lab/.cache, made by `npm run lab`) is not on this machine';
const dir = mkdtempSync(join(tmpdir(), 'cfgscope-elf-'));

const sectionsOf = (file: string): ElfSection[] => withRegularFile(file, (f) => readElfSections(f, file, ERRORS).sections);
const relocatable = (file: string): boolean => withRegularFile(file, (f) => readElfSections(f, file, ERRORS).relocatable);

/** readelf -S -W: [Nr] Name Type Address Off Size ES Flg Lk Inf Al (Name empty for section 0). */
function readelfSections(file: string): { name: string; addr: bigint; offset: number; size: number; link: number; type: string }[] {
  const out = execFileSync('readelf', ['-S', '-W', file], { encoding: 'utf8' });
  return out.split('\n').flatMap((l) => {
    const m = /^\s*\[\s*(\d+)\]\s(.*)$/.exec(l);
    if (!m) return [];
    const t = m[2]!.trim().split(/\s+/);
    if (m[1] === '0') t.unshift('');
    return [{ name: t[0]!, type: t[1]!, addr: BigInt(`0x${t[2]}`), offset: parseInt(t[3]!, 16), size: parseInt(t[4]!, 16), link: Number(t.at(-3)) }];
  });
}

function agreesWithReadelf(file: string): void {
  const ours = sectionsOf(file);
  const theirs = readelfSections(file);
  expect(theirs.length).toBeGreaterThan(5);
  expect(ours.map(({ name, addr, offset, size, link }) => ({ name, addr, offset, size, link })))
    .toEqual(theirs.map(({ name, addr, offset, size, link }) => ({ name, addr, offset, size, link })));
  expect(ours.filter((s) => s.type === 2).map((s) => s.name)).toEqual(theirs.filter((s) => s.type === 'SYMTAB').map((s) => s.name));
  expect(ours.filter((s) => s.type === 8).map((s) => s.name)).toEqual(theirs.filter((s) => s.type === 'NOBITS').map((s) => s.name));
}

describe('readElfSections', () => {
  it('agrees with readelf on an executable (/usr/bin/true)', () => {
    agreesWithReadelf(TRUE);
    expect(relocatable(TRUE)).toBe(false);
  });

  it('tells a relocatable object (an .o from binutils\' as, ET_REL like a .ko)', () => {
    const src = join(dir, 'one.s');
    writeFileSync(src, '.text\n.globl one\n.type one, @function\none:\n  ret\n.size one, .-one\n');
    execFileSync('as', ['-o', join(dir, 'one.o'), src]);
    agreesWithReadelf(join(dir, 'one.o'));
    expect(relocatable(join(dir, 'one.o'))).toBe(true);
  });

  it('agrees with readelf on the lab\'s vmlinux and a module', (ctx) => {
    if (!existsSync(LAB_VMLINUX) || !existsSync(LAB_MODULES)) ctx.skip(NO_LAB);
    agreesWithReadelf(LAB_VMLINUX);
    expect(sectionsOf(LAB_VMLINUX).map((s) => s.name)).toContain('.BTF');
    const ko = join(LAB_MODULES, readdirSync(LAB_MODULES).find((f) => f.endsWith('.ko'))!);
    agreesWithReadelf(ko);
    expect(relocatable(ko)).toBe(true);
  });

  it('refuses a file that is not ELF with the reader\'s code', () => {
    expect(() => sectionsOf(new URL('../../README.md', import.meta.url).pathname)).toThrow(expect.objectContaining({ code: 'TEST_NOT_ELF' }));
  });

  it('refuses 32-bit or big-endian ELF as unsupported', () => {
    for (const [at, value] of [[4, 1], [5, 2]] as const) {
      const file = join(dir, `true-${at}`);
      const bytes = readFileSync(TRUE);
      bytes[at] = value;
      writeFileSync(file, bytes);
      expect(() => sectionsOf(file)).toThrow(expect.objectContaining({ code: 'TEST_UNSUPPORTED', message: expect.stringContaining('64-bit little-endian') }));
    }
  });

  it('refuses an ELF file cut before its section headers, and one whose header size is not Elf64_Shdr\'s', () => {
    const cut = join(dir, 'true-cut');
    writeFileSync(cut, readFileSync(TRUE).subarray(0, 4096));
    expect(() => sectionsOf(cut)).toThrow(expect.objectContaining({ code: 'TEST_UNSUPPORTED', message: expect.stringContaining('past the end of the file') }));
    const odd = join(dir, 'true-shentsize');
    copyFileSync(TRUE, odd);
    const bytes = readFileSync(odd);
    bytes.writeUInt16LE(40, 0x3a);
    writeFileSync(odd, bytes);
    expect(() => sectionsOf(odd)).toThrow(expect.objectContaining({ code: 'TEST_UNSUPPORTED', message: expect.stringContaining('section headers of 40 bytes') }));
  });
});
