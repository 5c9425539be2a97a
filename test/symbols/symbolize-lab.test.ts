// Symbolization on the lab's real captures with Debian's own debug vmlinux and modules
// (linux-image-6.1.0-56-amd64-dbg, extracted by test/lab/setup-debug.sh): every source line the
// report prints is checked against the test's own objdump + addr2line oracle, and the core PCI
// call sites land in drivers/pci/probe.c. Skipped (reason printed, counted as skipped) when the
// debug info is not there.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Addr2lineOracle } from './addr2line-oracle.js';
import { haveDebugInfo, MODULES, noteSkip, VMLINUX } from './debug-cache.js';
import { run } from '../report/run-commands.js';

noteSkip('test/symbols/symbolize-lab.test.ts');

/** `- called from \`pci_read_bases\`: drivers/pci/probe.c:320` -> frame and place. */
function sourceLines(md: string): { frame: string; at: string }[] {
  const blocks = [...md.matchAll(/^Source:\n((?:- .*\n)+)/gm)].map((b) => b[1]!);
  return blocks.flatMap((b) => [...b.matchAll(/^- (?:called from )?`([^`]+)`: (.+)$/gm)].map((m) => ({ frame: m[1]!, at: m[2]! })));
}
const placeOf = (at: string): string => at.split(', in inlined ')[0]!.replace(/ \(function start\)$/, '');

// Each case starts addr2line on a 600 MB vmlinux (a second or more on a loaded machine): a generous limit.
const SLOW = { timeout: 60_000 };

describe.skipIf(!haveDebugInfo)('report --vmlinux --modules on the lab captures', SLOW, async () => {
  const oracle = haveDebugInfo ? new Addr2lineOracle(VMLINUX, MODULES) : null;
  const skip = { code: -1, stdout: '', stderr: '' };
  const kexec = !haveDebugInfo ? skip : await run('report', 'replays/lab-kexec/kernel.capture.ndjson', '--policy', 'luo-default', '--preserve', '0000:03:00.0', '--vmlinux', VMLINUX, '--modules', MODULES);
  const e1000e = !haveDebugInfo ? skip : await run('report', 'replays/lab-e1000e-on/kernel.capture.ndjson', '--policy', 'luo-default', '--preserve', '0000:01:00.0', '--vmlinux', VMLINUX, '--modules', MODULES);

  it('kexec capture (frames without offsets): every call site and caller is at its function\'s first line, as addr2line says', () => {
    expect(kexec.code).toBe(0);
    const lines = sourceLines(kexec.stdout);
    expect(lines.length).toBeGreaterThan(40);
    const want = oracle!.lines(lines.map((l) => l.frame));
    for (const l of lines) {
      expect(l.at, l.frame).toMatch(/ \(function start\)$/);
      expect(placeOf(l.at), l.frame).toBe(want.get(l.frame));
    }
  });

  it('kexec capture: the core PCI call sites are in drivers/pci/probe.c', () => {
    const lines = sourceLines(kexec.stdout);
    const at = (fn: string): string[] => [...new Set(lines.filter((l) => l.frame === fn).map((l) => placeOf(l.at)))];
    for (const fn of ['__pci_read_base', 'pci_read_bases', 'pci_setup_device.cold']) {
      expect(at(fn), fn).toHaveLength(1);
      expect(at(fn)[0], fn).toMatch(/^drivers\/pci\/probe\.c:\d+$/);
    }
    // The second kernel's MSI-X clear at boot: the call site the Live Update review asks about.
    expect(at('pci_msix_init')[0]).toMatch(/^drivers\/pci\/msi\/pcidev_msi\.c:\d+$/);
  });

  it('e1000e capture (frames with offsets): each line is addr2line\'s at offset - 1, module frames from the .ko', () => {
    expect(e1000e.code).toBe(0);
    const lines = sourceLines(e1000e.stdout);
    expect(lines.some((l) => l.frame.endsWith(' [e1000e]'))).toBe(true);
    const want = oracle!.lines(lines.map((l) => l.frame));
    for (const l of lines) {
      expect(l.at, l.frame).not.toMatch(/function start/);
      expect(placeOf(l.at), l.frame).toBe(want.get(l.frame));
    }
    const readBase = lines.filter((l) => l.frame.startsWith('__pci_read_base+'));
    expect(readBase.length).toBeGreaterThan(1);
    expect(readBase.every((l) => l.at.startsWith('drivers/pci/probe.c:'))).toBe(true);
  });

  it('inlined frames are shown as such', () => {
    const inl = sourceLines(e1000e.stdout).filter((l) => l.at.includes(', in inlined '));
    expect(inl.length).toBeGreaterThan(0);
    expect(inl.map((l) => l.at)).toContainEqual(expect.stringMatching(/^drivers\/pci\/pcie\/aer\.c:\d+, in inlined pcie_capability_clear_and_set_word include\/linux\/pci\.h:\d+/));
  });

  it('matches the golden files (kexec capture, virtio-net preserved; e1000e capture, e1000e preserved)', async () => {
    await expect(kexec.stdout).toMatchFileSnapshot('../golden/report-kexec-virtio.symbolized.md');
    await expect(e1000e.stdout).toMatchFileSnapshot('../golden/report-e1000e.symbolized.md');
  });

  it('e-mail format keeps 72 columns with source lines', async () => {
    const r = await run('report', 'replays/lab-e1000e-on/kernel.capture.ndjson', '--policy', 'luo-default', '--preserve', '0000:01:00.0', '--format', 'email', '--vmlinux', VMLINUX, '--modules', MODULES);
    expect(r.stdout).toContain('  Source:\n');
    expect(r.stdout.split('\n').every((l) => l.length <= 72)).toBe(true);
  });
});

describe.skipIf(!haveDebugInfo)('check and diff --vmlinux --modules', SLOW, () => {
  it('check --json: findings carry the call site\'s source line', async () => {
    // check writes straight to file descriptor 1: run the real binary.
    const stdout = spawnSync('node', ['bin/cfgscope.js', 'check', 'replays/lab-e1000e-on/kernel.capture.ndjson', '--policy', 'luo-default', '--preserve', '0000:01:00.0',
      '--json', '--vmlinux', VMLINUX, '--modules', MODULES], { encoding: 'utf8' }).stdout;
    const findings = stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; callSite?: string; source?: string }).filter((f) => f.type === 'finding');
    expect(findings.length).toBeGreaterThan(0);
    const oracle = new Addr2lineOracle(VMLINUX, MODULES);
    const withSite = findings.filter((x) => x.callSite);
    const want = oracle.lines(withSite.map((f) => f.callSite!));
    for (const f of withSite) expect(placeOf(f.source!), f.callSite).toBe(want.get(f.callSite!));
  });

  it('diff: each appeared call site says where it is', async () => {
    const r = await run('diff', 'replays/lab-e1000e-off/kernel.capture.ndjson', 'replays/lab-e1000e-on/kernel.capture.ndjson', '--vmlinux', VMLINUX, '--modules', MODULES);
    expect(r.code).toBe(1);
    const sites = r.stdout.split('\n').filter((l) => l.startsWith('    + call site '));
    expect(sites.length).toBe(16);
    expect(sites.every((l) => / at [\w/.-]+\.c:\d+/.test(l))).toBe(true);
    expect(r.stdout).toMatch(/\+ call site __pci_set_master \(1 write, 1 read\) at drivers\/pci\/pci\.c:\d+/);
  });
});

describe.skipIf(!haveDebugInfo)('coded errors and warnings with the real debug files', SLOW, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfgscope-symerr-'));
  // EDITED: the kexec capture with its header's kernel release changed, nothing else: the capture
  // of "another kernel" that the debug files must be refused for.
  const other = join(dir, 'other-release.EDITED.capture.ndjson');
  const text = readFileSync('replays/lab-kexec/kernel.capture.ndjson', 'utf8');
  writeFileSync(other, text.replace('"release":"6.1.0-56-amd64"', '"release":"6.1.0-99-amd64"'));
  const report = (capture: string, ...args: string[]) => run('report', capture, '--policy', 'luo-default', '--preserve', '0000:03:00.0', ...args);

  it('SYMBOLS_VMLINUX_MISMATCH: vmlinux of another release than the capture\'s', async () => {
    const r = await report(other, '--vmlinux', VMLINUX);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('SYMBOLS_VMLINUX_MISMATCH: vmlinux is 6.1.0-56-amd64, the capture');
    expect(r.stderr).toContain('was made on 6.1.0-99-amd64');
  });

  it('SYMBOLS_MODULE_MISMATCH: modules of another release (diff checks both captures)', async () => {
    const r = await run('diff', 'replays/lab-kexec/kernel.capture.ndjson', other, '--modules', MODULES);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('SYMBOLS_MODULE_MISMATCH: module built for 6.1.0-56-amd64');
  });

  it('SYMBOLS_NO_DEBUG_INFO: a vmlinux without DWARF', async () => {
    const noDebug = join(dir, 'nodebug.ko');
    execFileSync('objcopy', ['--strip-debug', `${MODULES}/nvme.ko`, noDebug]);
    const r = await report('replays/lab-kexec/kernel.capture.ndjson', '--vmlinux', noDebug);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('SYMBOLS_NO_DEBUG_INFO');
  });

  it('a module without debug info: its frames stay function+offset, counted on stderr', async () => {
    const mods = join(dir, 'modules');
    mkdirSync(mods);
    execFileSync('objcopy', ['--strip-debug', `${MODULES}/e1000e.ko`, join(mods, 'e1000e.ko')]);
    const r = await run('report', 'replays/lab-e1000e-on/kernel.capture.ndjson', '--policy', 'luo-default', '--preserve', '0000:01:00.0', '--vmlinux', VMLINUX, '--modules', mods);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${join(mods, 'e1000e.ko')} has no debug info: its frames stay function+offset`);
    expect(r.stderr).toMatch(/frames left as function\+offset[^]*\d+ no-debug-info: .*\[e1000e\]/);
    expect(r.stdout).toMatch(/^- called from `e1000_probe\+0x[0-9a-f]+\/0x[0-9a-f]+ \[e1000e\]`: \(no source line\)$/m);
  });

  it('bpftrace\'s misnamed module frames (nvme_core_init+14969, past that function\'s end) stay as printed', async () => {
    const r = await run('report', 'replays/qemu-6.1-bpftrace/probe-phases.capture.ndjson', '--policy', 'luo-default', '--preserve', '0000:02:00.0', '--vmlinux', VMLINUX, '--modules', MODULES);
    expect(r.stderr).toMatch(/\d+ offset-outside: nvme_core_init\+\d+/);
    expect(r.stdout).toContain('- called from `pci_alloc_irq_vectors_affinity+169`: drivers/pci/msi/msi.c:');
  });
});
