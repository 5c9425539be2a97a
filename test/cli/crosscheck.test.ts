// `cfgscope crosscheck` on the bundled real run, and on an edited copy of its device log.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli.js';

const root = new URL('../../', import.meta.url).pathname;
const KERNEL = join(root, 'replays/qemu-6.1-q35-basic/kernel.capture.ndjson');
const DEVICE = join(root, 'replays/qemu-6.1-q35-basic/device.capture.ndjson');
const DEVICE_LOG = join(root, 'test/fixtures/qemu-6.1-q35-basic/qemu-trace.log');

describe('cfgscope crosscheck on qemu-6.1-q35-basic', () => {
  it('explains every one-sided write and read, counted per reason, and exits 0', async () => {
    const r = await runCli('crosscheck', KERNEL, DEVICE);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('phase anchors: 7 on the kernel side, 7 found on the device side');
    expect(r.stdout).toContain('  PHASE[2] insmod nvme:\n      writes: 8, all matched\n      reads:  51, all matched\n');
    expect(r.stdout).toMatch(/device write +240 {2}firmware: /);
    expect(r.stdout).toMatch(/device write +8 {2}untraced-raw: /);
    expect(r.stdout).toMatch(/kernel write +2 {2}device-not-in-emulator: /);
    expect(r.stdout).toMatch(/device read +1294 {2}before-probes: /);
    expect(r.stdout).toContain('e.g. 0000:00:1f.1 @0xe0 <- 0x00000000 (pci_bus_write_config_dword) at test/fixtures/qemu-6.1-q35-basic/serial.log:');
    expect(r.stdout).not.toContain('not explained:');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('explained 2022 of 2022 one-sided accesses (280 writes, 1742 reads), 0 unexplained');
  });

  it('gives the same answer from the raw QEMU log as from its capture, as NDJSON with --json', async () => {
    const fromCapture = await runCli('crosscheck', KERNEL, DEVICE, '--json');
    const fromLog = await runCli('crosscheck', KERNEL, DEVICE_LOG, '--json');
    // The capture names its raw source relative to the repository; the log was given by absolute path.
    expect(fromLog.stdout.replaceAll(root, '')).toBe(fromCapture.stdout);
    const lines = fromLog.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const totals = lines.at(-1)!;
    expect(totals).toMatchObject({
      t: 'crosscheck-totals', writes: { kernel: 437, matched: 435, oneSided: 280 }, reads: { kernel: 694, matched: 659, oneSided: 1742 }, explained: 2022, unexplained: 0,
    });
    expect(lines.filter((l) => l.t === 'one-sided').length).toBe(2022);
    expect(lines).toContainEqual({ t: 'phase-counts', op: 'write', phase: 'PHASE[4] remove+rescan 0000:01:00.0', bdf: '0000:01:00.0', kernel: 48, device: 48, matched: 48 });
  });

  it('reports an edited-in device write and a removed one as unexplained, with their locations, and exits 1', async () => {
    // EDITED copy of the real device log (not a real run): one write added in the nvme insmod phase
    // (after the 0xf2 anchor read at line 2593) and the sysfs write of phase 5 (line 3054) removed.
    // (The edit shifts later lines by one; the phase-5 write's kernel side is what is left over.)
    const lines = readFileSync(DEVICE_LOG, 'utf8').split('\n');
    expect(lines[2592]).toBe('pci_cfg_read ICH9-SMB 00:1f.3 @0xf2 -> 0x0');
    expect(lines[3053]).toBe('pci_cfg_write nvme 02:00.0 @0xd <- 0x20');
    const edited = [...lines.slice(0, 2593), 'pci_cfg_write nvme 02:00.0 @0x3c <- 0xb', ...lines.slice(2593, 3053), ...lines.slice(3054)];
    const file = join(mkdtempSync(join(tmpdir(), 'cfgscope-crosscheck-')), 'qemu-trace.edited.log');
    writeFileSync(file, edited.join('\n'));
    const r = await runCli('crosscheck', KERNEL, file);
    expect(r.code).toBe(1);
    const report = r.stdout.split('not explained:\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(report).toEqual([
      `  device-only write 0000:02:00.0 @0x3c <- 0x0b in PHASE[2] insmod nvme at ${file}:2594 (unexplained)`,
      expect.stringMatching(/^ {2}kernel-only write 0000:02:00.0 @0x0d <- 0x20 \(pci_user_write_config_byte\) in PHASE\[5\] sysfs write 0000:02:00.0 cfg\[0x0d\] at test\/fixtures\/qemu-6.1-q35-basic\/serial.log:\d+ \(unexplained\)$/),
    ]);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('explained 2022 of 2024 one-sided accesses (282 writes, 1742 reads), 2 unexplained');
  });

  it('refuses swapped sides (CROSSCHECK_SIDES, exit 65)', async () => {
    const r = await runCli('crosscheck', DEVICE, KERNEL);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('CROSSCHECK_SIDES');
    expect(r.stderr).toContain(DEVICE);
  });
});
