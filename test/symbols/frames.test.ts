// Frame texts as the bundled captures hold them, kernel source paths, and the coded errors of
// --vmlinux/--modules that need no debug package (a missing file, a file that is not ELF, an ELF
// without a symbol table, made here with binutils' objcopy).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFrame } from '../../src/symbols/frame-text.js';
import { kernelSourcePath } from '../../src/symbols/source-path.js';
import { run } from '../report/run-commands.js';

const framesOf = (capture: string): string[] => readFileSync(capture, 'utf8').split('\n').filter((l) => l.startsWith('{"t":"stack"'))
  .flatMap((l) => (JSON.parse(l) as { frames: string[] }).frames);

describe('parseFrame on the frames of the bundled captures', () => {
  it('ftrace with sym-offset: hex offset, function size, module name', () => {
    const frames = framesOf('replays/lab-e1000e-on/kernel.capture.ndjson');
    const probe = frames.find((f) => f.startsWith('e1000_probe+'))!;
    expect(parseFrame(probe)).toEqual({ fn: 'e1000_probe', offset: parseInt(/\+0x([0-9a-f]+)\//.exec(probe)![1]!, 16), module: 'e1000e' });
    expect(parseFrame('pci_setup_device.cold+0x88/0x5cd')).toEqual({ fn: 'pci_setup_device.cold', offset: 0x88, module: null });
    expect(frames.every((f) => parseFrame(f) !== null)).toBe(true);
  });

  it('ftrace without offsets (the kexec capture): the name alone', () => {
    const frames = framesOf('replays/lab-kexec/kernel.capture.ndjson');
    expect(frames).toContain('pci_read_bases');
    expect(frames.map(parseFrame).every((f) => f !== null && f.offset === null && f.module === null)).toBe(true);
  });

  it('bpftrace: decimal offsets', () => {
    const frames = framesOf('replays/qemu-6.1-bpftrace/probe-phases.capture.ndjson');
    expect(frames).toContain('pci_read_config+438');
    expect(parseFrame('pci_read_config+438')).toEqual({ fn: 'pci_read_config', offset: 438, module: null });
  });

  it('a bare address is not a function frame', () => {
    expect(parseFrame('0xffffffffc0000083')).toBeNull();
  });
});

describe('kernelSourcePath', () => {
  it('cuts the build directory, whatever it is', () => {
    expect(kernelSourcePath('debian/build/build_amd64_none_amd64/drivers/pci/probe.c')).toBe('drivers/pci/probe.c');
    expect(kernelSourcePath('/home/me/src/linux/include/linux/pci.h')).toBe('include/linux/pci.h');
    expect(kernelSourcePath('/usr/src/debug/kernel-6.1/linux-6.1/lib/string.c')).toBe('lib/string.c');
    expect(kernelSourcePath('/lib/modules/6.1.0-56-amd64/build/drivers/pci/probe.c')).toBe('drivers/pci/probe.c');
    expect(kernelSourcePath('probe.c')).toBe('probe.c');
  });
});

describe('coded errors of --vmlinux', () => {
  const capture = 'replays/lab-kexec/kernel.capture.ndjson';
  const report = (...args: string[]) => run('report', capture, '--policy', 'luo-default', '--preserve', '0000:03:00.0', ...args);

  it('SYMBOLS_FILE_UNREADABLE: a missing file', async () => {
    const r = await report('--vmlinux', 'no/such/vmlinux');
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('no/such/vmlinux: SYMBOLS_FILE_UNREADABLE');
  });

  it('SYMBOLS_NOT_ELF: a file that is not ELF', async () => {
    const r = await report('--vmlinux', 'README.md');
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('README.md: SYMBOLS_NOT_ELF');
  });

  it('SYMBOLS_NOT_ELF: an ELF file cut before its section headers (was an internal error)', async () => {
    const cut = join(mkdtempSync(join(tmpdir(), 'cfgscope-sym-')), 'cut');
    writeFileSync(cut, readFileSync(process.execPath).subarray(0, 4096));
    const r = await report('--vmlinux', cut);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`${cut}: SYMBOLS_NOT_ELF: the section headers are past the end of the file`);
  });

  it('SYMBOLS_NO_SYMTAB: a stripped ELF', async () => {
    const stripped = join(mkdtempSync(join(tmpdir(), 'cfgscope-sym-')), 'stripped');
    execFileSync('objcopy', ['--strip-all', process.execPath, stripped]);
    const r = await report('--vmlinux', stripped);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('SYMBOLS_NO_SYMTAB');
  });

  it('SYMBOLS_NOTHING: --modules without any .ko', async () => {
    const r = await report('--modules', mkdtempSync(join(tmpdir(), 'cfgscope-nomod-')));
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('SYMBOLS_NOTHING');
  });
});
