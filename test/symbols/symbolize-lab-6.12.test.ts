// Symbolization of the 6.12 probe capture (replays/lab-6.12-probe, bpftrace's `func+decimal`
// frames) with Debian's debug info of the same build (linux-image-6.12.118+deb12-amd64-dbg, extracted
// by `LAB_KERNEL=6.12 bash test/lab/setup-debug.sh`): every source line against the test's own
// objdump + addr2line oracle. 6.1's debug info is refused for it. Skipped, reason printed, without
// the 6.12 debug info.
import { describe, expect, it } from 'vitest';
import { Addr2lineOracle } from './addr2line-oracle.js';
import { haveDebugInfo, haveDebugInfo612, MODULES_612, noteSkip612, VMLINUX, VMLINUX_612 } from './debug-cache.js';
import { run } from '../report/run-commands.js';

noteSkip612('test/symbols/symbolize-lab-6.12.test.ts');

const CAPTURE = 'replays/lab-6.12-probe/probe-phases.capture.ndjson';
/** `- called from \`nvme_probe+952\`: drivers/nvme/host/pci.c:3272` -> frame and place. */
function sourceLines(md: string): { frame: string; at: string }[] {
  const blocks = [...md.matchAll(/^Source:\n((?:- .*\n)+)/gm)].map((b) => b[1]!);
  return blocks.flatMap((b) => [...b.matchAll(/^- (?:called from )?`([^`]+)`: (.+)$/gm)].map((m) => ({ frame: m[1]!, at: m[2]! })));
}
const placeOf = (at: string): string => at.split(', in inlined ')[0]!;

describe.skipIf(!haveDebugInfo612)('report --vmlinux --modules on the 6.12 probe capture', { timeout: 60_000 }, async () => {
  const r = haveDebugInfo612
    ? await run('report', CAPTURE, '--policy', 'luo-default', '--preserve', '0000:02:00.0', '--vmlinux', VMLINUX_612, '--modules', MODULES_612)
    : { code: -1, stdout: '', stderr: '' };

  it('every frame gets addr2line\'s line at offset - 1, nvme\'s from its .ko', () => {
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/frames left as function\+offset/);
    const lines = sourceLines(r.stdout);
    expect(lines.length).toBeGreaterThan(20);
    const want = new Addr2lineOracle(VMLINUX_612, MODULES_612).lines(lines.map((l) => l.frame));
    for (const l of lines) expect(placeOf(l.at), l.frame).toBe(want.get(l.frame));
    const at = (fn: string): string[] => [...new Set(lines.filter((l) => l.frame.startsWith(`${fn}+`)).map((l) => placeOf(l.at)))];
    expect(at('nvme_probe').every((p) => p.startsWith('drivers/nvme/host/pci.c:'))).toBe(true);
    expect(at('__pci_set_master')[0]).toMatch(/^drivers\/pci\/pci\.c:\d+$/);
    // 6.12's name for the MSI-X disable path (6.1: pci_disable_msix.part.0).
    expect(at('pci_msix_shutdown')[0]).toMatch(/^drivers\/pci\/msi\/msi\.c:\d+$/);
  });
});

describe.skipIf(!haveDebugInfo612 || !haveDebugInfo)('the debug info must be 6.12\'s', { timeout: 60_000 }, () => {
  it('SYMBOLS_VMLINUX_MISMATCH: 6.1\'s vmlinux for the 6.12 capture', async () => {
    const r = await run('report', CAPTURE, '--policy', 'luo-default', '--preserve', '0000:02:00.0', '--vmlinux', VMLINUX);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('SYMBOLS_VMLINUX_MISMATCH: vmlinux is 6.1.0-56-amd64, the capture');
    expect(r.stderr).toContain('was made on 6.12.118+deb12-amd64');
  });
});
