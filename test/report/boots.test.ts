// Boots as first-class on the real kexec capture (replays/lab-kexec: kernel 1, the handover seen
// by QEMU only, kernel 2; test/fixtures/lab-kexec/README.md): phases of the two kernels kept
// apart, --boot selecting one, the handover under its own heading, and the per-boot summary.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { CaptureRecord } from '../../src/model/records.js';
import { PackedEncoder } from '../../src/sinks/packed-encoder.js';
import { SyncWriter } from '../../src/sinks/sync-writer.js';

const root = new URL('../../', import.meta.url).pathname;
/** The built CLI as a process: check and replay write to file descriptor 1 directly. */
async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = spawnSync(process.execPath, [`${root}bin/cfgscope.js`, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const KEXEC = 'replays/lab-kexec/kernel.capture.ndjson';
interface JsonFinding { type: string; phase: string; boot: { kernel: number; handover?: true }; line: number | null; callSite: string | null; deviceOnly?: true; register: string; fields: string[] }
const jsonLines = (out: string): JsonFinding[] => out.trim().split('\n').map((l) => JSON.parse(l) as JsonFinding);

describe('kernel 2\'s phases are not kernel 1\'s (lab-kexec)', async () => {
  const replay = jsonLines((await runCli('replay', KEXEC, '--json')).stdout) as unknown as { type: string; label?: string }[];
  const labels = replay.filter((p) => p.type === 'phase').map((p) => p.label!);

  it('each kernel has its own `boot` phase, and the handover is a phase of its own between them', () => {
    expect(labels.filter((l) => l === 'boot')).toHaveLength(1);
    const k2 = labels.indexOf('kernel 2 (after kexec): boot');
    const handover = labels.indexOf('handover, device side only');
    expect(handover).toBeGreaterThan(labels.indexOf('PHASE[4] dump (stage 1)'));
    expect(k2).toBe(handover + 1);
    expect(labels.slice(k2).every((l) => l.startsWith('kernel 2 (after kexec): '))).toBe(true);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('a write both kernels made is cited at each kernel\'s own line', async () => {
    const all = jsonLines((await runCli('check', KEXEC, '--json', '--policy', 'luo-default', '--preserve', '0000:03:00.0')).stdout).filter((f) => f.type === 'finding');
    const sizing = all.filter((f) => f.register === 'BASE_ADDRESS_1' && f.callSite?.startsWith('__pci_read_base'));
    const byKernel = new Map(sizing.map((f) => [f.boot.kernel, f.line]));
    expect([...byKernel.keys()].sort()).toEqual([1, 2]);
    // Kernel 2's trace starts at serial.log line 20383 (its `# tracer:` header).
    expect(byKernel.get(1)!).toBeLessThan(20383);
    expect(byKernel.get(2)!).toBeGreaterThan(20383);
  });
});

describe('check --boot', () => {
  it('--boot 2 lists kernel 2\'s findings only, every one in a kernel 2 phase', async () => {
    const all = jsonLines((await runCli('check', KEXEC, '--json', '--policy', 'luo-default', '--preserve', '0000:03:00.0')).stdout).filter((f) => f.type === 'finding');
    const r = await runCli('check', KEXEC, '--json', '--policy', 'luo-default', '--preserve', '0000:03:00.0', '--boot', '2');
    const lines = jsonLines(r.stdout);
    const k2 = lines.filter((f) => f.type === 'finding');
    expect(k2.length).toBeGreaterThan(0);
    expect(k2.every((f) => f.boot.kernel === 2 && !f.boot.handover && f.phase.startsWith('kernel 2 (after kexec): '))).toBe(true);
    expect(k2.length).toBe(all.filter((f) => f.boot.kernel === 2 && !f.boot.handover).length);
    const totals = lines.find((l) => l.type === 'check-totals') as unknown as { violations: number; boot: unknown };
    expect(totals.boot).toEqual({ kernel: 2 });
    expect(totals.violations).toBe(k2.filter((f) => (f as unknown as { verdict: string }).verdict === 'violation').length);
    expect(r.code).toBe(1);
  });

  it('--boot handover: the old kernel\'s shutdown, device side only, Bus Master cleared on the preserved virtio-net', async () => {
    const r = await runCli('check', KEXEC, '--policy', 'luo-default', '--preserve', '0000:03:00.0', '--boot', 'handover');
    expect(r.stdout).toMatch(/0000:03:00\.0[^\n]*\[preserved\]\n  at \(no kernel stack: seen by the device only\)\n    VIOLATION error    bus-master: COMMAND MASTER 1->0  0x0507 -> 0x0503\n      \(handover, device side only\)/);
    expect(r.stdout).not.toMatch(/kernel 2 \(after kexec\)|PHASE\[/);
  });

  it('a bad value is a usage error (64, BOOT_BAD_VALUE); a boot the capture lacks is BOOT_NOT_IN_CAPTURE (65), naming the boots it has', async () => {
    for (const bad of ['0', 'two', 'handover:x', '-1']) {
      const r = await runCli('check', KEXEC, '--policy', 'luo-default', '--boot', bad);
      expect([r.code, r.stderr]).toEqual([64, expect.stringContaining('BOOT_BAD_VALUE')]);
    }
    const r = await runCli('replay', KEXEC, '--boot', '3');
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('BOOT_NOT_IN_CAPTURE: --boot: the capture has no kernel 3 (after kexec); it holds kernel 1; handover, device side only; kernel 2 (after kexec)');
    const one = await runCli('check', 'replays/lab-resets/kernel.capture.ndjson', '--policy', 'luo-default', '--boot', 'handover');
    expect([one.code, one.stderr]).toEqual([65, expect.stringContaining('the capture has no the handover; it holds kernel 1')]);
  });
});

describe('blame across a kexec the capture does not see (the raw console log, no device side)', () => {
  it('does not pin kernel 1\'s shutdown Bus Master clear on kernel 2\'s do_pci_enable_device: it says the change may be the handover\'s', async () => {
    const r = await runCli('check', 'test/fixtures/lab-kexec/serial.log', '-d', 'test/fixtures/lab-kexec/qemu-trace.log', '--policy', 'luo-default', '--preserve', '0000:03:00.0', '--boot', '2');
    expect(r.stdout).toContain('  at do_pci_enable_device\n    VIOLATION error    bus-master: COMMAND MASTER 1->0  0x0507? -> 0x0103\n'
      + '      (kernel 2 (after kexec): PHASE[9] insmod virtio (stage 2), serial.log:37741)\n'
      + '      (the bits may have changed before this write, out of any trace\'s view: in the handover into kernel 2 (not in the capture) or an early write with no known target)\n');
    // With the device side (replays/lab-kexec: import --attribute), the handover is in the capture
    // and the clear is the shutdown's own finding; kernel 2's write changes no Bus Master bit.
    const attributed = jsonLines((await runCli('check', KEXEC, '--json', '--policy', 'luo-default', '--preserve', '0000:03:00.0')).stdout)
      .filter((f) => f.type === 'finding' && f.register === 'COMMAND' && f.fields.includes('MASTER 1->0'));
    expect(attributed.map((f) => [f.phase, f.deviceOnly ?? false, f.callSite])).toEqual([
      ['handover, device side only', true, null], ['handover, device side only', true, null],
    ]);
  });
});

describe('report on the kexec capture: summary per boot, the handover under its own heading', async () => {
  const md = (await runCli('report', KEXEC, '--policy', 'luo-default', '--preserve', '0000:03:00.0')).stdout;

  it('opens with the boots, before the details, their counts adding up to the report\'s', () => {
    const boots = md.indexOf('\n## Boots\n');
    expect(boots).toBeGreaterThan(0);
    expect(boots).toBeLessThan(md.indexOf('\n## Writes by call site\n'));
    const rows = md.slice(boots).split('\n## Protected devices')[0]!.split('\n').filter((l) => /^\| (kernel|handover)/.test(l));
    expect(rows.map((r) => r.split(' | ')[0]!.slice(2))).toEqual([
      'kernel 1, 6.1.0-56-amd64, clock global', 'kernel 1, 6.1.0-56-amd64, clock global',
      'handover, device side only', 'handover, device side only',
      'kernel 2 (after kexec), 6.1.0-56-amd64, clock global', 'kernel 2 (after kexec), 6.1.0-56-amd64, clock global',
    ]);
    const sum = (col: number): number => rows.reduce((n, r) => n + Number(r.replace(/ \|$/, '').split(' | ')[col]), 0);
    const head = /- (\d+) violations, (\d+) expected writes, (\d+) unexplained writes; (\d+) of/.exec(md)!;
    expect([sum(3), sum(4), sum(5)]).toEqual([Number(head[1]), Number(head[2]), Number(head[3])]);
    // Writes to protected devices over all boots = the report's protected writes.
    expect(sum(2)).toBe(Number(head[4]));
  });

  it('the handover\'s writes are under their own heading, blamed on no kernel call site', () => {
    const at = md.indexOf('### Handover, device side only: before kernel 2 (after kexec)');
    expect(at).toBeGreaterThan(0);
    const section = md.slice(at).split('\n### ')[0]!;
    expect(section).toContain('| **VIOLATION** | 0000:03:00.0 (preserved) | `COMMAND` | MASTER 1->0 | 0x0507 -> 0x0503 | 1 | handover, device side only | bus-master (error) |');
    // Nothing of the handover anywhere else, and nothing but the handover in it.
    expect(md.slice(0, at).split('\n').filter((l) => l.includes('| handover, device side only | bus-master'))).toEqual([]);
    expect(section.split('\n').filter((l) => l.startsWith('| **') || l.startsWith('| expected')).every((l) => l.includes('| handover, device side only |'))).toBe(true);
  });

  it('the e-mail names the boots as a kernel developer would, within 72 columns', async () => {
    const email = (await runCli('report', KEXEC, '--policy', 'luo-default', '--preserve', '0000:03:00.0', '--format', 'email')).stdout;
    expect(email).toContain('\nBoots:\n  kernel 1, 6.1.0-56-amd64, clock global:\n');
    expect(email).toContain('\n  handover, device side only:\n    0000:00:05.0: 8 writes, 1 violation, 0 expected, 3 unexplained\n    0000:03:00.0: 1 write, 1 violation, 0 expected, 0 unexplained\n');
    expect(email).toContain('kernel 2 (after kexec): boot');
    expect(email.split('\n').filter((l) => l.length > 72)).toEqual([]);
  });
});

describe('diff between the kernels of one capture', () => {
  it('--boot 1 --boot 2 compares kernel 1 with kernel 2; each kernel against itself is no difference', async () => {
    const same = await runCli('diff', KEXEC, KEXEC, '--boot', '2');
    expect(same.code).toBe(0);
    const r = await runCli('diff', KEXEC, KEXEC, '--boot', '1', '--boot', '2', '--ignore-phases');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`base: ${KEXEC}, kernel 1\n  new:  ${KEXEC}, kernel 2 (after kexec)`);
    // Kernel 2 finds the bridge windows kernel 1 programmed: IO_BASE is rewritten with what it holds.
    expect(r.stdout).toMatch(/0000:00:05\.0 \[1b36:000c\]\n  \*\n    ~ IO_BASE at pci_setup_bridge_io: 0xc0d0 -> 0x2020\n      now: 0x2020 -> 0x2020/);
  });
});

describe('captures written before boot records (a `trace #2` phase) read as boots', () => {
  it('give the same findings as the capture with boot records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfgscope-boots-'));
    const legacy = join(dir, 'legacy.capture.ndjson');
    // What import wrote before: no handover record, a `trace #2` phase instead of kernel 2's boot record.
    const text = readFileSync(KEXEC, 'utf8').split('\n').filter((l) => !l.startsWith('{"t":"boot","kernel":2,"segment":"handover"'))
      .map((l) => (l.startsWith('{"t":"boot","kernel":2,"segment":"kernel"') ? '{"t":"phase","ts":null,"label":"trace #2","index":null,"line":20383}' : l)).join('\n');
    writeFileSync(legacy, text);
    // The same records in the packed encoding, as a writer of that time wrote them (import would
    // upgrade them on reading): access frames, and the phase as a JSON frame.
    const packed = join(dir, 'legacy.cfgcap');
    const out = SyncWriter.toFile(packed);
    const encoder = new PackedEncoder(out);
    for (const l of text.split('\n')) if (l !== '') encoder.record(JSON.parse(l) as CaptureRecord);
    encoder.flush();
    out.close();
    const strip = (out: string): string[] => jsonLines(out).filter((f) => f.type === 'finding').map((f) => JSON.stringify(f));
    const now = await runCli('check', KEXEC, '--json', '--policy', 'luo-default', '--preserve', '0000:03:00.0');
    expect(jsonLines(now.stdout).filter((f) => f.type === 'finding').length).toBeGreaterThan(0);
    for (const file of [legacy, packed]) {
      const old = await runCli('check', file, '--json', '--policy', 'luo-default', '--preserve', '0000:03:00.0');
      expect(strip(old.stdout)).toEqual(strip(now.stdout));
      expect(old.stdout).toContain('"phase":"handover, device side only"');
    }
  });
});
