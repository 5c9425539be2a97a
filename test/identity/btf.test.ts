// Struct offsets from BTF, checked against bpftool (Debian package bpftool) as the oracle, on the
// BTF of the kernel this test runs on; and the generated boot fragment against the one the shared
// real run booted with.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBtf } from '../../src/identity/btf.js';
import { kprobeEvents, structOffsets } from '../../src/sources/boot-args.js';
import { readKernelBtf } from '../../src/sources/kernel-btf-file.js';

const HOST_BTF = '/sys/kernel/btf/vmlinux';

/** bpftool's view: `'member' type_id=N bits_offset=B` lines under `STRUCT 'name'`. */
function bpftoolOffset(dump: string, struct: string, member: string): number {
  const start = dump.indexOf(`STRUCT '${struct}' size=`);
  const block = dump.slice(start, dump.indexOf('\n[', start));
  const m = new RegExp(`'${member}' type_id=\\d+ bits_offset=(\\d+)`).exec(block);
  if (!m) throw new Error(`bpftool shows no ${struct}.${member}`);
  return Number(m[1]) / 8;
}

describe('BTF struct offsets', () => {
  it('needs the running kernel\'s BTF and bpftool (apt-get install bpftool)', () => {
    expect(existsSync(HOST_BTF)).toBe(true);
    expect(() => execFileSync('bpftool', ['version'])).not.toThrow();
  });

  it('agree with bpftool on this machine\'s kernel', () => {
    const btf = readBtf(readFileSync(HOST_BTF), HOST_BTF);
    const dump = execFileSync('bpftool', ['btf', 'dump', 'file', HOST_BTF, 'format', 'raw'], { encoding: 'utf8', maxBuffer: 512 << 20 });
    for (const [s, m] of [['pci_bus', 'number'], ['pci_bus', 'sysdata'], ['pci_dev', 'bus'], ['pci_dev', 'devfn'], ['pci_sysdata', 'domain']] as const) {
      expect({ s, m, off: btf.offset(s, m) }).toEqual({ s, m, off: bpftoolOffset(dump, s, m) });
    }
  });

  it('are read from the .BTF section of an ELF file too (a vmlinux)', () => {
    const elf = join(mkdtempSync(join(tmpdir(), 'cfgscope-btf-')), 'vmlinux-like');
    // A real ELF executable carrying this kernel's real BTF as its .BTF section, as a vmlinux does.
    execFileSync('objcopy', ['--add-section', `.BTF=${HOST_BTF}`, process.execPath, elf]);
    const fromElf = structOffsets(readBtf(readKernelBtf(elf), elf), elf);
    expect(fromElf).toEqual(structOffsets(readBtf(readFileSync(HOST_BTF), HOST_BTF), HOST_BTF));
  });

  it('refuses a file that is neither, with a code', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cfgscope-btf-')), 'not-a-kernel');
    writeFileSync(file, 'hello world, this is not a kernel at all, not even close to one......');
    expect(() => readKernelBtf(file)).toThrow(expect.objectContaining({ code: 'ELF_NOT_ELF' }));
    expect(() => readBtf(readFileSync(file), file)).toThrow(expect.objectContaining({ code: 'BTF_BAD_MAGIC' }));
  });
});

describe('boot-args fragment', () => {
  it('defines the same kprobe events the shared real run booted Debian 6.1 with (same offsets: 216, 200, 16, 56)', () => {
    const serial = readFileSync(new URL('../fixtures/qemu-6.1-q35-basic/serial.log', import.meta.url), 'utf8');
    const cmdline = /kprobe_event=(\S+)/.exec(serial.split('\n')[3]!)![1]!;
    const used = cmdline.split(';');
    const ours = kprobeEvents({ busNumber: 216, busSysdata: 200, devBus: 16, devDevfn: 56, sysdataDomain: 0 });
    for (const def of used) expect(ours).toContain(def);
  });
});
